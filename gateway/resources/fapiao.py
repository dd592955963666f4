"""Electronic fapiao (数电票, finance): asked for a paid invoice at the till, issued by the provider
afterwards (202: the answer is the queued request, its status followed on the fapiao list), reversed
by a red one after a refund or a mistake. Store documents: that store's users and HQ (checked here and
again in the service)."""
from __future__ import annotations

from services.common.policy import FRONT_DESK, TILL
from services.contracts.rpc.finance import FapiaoOut, FapiaoQuery, FapiaoRequest, RedLetterRequest
from services.contracts.rpc.finance.fapiao import BuyerTitleOut
from services.contracts.rpc.finance.insurers import ClaimFapiaoRequest

from ..api import endpoint
from . import Resource, checked
from .finance import _service_key


class InvoiceFapiao(Resource):
    @endpoint("Ask for a fapiao (普通发票 or 专用发票) for a paid invoice, all its lines not on another fapiao or "
              "the lines named; queued and issued by the provider afterwards (the settlement never waits): 202 "
              "with the request and its status", tag="finance", roles=TILL, body=FapiaoRequest, response=FapiaoOut,
              status=202, idempotent=True, errors=(409,))
    def on_post(self, req, resp, invoice_id: str):
        row = self.call(req, "finance", "request_fapiao", invoice_id=invoice_id, data=req.context.body_json,
                        idempotency_key=_service_key(req))
        resp.location = f"/v1/fapiao/{row['id']}"
        return row


class InsuranceClaimFapiao(Resource):
    @endpoint("Ask for the insurer's fapiao for a claim's share (the insurer the buyer, by its name and tax number; "
              "the customer's fapiao of the invoice then covers the rest only): 202 with the request queued; 409 "
              "`claim_fapiao_exists` while one stands, `insurer_tax_number_missing`, `claim_fapiao_voided`",
              tag="finance", roles=TILL, body=ClaimFapiaoRequest, response=FapiaoOut, status=202, idempotent=True,
              errors=(409,))
    def on_post(self, req, resp, claim_id: str):
        row = self.call(req, "finance", "request_claim_fapiao", claim_id=claim_id, data=req.context.body_json,
                        idempotency_key=_service_key(req))
        resp.location = f"/v1/fapiao/{row['id']}"
        return row


class FapiaoList(Resource):
    @endpoint("Fapiao of a store, newest first (filters status, invoice_id)", tag="finance", roles=FRONT_DESK,
              query=FapiaoQuery, response=FapiaoOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_fapiao", query=checked(req))


class FapiaoItem(Resource):
    @endpoint("A fapiao: its status at the provider, number, date and PDF link", tag="finance", roles=FRONT_DESK,
              response=FapiaoOut)
    def on_get(self, req, resp, fapiao_id: str):
        return self.call(req, "finance", "get_fapiao", fapiao_id=fapiao_id)


class FapiaoRedLetter(Resource):
    @endpoint("Reverse an issued fapiao by a red one (红字): its 红字确认单 is filed first and, for a 专用发票, "
              "waits for the buyer's confirmation; 202 with the red fapiao queued", tag="finance", roles=TILL,
              body=RedLetterRequest, response=FapiaoOut, status=202, errors=(409,))
    def on_post(self, req, resp, fapiao_id: str):
        row = self.call(req, "finance", "red_letter_fapiao", fapiao_id=fapiao_id, data=req.context.body_json)
        resp.location = f"/v1/fapiao/{row['id']}"
        return row


class CustomerFapiaoTitles(Resource):
    @endpoint("The titles (抬头, tax number, e-mail) on a customer's earlier fapiao, most recent first: offered "
              "again at the till", tag="finance", roles=TILL, response=BuyerTitleOut, paginated=True)
    def on_get(self, req, resp, customer_id: str):
        return self.call(req, "finance", "fapiao_titles", customer_id=customer_id)


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/invoices/{invoice_id}/fapiao", InvoiceFapiao(deps)),
        ("/v1/insurance-claims/{claim_id}/fapiao", InsuranceClaimFapiao(deps)),
        ("/v1/fapiao", FapiaoList(deps)),
        ("/v1/fapiao/{fapiao_id}", FapiaoItem(deps)),
        ("/v1/fapiao/{fapiao_id}/red-letter", FapiaoRedLetter(deps)),
        ("/v1/customers/{customer_id}/fapiao-titles", CustomerFapiaoTitles(deps)),
    ]
