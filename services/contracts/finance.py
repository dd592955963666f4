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


class CompanyAccountOverdue(Contract):
    """A company account has charges past their due date: the day's reminder (at most one a day)."""
    account_id = fields.String(required=True)
    name = fields.String(required=True)
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(required=True)
    day = fields.String(required=True, metadata={"description": "YYYY-MM-DD: the day the reminder is for"})
    overdue_fen = Fen(required=True)
    overdue_days = fields.Integer(required=True)
    member_customer_ids = fields.List(fields.String(), metadata={"description": "the account's people (crm)"})


class RefundRequestChanged(Contract):
    """A refund request's wait for a manager began or ended (pending, approved, refunded, declined): what the
    manager's approval queue and the cashier's invoice follow."""
    refund_request_id = fields.String(required=True)
    payment_id = fields.String(required=True)
    invoice_id = fields.String(allow_none=True)
    store_id = fields.String(required=True)
    status = fields.String(required=True)
    changed_at = fields.String(required=True, metadata={"description": "ISO 8601 with offset"})


class PaymentIntentRefunded(Contract):
    """Money a provider took when nothing was due (an unapplied payment intent) was refunded there, whole: the
    cashier's list of money to refund follows it."""
    intent_id = fields.String(required=True)
    invoice_id = fields.String(required=True)
    store_id = fields.String(required=True)
    provider = fields.String(required=True, metadata={"enum": ["wechat", "alipay"]})
    amount_fen = Fen(required=True)
    refunded_at = fields.String(required=True, metadata={"description": "ISO 8601 with offset"})


class InsuranceClaimChanged(Contract):
    """A claim on an insurer was put on it, remitted (in part or whole), written off or voided: what the claims
    screen and the cashier's invoice follow."""
    claim_id = fields.String(required=True)
    insurer_id = fields.String(required=True)
    invoice_id = fields.String(required=True)
    store_id = fields.String(required=True)
    claim_number = fields.String(required=True, metadata={"description": "报案号"})
    status = fields.String(required=True, metadata={"enum": ["open", "paid", "written_off", "voided"]})
    open_fen = Fen(required=True, metadata={"description": "what the claim leaves open after the change"})
    changed_at = fields.String(required=True, metadata={"description": "ISO 8601 with offset"})


PUBLISHES = {("invoice_issued", 1): InvoiceIssued, ("payment_received", 1): PaymentReceived,
             ("invoice_paid", 1): InvoicePaid, ("refund_issued", 1): RefundIssued,
             ("company_account_overdue", 1): CompanyAccountOverdue,
             ("refund_request_changed", 1): RefundRequestChanged,
             ("payment_intent_refunded", 1): PaymentIntentRefunded,
             ("insurance_claim_changed", 1): InsuranceClaimChanged}
