"""The audit trail of money and stock: who changed what, when, on behalf of which request.

Every write that moves money (finance, sales' discounts and contracts) or stock (inventory) calls
`record_audit` in its own transaction, so the row commits or rolls back with the change. A row
names its document (`document_type`, `document_id`: the invoice, transfer, quote … a user looks
up), the store where it happened, the actor (user and role) and the request id. A write made by an
event handler has no user of its own: the actor is the user whose request caused the event (the
envelope's `actor`, see `outbox.record_event`), else none (the system), and the row keeps the event id.

The table lives in each owner's database (`add_audit_table` for its models and migrations); a
service keeping one mixes in `entrypoints.AuditTrail`, whose `list_audit` RPC lists one document's rows. Who
may list them is decided by the rows themselves: HQ, or a user of a store where one of them happened
(or of another store the owner names for the document, like the receiving end of a transfer).
"""
from __future__ import annotations

import json
from typing import Callable

from marshmallow import Schema, fields, validate
from sqlalchemy import JSON, Column, Index, MetaData, String, Table, select
from sqlalchemy.orm import Session

from .context import Caller
from .db import UTCDateTime, utcnow
from .errors import Forbidden, Invalid
from .ids import new_id
from .policy import sees_every_store
from .schemas import ListQuery, dump_page, load, page

DOCUMENT_OWNERS: dict[str, str] = {
    "quote": "sales",
    "purchase_order": "inventory", "transfer": "inventory", "stocktake": "inventory",
    "stock_adjustment": "inventory", "order_parts": "inventory",
    "invoice": "finance", "deposit": "finance", "member_card": "finance", "expense": "finance",
    "daily_close": "finance", "month_close": "finance",
    "settlement": "finance", "supplier_invoice": "finance", "supplier_payment": "finance",
    "supplier_credit_note": "finance",
    "company_account": "finance", "insurer": "finance",
    "payment_reconciliation": "finance",
    "work_order": "workshop",
}
"""Audited document type → the service that owns it (and answers `list_audit` for it)."""

_metadata = MetaData()
AUDIT_TRAIL = Table(
    "audit_trail", _metadata,
    Column("id", String(26), primary_key=True, comment="time-ordered: newest first by id"),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("store_id", String(64), comment="where it happened"),
    Column("document_type", String(30), nullable=False),
    Column("document_id", String(64), nullable=False),
    Column("action", String(40), nullable=False, comment="past tense: payment_taken, transfer_shipped"),
    Column("user_id", String(64), comment="none: the system"),
    Column("role", String(20)),
    Column("request_id", String(64)),
    Column("event_id", String(36), comment="the event whose handler made the change"),
    Column("details", JSON, nullable=False, comment="amounts, quantities, status before/after; no PII"),
    Index("ix_audit_trail_document", "document_type", "document_id", "id"),
)


def add_audit_table(metadata: MetaData) -> None:
    """Put the audit trail into a service's own metadata (models and migrations)."""
    AUDIT_TRAIL.to_metadata(metadata)


def record_audit(session: Session, caller: Caller | None, action: str, document_type: str, document_id: str, *,
                 store_id: str | None, details: dict | None = None) -> None:
    """One audit row in the session's transaction. Inside an event handler the actor is the one the
    event carries (rules run by handlers pass no caller); `details` is made JSON-able."""
    if document_type not in DOCUMENT_OWNERS:
        raise ValueError(f"not an audited document type: {document_type}")
    event = session.info.get("event")
    if event is not None:
        actor, request_id, event_id = event.get("actor") or {}, event.get("request_id"), event["event_id"]
    else:
        caller = caller or Caller()
        actor, request_id, event_id = {"user_id": caller.user_id, "role": caller.role}, caller.request_id, None
    session.execute(AUDIT_TRAIL.insert().values(
        id=new_id(), occurred_at=utcnow(), store_id=store_id, document_type=document_type,
        document_id=document_id, action=action, user_id=actor.get("user_id"), role=actor.get("role"),
        request_id=request_id, event_id=event_id, details=json.loads(json.dumps(details or {}, default=str))))


class AuditTrailQuery(ListQuery):
    document_type = fields.String(required=True, validate=validate.OneOf(sorted(DOCUMENT_OWNERS)))
    document_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class AuditTrailEntryOut(Schema):
    id = fields.String()
    occurred_at = fields.DateTime()
    store_id = fields.String(allow_none=True)
    document_type = fields.String()
    document_id = fields.String()
    action = fields.String(metadata={"description": "past tense, e.g. payment_taken, stock_received"})
    user_id = fields.String(allow_none=True, metadata={"description": "null: the system"})
    role = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    event_id = fields.String(allow_none=True, metadata={"description": "set when an event handler made it"})
    details = fields.Dict()


def list_audit_entries(session: Session, caller: Caller, service: str, query: dict,
                       document_stores: Callable[[str, str], set[str]]) -> dict:
    """One document's trail, newest first; refused unless the caller may see a store it touched
    (one of its rows' stores, or one `document_stores(type, id)` names: both ends of a transfer)."""
    params = load(AuditTrailQuery(), query)
    if DOCUMENT_OWNERS[params["document_type"]] != service:
        raise Invalid(f"{service} keeps no {params['document_type']} documents.",
                      fields={"document_type": [f"Kept by {DOCUMENT_OWNERS[params['document_type']]}."]},
                      code="documents_kept_elsewhere")
    trail = AUDIT_TRAIL.c
    of_document = (trail.document_type == params["document_type"]) & (trail.document_id == params["document_id"])
    if not sees_every_store(caller):
        stores = set(session.scalars(select(trail.store_id).where(of_document).distinct()).all())
        if stores and not any(caller.can_access_store(store)
                              for store in stores | document_stores(params["document_type"], params["document_id"])):
            raise Forbidden("This document belongs to a store outside your account's stores.",
                            code="store_out_of_scope")
    statement = select(AUDIT_TRAIL).where(of_document)
    if params.get("cursor"):
        statement = statement.where(trail.id < params["cursor"])
    rows = session.execute(statement.order_by(trail.id.desc()).limit(params["limit"] + 1)).mappings().all()
    result = page(list(rows), params["limit"], key=lambda row: row["id"])
    return dump_page(result, AuditTrailEntryOut())

