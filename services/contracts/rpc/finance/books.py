"""Store expenses."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.schemas import ListQuery

from .shared import positive


EXPENSE_CATEGORIES = ("rent", "utilities", "wages", "purchases", "marketing", "maintenance", "other")
"""Each is booked to its own expense account (`services/finance/domain/ledger.py` EXPENSE_ACCOUNTS)."""
PAID_FROM = ("cash", "bank")
"""Where an expense is paid from."""


class ExpenseCreate(Schema):
    store_id = fields.String(required=True)
    category = fields.String(required=True, validate=validate.OneOf(EXPENSE_CATEGORIES))
    amount_fen = positive(required=True)
    paid_from = fields.String(load_default="cash", validate=validate.OneOf(tuple(PAID_FROM)))
    incurred_on = fields.Date(load_default=None, allow_none=True)
    vendor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    attachments = fields.List(fields.String(validate=validate.Length(min=1, max=500)), load_default=list,
                              validate=validate.Length(max=20),
                              metadata={"description": "References to receipts (file ids or URLs)."})


class ExpenseOut(Schema):
    id = fields.String()
    store_id = fields.String()
    category = fields.String()
    amount_fen = fields.Integer()
    currency = fields.String()
    paid_from = fields.String()
    incurred_on = fields.Date()
    business_date = fields.Date()
    vendor = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    attachments = fields.List(fields.String())
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ExpenseQuery(ListQuery):
    store_id = fields.String()
    category = fields.String(validate=validate.OneOf(EXPENSE_CATEGORIES))
    from_ = fields.Date(data_key="from")
    to = fields.Date()
