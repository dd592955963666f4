"""finance's electronic fapiao entrypoints (数电票), mixed into the finance service: thin over
`domain/fapiao.py`, the provider adapter built once per container from the environment."""
from __future__ import annotations

import logging
from datetime import datetime

from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from sqlalchemy.orm import Session

from services.common.config import NuonuoSettings, fapiao_poll_seconds, fapiao_tax_codes
from services.common.context import Caller
from services.common.db import utcnow
from services.common.entrypoints import rpc, unit_of_work
from services.common.policy import visible_stores
from services.common.schemas import dump_page, load, page
from services.common.upstream import ServiceRpc, answer_within_timeout, as_domain_error
from services.common.transactions import before_remote_call
from services.contracts.rpc.finance import FapiaoOut, FapiaoQuery, FapiaoRequest, RedLetterRequest
from services.contracts.rpc.finance.fapiao import BuyerTitleOut
from services.contracts.rpc.finance.insurers import ClaimFapiaoRequest

from .domain import fapiao
from .accounts import StoreProviders
from .fapiao_nuonuo import NuonuoProvider
from .models import Fapiao, InsuranceClaim, Invoice
from .providers import ProviderError

log = logging.getLogger(__name__)
fapiao_out = FapiaoOut()


class FapiaoProvider(DependencyProvider):
    """The issuing provider (诺诺) per store: the chain's seller from the environment, a store that is its own
    legal entity its own 销方税号 and token (services/finance/accounts.py); None where `NUONUO_APP_KEY` is not
    set (requests then wait, queued)."""

    def setup(self):
        self.stores = StoreProviders("nuonuo", NuonuoProvider, "app_key")

    def for_store(self, *store_keys: str | None) -> tuple[NuonuoProvider | None, NuonuoSettings]:
        """The provider and the settings (seller) the store's fapiao are issued with."""
        return self.stores.for_store(*store_keys), self.stores.settings(*store_keys)

    def get_dependency(self, worker_ctx):
        return self


class FapiaoEntrypoints:
    """The fapiao RPCs and the worker that sends queued fapiao to the provider."""
    db: Session  # ServiceBase's dependencies
    caller: Caller
    fapiao_provider = FapiaoProvider()
    inventory = ServiceRpc("inventory")
    sales = ServiceRpc("sales")

    @rpc
    def request_fapiao(self, invoice_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        request = load(FapiaoRequest(), data)
        codes = {**fapiao_tax_codes(), **self._catalogue_tax_codes(invoice_id)}
        return fapiao_out.dump(fapiao.request_fapiao(self.db, self.caller, invoice_id, request, idempotency_key,
                                                     codes))

    @rpc
    def request_claim_fapiao(self, claim_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        request = load(ClaimFapiaoRequest(), data)
        claim = self.db.get(InsuranceClaim, claim_id)
        codes = {**fapiao_tax_codes(), **(self._catalogue_tax_codes(claim.invoice_id) if claim else {})}
        return fapiao_out.dump(fapiao.request_claim_fapiao(self.db, self.caller, claim_id, request,
                                                           idempotency_key, codes))

    def _catalogue_tax_codes(self, invoice_id: str) -> dict[str, str]:
        """The 税收分类编码 the catalogue gives the invoice's parts (inventory) and labour operations (sales),
        keyed `part:<sku>` / `labour:<op code>`; read before this worker writes anything."""
        invoice = self.db.get(Invoice, invoice_id)
        if invoice is None:
            return {}
        skus = sorted({line.sku for line in invoice.lines if line.kind == "part" and line.sku})
        ops = sorted({line.op_code for line in invoice.lines if line.kind == "labour" and line.op_code})
        codes: dict[str, str] = {}
        try:
            with answer_within_timeout("inventory", "the catalogue's tax codes are needed; try again."):
                if skus:
                    codes.update({f"part:{item['sku']}": item["tax_code"] for item in
                                  self.inventory.catalogue_parts(skus)["items"] if item.get("tax_code")})
            with answer_within_timeout("sales", "the catalogue's tax codes are needed; try again."):
                if ops:
                    codes.update({f"labour:{item['code']}": item["tax_code"] for item in
                                  self.sales.catalogue_operations(ops)["items"] if item.get("tax_code")})
        except RemoteError as exc:
            raise (as_domain_error(exc) or exc) from exc
        return codes

    @rpc
    def red_letter_fapiao(self, fapiao_id: str, data: dict) -> dict:
        request = load(RedLetterRequest(), data)
        return fapiao_out.dump(fapiao.red_letter(self.db, self.caller, fapiao_id, request["reason"]))

    @rpc
    def get_fapiao(self, fapiao_id: str) -> dict:
        return fapiao_out.dump(fapiao.get_fapiao(self.db, self.caller, fapiao_id))

    @rpc
    def fapiao_titles(self, customer_id: str) -> dict:
        """The customer's earlier fapiao titles (a chain's customer: any store's till may offer them)."""
        return {"items": BuyerTitleOut(many=True).dump(fapiao.buyer_titles(self.db, customer_id)),
                "next_cursor": None}

    @rpc
    def list_fapiao(self, query: dict) -> dict:
        params = load(FapiaoQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return dump_page(page(fapiao.list_fapiao(self.db, stores, params), params["limit"]), fapiao_out)

    @timer(interval=fapiao_poll_seconds())
    def send_fapiao(self) -> None:
        """Each due fapiao one step further at the provider; each claim and each step commits on its own."""
        now = utcnow()
        for fapiao_id, seen in self._due_fapiao(now):
            try:
                row = self._claim_fapiao(fapiao_id, seen, now)
                if row is not None:
                    self.advance_fapiao(row, now)
            except Exception:
                self.db.rollback()
                log.exception("sending fapiao %s failed", fapiao_id)

    @unit_of_work
    def _due_fapiao(self, now: datetime) -> list[tuple[str, datetime]]:
        return fapiao.due(self.db, now)

    @unit_of_work
    def _claim_fapiao(self, fapiao_id: str, seen: datetime, now: datetime) -> Fapiao | None:
        return fapiao.claim(self.db, fapiao_id, seen, now)

    def advance_fapiao(self, row: Fapiao, now: datetime) -> str:
        """One step of a claimed row at the provider: the read ends before the provider is called (none
        is open while it is called); after a provider error what was read is rolled back and the row
        read again; the changes are committed on their own. Answers the new status."""
        fapiao_id = row.id
        provider, settings = self.fapiao_provider.for_store(*fapiao.account_keys(self.db, row))
        before_remote_call(self.db, "the fapiao provider")
        try:
            changes = fapiao.provider_step(self.db, provider, settings, row, now)
        except ProviderError as exc:
            self.db.rollback()
            changes = fapiao.after_provider_error(self.db, fapiao_id, exc, now)
        return self._record_fapiao_step(fapiao_id, changes)

    @unit_of_work
    def _record_fapiao_step(self, fapiao_id: str, changes: dict) -> str:
        return fapiao.record_step(self.db, fapiao_id, changes)
