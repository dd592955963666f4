"""finance's entrypoints for insurers' claims (事故车), mixed into the finance service: thin over
`domain/insurers.py`."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.entrypoints import rpc
from services.common.policy import visible_stores
from services.common.schemas import load
from services.contracts.rpc.finance.insurers import (ClaimCreate, ClaimOut, ClaimQuery, InsurerCreate, InsurerMonthOut,
                                                     InsurerMonthQuery, InsurerOut, InsurerPatch, InsurerQuery,
                                                     InsurerStatementOut, InsurerStatementQuery, RemittanceCreate,
                                                     RemittanceOut, VoidCreate, WriteOffCreate)

from .domain import insurers, invoices, ledger
from .models import InsuranceClaim, Insurer

insurer_out, claim_out = InsurerOut(), ClaimOut()


class InsurerEntrypoints:
    """Set up, list, read and change insurers; put an invoice's share on one; its remittances, write-offs,
    voids, statement and monthly statement."""
    db: Session  # ServiceBase's dependencies
    caller: Caller

    _crm: Callable[[str, str], dict]  # FinanceService's: crm's customer or vehicle
    _invoice: Callable[..., dict]  # FinanceService's: an invoice as answered

    def _insurers(self, found: list[Insurer]) -> list[dict]:
        counts = insurers.open_counts(self.db, [insurer.id for insurer in found])
        return [{**row, "open_claims": counts.get(row["id"], 0)} for row in insurer_out.dump(found, many=True)]

    def _claims(self, found: list[InsuranceClaim]) -> list[dict]:
        return claim_out.dump(insurers.dumped(self.db, found), many=True)

    @rpc
    def create_insurer(self, data: dict) -> dict:
        return self._insurers([insurers.create_insurer(self.db, self.caller, load(InsurerCreate(), data))])[0]

    @rpc
    def list_insurers(self, query: dict) -> dict:
        params = load(InsurerQuery(), query)
        return {"items": self._insurers(insurers.list_insurers(self.db, self.caller, params)[:params["limit"]]),
                "next_cursor": None}

    @rpc
    def get_insurer(self, insurer_id: str) -> dict:
        return self._insurers([insurers.get_insurer(self.db, self.caller, insurer_id)])[0]

    @rpc
    def update_insurer(self, insurer_id: str, changes: dict) -> dict:
        return self._insurers([insurers.update_insurer(self.db, self.caller, insurer_id,
                                                       load(InsurerPatch(), changes))])[0]

    @rpc
    def put_invoice_on_insurer(self, invoice_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        request = load(ClaimCreate(), data)
        vehicle_id = invoices.get_invoice(self.db, self.caller, invoice_id).vehicle_id
        plate = self._crm("get_vehicle", vehicle_id)["plate"] if vehicle_id else None
        claim = insurers.put_on_insurer(self.db, self.caller, invoice_id, request, plate, idempotency_key)
        return {"claim": self._claims([claim])[0],
                "invoice": self._invoice(invoices.get_invoice(self.db, self.caller, invoice_id), with_payments=False)}

    @rpc
    def list_insurance_claims(self, query: dict) -> dict:
        params = load(ClaimQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return {"items": self._claims(insurers.list_claims(self.db, self.caller, stores, params)),
                "next_cursor": None}

    @rpc
    def get_insurance_claim(self, claim_id: str) -> dict:
        return self._claims([insurers.get_claim(self.db, self.caller, claim_id)])[0]

    @rpc
    def receive_claim_remittance(self, insurer_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        return RemittanceOut().dump(insurers.receive_remittance(self.db, self.caller, insurer_id,
                                                                load(RemittanceCreate(), data), idempotency_key))

    @rpc
    def write_off_insurance_claim(self, claim_id: str, data: dict) -> dict:
        reason = load(WriteOffCreate(), data)["reason"]
        return self._claims([insurers.write_off(self.db, self.caller, claim_id, reason)])[0]

    @rpc
    def void_insurance_claim(self, claim_id: str, data: dict) -> dict:
        reason = load(VoidCreate(), data)["reason"]
        return self._claims([insurers.void_claim(self.db, self.caller, claim_id, reason)])[0]

    @rpc
    def insurer_month_statement(self, insurer_id: str, query: dict) -> dict:
        month = load(InsurerMonthQuery(), query)["month"] or ledger.today(self.db, None).strftime("%Y-%m")
        return InsurerMonthOut().dump(insurers.month_statement(self.db, self.caller, insurer_id, month))

    @rpc
    def insurer_statement(self, insurer_id: str, query: dict) -> dict:
        return InsurerStatementOut().dump(insurers.statement(self.db, self.caller, insurer_id,
                                                             load(InsurerStatementQuery(), query)))
