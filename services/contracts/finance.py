"""What finance publishes: its events' payloads, by fact and version."""
from marshmallow import fields

from services.common.fields import Fen

from .base import Contract


class InvoiceIssued(Contract):
    invoice_id = fields.String(required=True)
    invoice_number = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    total_fen = Fen(required=True)
    due_fen = Fen(required=True)


class PaymentReceived(Contract):
    payment_id = fields.String(required=True)
    invoice_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    method = fields.String(required=True)
    amount_fen = Fen(required=True)
    due_fen = Fen(metadata={"description": "optional: still due on the invoice after this payment"})


class InvoicePaid(Contract):
    invoice_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    total_fen = Fen(required=True)
    paid_at = fields.String(required=True)


class RefundIssued(Contract):
    refund_id = fields.String(required=True)
    payment_id = fields.String(required=True)
    invoice_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    amount_fen = Fen(required=True)
    method = fields.String(metadata={"description": "optional: the method refunded to (the payment's)"})


PUBLISHES = {("invoice_issued", 1): InvoiceIssued, ("payment_received", 1): PaymentReceived,
             ("invoice_paid", 1): InvoicePaid, ("refund_issued", 1): RefundIssued}
