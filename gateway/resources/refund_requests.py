"""Refund requests (finance): a refund above the store's limit asked for at the till waits in the store
manager's approval queue (审批) until a manager approves it (the refund is then made, once: at the till or
through the payment provider) or declines it with a reason. Store documents: that store's users and HQ
(checked here and again in the service)."""
from __future__ import annotations

from services.common.policy import MANAGERS, TILL
from services.contracts.rpc.finance import RefundRequestCreate, RefundRequestDecline, RefundRequestOut, \
    RefundRequestQuery

from ..api import endpoint
from . import Resource, checked
from .finance import _service_key


class PaymentRefundRequests(Resource):
    @endpoint("Ask a store manager for a refund above the store's limit (with a reason); it waits in the "
              "approval queue. 409 refund_within_limit when the till may refund it itself", tag="finance",
              roles=TILL, body=RefundRequestCreate, response=RefundRequestOut, status=201, idempotent=True,
              errors=(409,))
    def on_post(self, req, resp, payment_id: str):
        request = self.call(req, "finance", "request_refund", payment_id=payment_id, data=req.context.body_json,
                            idempotency_key=_service_key(req))
        resp.location = f"/v1/refund-requests/{request['id']}"
        return request


class RefundRequests(Resource):
    @endpoint("Refund requests of a store, newest first (filters status, invoice_id, payment_id): the manager's "
              "queue is status=pending", tag="finance", roles=TILL, query=RefundRequestQuery,
              response=RefundRequestOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_refund_requests", query=checked(req))


class RefundRequestItem(Resource):
    @endpoint("A refund request and its outcome", tag="finance", roles=TILL, response=RefundRequestOut)
    def on_get(self, req, resp, refund_request_id: str):
        return self.call(req, "finance", "get_refund_request", refund_request_id=refund_request_id)


class RefundRequestApprove(Resource):
    @endpoint("Approve a refund request (manager): the refund is made as one within the limit is, once; a "
              "request already approved is answered as it is, a declined one is 409", tag="finance",
              roles=MANAGERS, response=RefundRequestOut, errors=(409, 503))
    def on_post(self, req, resp, refund_request_id: str):
        return self.call(req, "finance", "approve_refund_request", refund_request_id=refund_request_id)


class RefundRequestDeclineResource(Resource):
    @endpoint("Decline a refund request with a reason (manager): nothing is refunded", tag="finance",
              roles=MANAGERS, body=RefundRequestDecline, response=RefundRequestOut, errors=(409,))
    def on_post(self, req, resp, refund_request_id: str):
        return self.call(req, "finance", "decline_refund_request", refund_request_id=refund_request_id,
                         data=req.context.body_json)


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/payments/{payment_id}/refund-requests", PaymentRefundRequests(deps)),
        ("/v1/refund-requests", RefundRequests(deps)),
        ("/v1/refund-requests/{refund_request_id}", RefundRequestItem(deps)),
        ("/v1/refund-requests/{refund_request_id}/approve", RefundRequestApprove(deps)),
        ("/v1/refund-requests/{refund_request_id}/decline", RefundRequestDeclineResource(deps)),
    ]
