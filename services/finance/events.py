"""finance's event contract (payload version 1)."""
from services.common.events import Fen, Schema, fields


class InvoiceIssued(Schema):
    invoice_id = fields.String(required=True)
    invoice_number = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    total_fen = Fen(required=True)
    due_fen = Fen(required=True)


class PaymentReceived(Schema):
    payment_id = fields.String(required=True)
    invoice_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    method = fields.String(required=True)
    amount_fen = Fen(required=True)
    due_fen = Fen(metadata={"description": "optional: still due on the invoice after this payment"})


class InvoicePaid(Schema):
    invoice_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    total_fen = Fen(required=True)
    paid_at = fields.String(required=True)


class RefundIssued(Schema):
    refund_id = fields.String(required=True)
    payment_id = fields.String(required=True)
    invoice_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    amount_fen = Fen(required=True)
    method = fields.String(metadata={"description": "optional: the method refunded to (the payment's)"})


PUBLISHES = {"invoice_issued": InvoiceIssued, "payment_received": PaymentReceived, "invoice_paid": InvoicePaid,
             "refund_issued": RefundIssued}
HANDLES = (
    ("sales", "order_confirmed"),           # the order's billing basis; a deposit becomes a prepayment
    ("sales", "order_cancelled"),           # unconsumed deposits refunded to their method
    ("workshop", "work_order_completed"),   # the invoice (once per order): contracted lines, parts used
    ("inventory", "stock_issued"),          # cost of goods sold (Dr COGS · Cr inventory)
    ("inventory", "stock_valued"),          # every other change of stock value (domain/stock.py)
)
