"""Customer retention by cohort: the customers whose first invoice fell in a month, and how many came back."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.fields import Quantity

from .shared import MONTH

WINDOWS = (90, 180, 365)
"""Days after the first visit within which a second one counts as a return."""


class RetentionQuery(Schema):
    store_id = fields.String(metadata={"description": "One store (its first visits there); without it the "
                                                     "caller's stores (HQ: the chain)"})
    from_ = fields.String(data_key="from", required=True, validate=MONTH, metadata={"description": "YYYY-MM"})
    to = fields.String(required=True, validate=MONTH, metadata={"description": "YYYY-MM, at most 24 months on"})


class CohortOut(Schema):
    month = fields.String(metadata={"description": "YYYY-MM of the customers' first invoice"})
    new_customers = fields.Integer()
    returned_90 = fields.Integer(allow_none=True, metadata={"description": "Came back within 90 days; null while "
                                                                           "the 90 days are not over for all"})
    returned_180 = fields.Integer(allow_none=True)
    returned_365 = fields.Integer(allow_none=True)
    retention_90_pct = Quantity(allow_none=True)
    retention_180_pct = Quantity(allow_none=True)
    retention_365_pct = Quantity(allow_none=True)


class RetentionOut(Schema):
    items = fields.List(fields.Nested(CohortOut))


class CustomerFiguresQuery(Schema):
    customer_ids = fields.List(fields.String(), required=True)
    store_id = fields.String(metadata={"description": "One store; without it the caller's stores (HQ: the chain)"})
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)


class CustomerFiguresRow(Schema):
    customer_id = fields.String()
    invoices = fields.Integer()
    revenue_fen = fields.Integer()


class CustomerFiguresOut(Schema):
    items = fields.List(fields.Nested(CustomerFiguresRow), metadata={"description": "Only customers invoiced"})



class CustomerWindow(Schema):
    customer_id = fields.String(required=True)
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)


class WindowFiguresQuery(Schema):
    windows = fields.List(fields.Nested(CustomerWindow), required=True,
                          metadata={"description": "A customer and the business days to count their invoices over"})
    store_id = fields.String(metadata={"description": "One store; without it the caller's stores (HQ: the chain)"})


class WindowFiguresRow(Schema):
    customer_id = fields.String()
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    invoices = fields.Integer()
    revenue_fen = fields.Integer()


class WindowFiguresOut(Schema):
    items = fields.List(fields.Nested(WindowFiguresRow), metadata={"description": "Only windows with an invoice"})
