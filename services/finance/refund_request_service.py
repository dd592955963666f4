"""finance's refund-request entrypoints (a refund above the store's limit waits for a manager), mixed into
the finance service: thin over `domain/refund_requests.py`."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.entrypoints import rpc
from services.common.policy import visible_stores
from services.common.schemas import load, page
from services.contracts.rpc.finance import (RefundRequestCreate, RefundRequestDecline, RefundRequestOut,
                                            RefundRequestQuery)

from .domain import refund_requests
from .models import ProviderRefund, RefundRequest

if TYPE_CHECKING:
    from .accounts import PaymentAccounts

request_out = RefundRequestOut()


class RefundRequestEntrypoints:
    """Ask, list, read, approve and decline refund requests."""
    db: Session  # ServiceBase's dependencies
    caller: Caller
    providers: PaymentAccounts
    ask_refund: Callable[[str], ProviderRefund]  # FinanceService's: a claimed refund asked of its provider

    def _requests(self, found: list[RefundRequest]) -> list[dict]:
        invoices = refund_requests.invoice_numbers(self.db, found)
        dumped = request_out.dump(found, many=True)
        for data, request in zip(dumped, found, strict=True):
            data["invoice_number"], data["vehicle_id"] = invoices.get(request.invoice_id or "", (None, None))
        return dumped

    def _request(self, request: RefundRequest) -> dict:
        return self._requests([request])[0]

    @rpc
    def request_refund(self, payment_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        return self._request(refund_requests.ask(self.db, self.caller, payment_id, load(RefundRequestCreate(), data),
                                                 idempotency_key))

    @rpc
    def list_refund_requests(self, query: dict) -> dict:
        params = load(RefundRequestQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        items = page(refund_requests.list_requests(self.db, stores, params), params["limit"])
        return {"items": self._requests(items["items"]), "next_cursor": items["next_cursor"]}

    @rpc
    def get_refund_request(self, refund_request_id: str) -> dict:
        return self._request(refund_requests.get_request(self.db, self.caller, refund_request_id))

    @rpc
    def approve_refund_request(self, refund_request_id: str) -> dict:
        """Approve and make the refund (once); a request already approved is answered as it is. Through a provider,
        the approval and the refund's claim are committed first (a second manager sees them before the provider
        is asked; the poller asks again if the answer never comes), and withdrawn if the provider refuses."""
        request, won = refund_requests.claim_approval(self.db, self.caller, self.providers, refund_request_id)
        if not won:
            return self._request(request)
        if request.provider_refund_id is not None:  # through the provider: the claim is committed, then asked
            request_id, number = request.id, request.provider_refund_id
            self.db.commit()
            self.ask_refund(number)
            return self._request(self.db.get_one(RefundRequest, request_id))
        return self._request(refund_requests.carry_out(self.db, self.caller, self.providers, request))

    @rpc
    def decline_refund_request(self, refund_request_id: str, data: dict) -> dict:
        reason = load(RefundRequestDecline(), data)["reason"]
        return self._request(refund_requests.decline(self.db, self.caller, refund_request_id, reason))
