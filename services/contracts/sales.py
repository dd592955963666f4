"""What sales publishes: its events' payloads, by fact and version. Other services build on these shapes."""
from marshmallow import fields

from services.common.fields import Fen, Quantity

from .base import Contract

LINE_KINDS = ("labour", "part", "fee")


class VisitCheckedIn(Contract):
    visit_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(allow_none=True)
    mileage_km = fields.Integer(allow_none=True)
    needs = fields.List(fields.String(), required=True)
    checked_in_at = fields.String(required=True, metadata={"description": "ISO 8601 with offset"})


class OrderLine(Contract):
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


class Totals(Contract):
    subtotal_fen = Fen(required=True, metadata={"description": "Before discount, tax included as priced"})
    discount_fen = Fen(required=True)
    tax_fen = Fen(required=True)
    total_fen = Fen(required=True, metadata={"description": "What the customer owes, tax included"})
    currency = fields.String(load_default="CNY")


class Deposit(Contract):
    amount_fen = Fen(required=True)
    method = fields.String(required=True)
    reference = fields.String(allow_none=True)


class OrderConfirmed(Contract):
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


class OrderCancelled(Contract):
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    reason = fields.String(required=True)
    cancelled_at = fields.String(required=True)


class QuotePresented(Contract):
    """A quote was presented to the customer (crm tells the owner it is ready)."""
    quote_id = fields.String(required=True)
    quote_number = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    total_fen = Fen(required=True, metadata={"description": "What the customer would owe, tax included"})
    presented_at = fields.String(required=True, metadata={"description": "ISO 8601 with offset"})


class QuoteApprovalChanged(Contract):
    """A quote's wait for a manager began or ended (pending, approved, rejected, not required any more):
    what the approval queue follows."""
    quote_id = fields.String(required=True)
    store_id = fields.String(required=True)
    approval_status = fields.String(required=True)
    changed_at = fields.String(required=True, metadata={"description": "ISO 8601 with offset"})


class QuoteDecided(Contract):
    """The customer's decision on a presented quote was recorded, line by line — at the counter or by the owner on
    the phone: the quote screen and the owner's timeline follow it."""
    quote_id = fields.String(required=True)
    quote_number = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    state = fields.String(required=True, metadata={"enum": ["approved", "partially_approved", "declined"]})
    approved_lines = fields.Integer(required=True)
    declined_lines = fields.Integer(required=True)
    decided_by = fields.String(required=True, metadata={"enum": ["customer", "staff"],
                                                        "description": "customer: on the phone (the customer channel)"})
    decided_at = fields.String(required=True, metadata={"description": "ISO 8601 with offset"})


class RepairVisitOut(Contract):
    """The reception of an order's car as finance's health-record upload reads it (sales.visits_for_orders):
    送修日期, 送修里程 and the customer's words (needs, notes) as the fault."""
    order_id = fields.String()
    visit_id = fields.String(allow_none=True)
    checked_in_at = fields.String(allow_none=True, metadata={"description": "ISO 8601 with offset"})
    mileage_km = fields.Integer(allow_none=True)
    needs = fields.List(fields.String())
    notes = fields.String(allow_none=True)


class RepairVisitsOut(Contract):
    items = fields.List(fields.Nested(RepairVisitOut))


PUBLISHES = {("visit_checked_in", 1): VisitCheckedIn, ("order_confirmed", 1): OrderConfirmed,
             ("order_cancelled", 1): OrderCancelled, ("quote_presented", 1): QuotePresented,
             ("quote_approval_changed", 1): QuoteApprovalChanged, ("quote_decided", 1): QuoteDecided}
