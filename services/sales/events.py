"""sales' event contract (payload version 1). Other services build on these shapes."""
from services.common.events import Fen, Quantity, Schema, Totals, fields

LINE_KINDS = ("labour", "part", "fee")


class VisitCheckedIn(Schema):
    visit_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(allow_none=True)
    mileage_km = fields.Integer(allow_none=True)
    needs = fields.List(fields.String(), required=True)
    checked_in_at = fields.String(required=True, metadata={"description": "ISO 8601 with offset"})


class OrderLine(Schema):
    line_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(LINE_KINDS)})
    description = fields.String(required=True)
    op_code = fields.String(allow_none=True, metadata={"description": "labour: operation code"})
    op_category = fields.String(allow_none=True, metadata={
        "description": "labour: the operation's catalogue category (maintenance, repair …); absent before 2026-12"})
    skill = fields.String(allow_none=True, metadata={"description": "labour: skill a technician needs"})
    hours = Quantity(allow_none=True, metadata={"description": "labour: billed (standard) hours"})
    sku = fields.String(allow_none=True, metadata={"description": "part: inventory SKU"})
    qty = Quantity(required=True)
    unit_price_fen = Fen(required=True)
    discount_fen = Fen(required=True)
    tax_rate = fields.String(required=True, metadata={"description": "Decimal as string, e.g. '0.13'"})
    tax_fen = Fen(required=True)
    total_fen = Fen(required=True, metadata={"description": "After discount, tax included"})


class Deposit(Schema):
    amount_fen = Fen(required=True)
    method = fields.String(required=True)
    reference = fields.String(allow_none=True)


class OrderConfirmed(Schema):
    order_id = fields.String(required=True)
    order_number = fields.String(required=True)
    store_id = fields.String(required=True)
    visit_id = fields.String(allow_none=True)
    quote_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(allow_none=True)
    advisor_id = fields.String(allow_none=True)
    promised_at = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(OrderLine), required=True)
    totals = fields.Nested(Totals, required=True)
    deposit = fields.Nested(Deposit, allow_none=True)
    confirmed_at = fields.String(required=True)


class OrderCancelled(Schema):
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    reason = fields.String(required=True)
    cancelled_at = fields.String(required=True)


PUBLISHES = {"visit_checked_in": VisitCheckedIn, "order_confirmed": OrderConfirmed,
             "order_cancelled": OrderCancelled}
HANDLES = (
    ("workshop", "work_started"),          # order -> in_progress
    ("workshop", "work_order_completed"),  # order -> completed
    ("workshop", "vehicle_delivered"),     # order -> delivered (closed if already paid)
    ("finance", "invoice_paid"),           # order -> closed once delivered
    ("crm", "customer_erased"),            # copies of name, plate, licence, notes go (domain/privacy.py)
)
