"""Accounts payable: supplier invoices (matched three ways), supplier payments and a supplier's statement."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import Fen, Quantity
from services.common.schemas import ListQuery


SUPPLIER_INVOICE_STATES = ("held", "open", "partially_paid", "paid", "rejected")
SUPPLIER_PAYMENT_METHODS = ("bank", "cash")
POSITIVE_QTY = validate.Range(min=0, min_inclusive=False)


class SupplierInvoiceLineIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = Quantity(required=True, validate=POSITIVE_QTY)
    unit_price_fen = Fen(required=True, metadata={"description": "Billed per unit, tax included (as ordered)"})


class SupplierInvoiceCreate(Schema):
    purchase_order_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    number = fields.String(required=True, validate=validate.Length(min=1, max=60),
                           metadata={"description": "The supplier's invoice (fapiao) number"})
    issued_on = fields.Date(required=True)
    due_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "Default: 30 days after"})
    vat_fen = Fen(load_default=0, metadata={"description": "Input VAT shown on the invoice (part of the total)"})
    lines = fields.List(fields.Nested(SupplierInvoiceLineIn), required=True, validate=validate.Length(min=1, max=200))

    @validates_schema
    def _one_line_per_sku_due_after_issue(self, data, **_):
        skus = [line["sku"] for line in data.get("lines", [])]
        if len(skus) != len(set(skus)):
            raise ValidationError("Each SKU appears on one line only.", "lines")
        if data.get("due_on") and data.get("issued_on") and data["due_on"] < data["issued_on"]:
            raise ValidationError("Due on or after the day it was issued.", "due_on")


class SupplierInvoiceDecision(Schema):
    approve = fields.Boolean(required=True, metadata={"description": "true: book it as it stands; false: reject"})
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200))


class SupplierInvoiceQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(SUPPLIER_INVOICE_STATES))
    supplier_id = fields.String()
    purchase_order_id = fields.String()


class SupplierInvoiceLineOut(Schema):
    sku = fields.String()
    qty = Quantity()
    unit_price_fen = Fen()
    amount_fen = Fen()
    ordered_unit_cost_fen = Fen(allow_none=True, metadata={"description": "The purchase order's price"})
    qty_matchable = Quantity(metadata={"description": "Received, less returned and billed before"})
    received_value_fen = Fen(metadata={"description": "Goods received not invoiced this line clears"})
    price_ok = fields.Boolean()
    qty_ok = fields.Boolean()


class MatchIssueOut(Schema):
    sku = fields.String()
    kind = fields.String(metadata={"enum": ["price", "quantity", "not_on_order"]})
    invoiced_fen = Fen(metadata={"description": "price: the billed unit price"})
    ordered_fen = Fen(metadata={"description": "price: the ordered unit price"})
    invoiced = Quantity(metadata={"description": "quantity: billed"})
    matchable = Quantity(metadata={"description": "quantity: left to bill"})


class SupplierInvoiceOut(Schema):
    id = fields.String()
    store_id = fields.String()
    supplier_id = fields.String()
    supplier_name = fields.String()
    purchase_order_id = fields.String()
    purchase_order_number = fields.String()
    number = fields.String()
    issued_on = fields.Date()
    due_on = fields.Date()
    status = fields.String(metadata={"enum": list(SUPPLIER_INVOICE_STATES)})
    matched = fields.Function(lambda invoice: not invoice.issues, metadata={"description": "Three-way match held"})
    issues = fields.List(fields.Nested(MatchIssueOut))
    lines = fields.List(fields.Nested(SupplierInvoiceLineOut))
    total_fen = Fen()
    vat_fen = Fen()
    received_value_fen = Fen()
    paid_fen = Fen()
    credited_fen = Fen(metadata={"description": "Taken off by the supplier's credit notes"})
    due_fen = Fen()
    currency = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    business_date = fields.Date(allow_none=True)


class AllocationIn(Schema):
    supplier_invoice_id = fields.String(required=True)
    amount_fen = Fen(required=True, validate=validate.Range(min=1))


class CreditIn(Schema):
    supplier_credit_note_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    amount_fen = Fen(required=True, validate=validate.Range(min=1),
                     metadata={"description": "Of the note's unapplied rest"})


class SupplierPaymentCreate(Schema):
    method = fields.String(required=True, validate=validate.OneOf(SUPPLIER_PAYMENT_METHODS))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    allocations = fields.List(fields.Nested(AllocationIn), required=True, validate=validate.Length(min=1, max=100),
                              metadata={"description": "What each invoice is settled by (paid plus credited)"})
    credits = fields.List(fields.Nested(CreditIn), load_default=list, validate=validate.Length(max=50), metadata={
        "description": "The supplier's unapplied credit notes (same store) applied against the invoices: paid "
                       "from the bank or till is the allocations less these"})

    @validates_schema
    def _each_invoice_and_note_once(self, data, **_):
        ids = [item["supplier_invoice_id"] for item in data.get("allocations", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError("Each invoice appears once.", "allocations")
        notes = [item["supplier_credit_note_id"] for item in data.get("credits") or []]
        if len(notes) != len(set(notes)):
            raise ValidationError("Each credit note appears once.", "credits")


class AllocationOut(Schema):
    supplier_invoice_id = fields.String()
    number = fields.String()
    amount_fen = Fen(metadata={"description": "Settled on the invoice (paid plus credited)"})
    credited_fen = Fen(dump_default=0, metadata={"description": "Of it, settled by the credits applied"})


class CreditOut(Schema):
    supplier_credit_note_id = fields.String()
    number = fields.String()
    amount_fen = Fen()


class SupplierPaymentOut(Schema):
    id = fields.String()
    store_id = fields.String()
    supplier_id = fields.String()
    supplier_name = fields.String()
    method = fields.String(metadata={"enum": list(SUPPLIER_PAYMENT_METHODS)})
    amount_fen = Fen(metadata={"description": "Paid from the bank or the till"})
    credited_fen = Fen(metadata={"description": "Settled by the supplier's credit notes applied"})
    currency = fields.String()
    reference = fields.String(allow_none=True)
    allocations = fields.List(fields.Nested(AllocationOut))
    credits = fields.List(fields.Nested(CreditOut))
    paid_at = fields.DateTime()
    business_date = fields.Date()


class SupplierPaymentQuery(ListQuery):
    store_id = fields.String()
    supplier_id = fields.String()


class StatementQuery(Schema):
    store_id = fields.String()
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)


class StatementLineOut(Schema):
    date = fields.Date()
    kind = fields.String(metadata={"enum": ["invoice", "payment", "credit_note"]})
    id = fields.String()
    number = fields.String(allow_none=True, metadata={"description": "Invoice or credit note number, or the "
                                                                     "payment's reference"})
    store_id = fields.String()
    amount_fen = Fen(allow_negative=True, metadata={"description": "+ owed more (invoice), − paid or credited"})
    balance_fen = Fen(allow_negative=True)


class SupplierStatementOut(Schema):
    supplier_id = fields.String()
    supplier_name = fields.String(allow_none=True)
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    opening_balance_fen = Fen(allow_negative=True)
    lines = fields.List(fields.Nested(StatementLineOut))
    closing_balance_fen = Fen(allow_negative=True)


class SupplierCreditNoteCreate(Schema):
    store_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    supplier_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    supplier_invoice_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                                        metadata={"description": "The booked invoice it takes off"})
    purchase_order_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                                      metadata={"description": "The order the goods sent back came on (without an "
                                                               "invoice)"})
    return_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "inventory's return to supplier it credits"})
    number = fields.String(required=True, validate=validate.Length(min=1, max=60),
                           metadata={"description": "The supplier's credit note (红字发票) number"})
    issued_on = fields.Date(required=True)
    total_fen = Fen(required=True, validate=validate.Range(min=1), metadata={"description": "Tax included"})
    vat_fen = Fen(load_default=0, metadata={"description": "Input VAT it takes back (part of the total)"})
    returned_value_fen = Fen(load_default=None, allow_none=True, metadata={
        "description": "The goods sent back at the value inventory took them out at (the return's value_fen): "
                       "what the note clears on goods received not invoiced (2209); default the total less VAT, "
                       "any difference is purchase price variance"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _against_a_document_vat_within_total(self, data, **_):
        if not data.get("supplier_invoice_id") and not data.get("purchase_order_id"):
            raise ValidationError("Name the supplier invoice, or the purchase order of the goods sent back.",
                                  "supplier_invoice_id")
        if data.get("vat_fen", 0) > data.get("total_fen", 0):
            raise ValidationError("The VAT is part of the total.", "vat_fen")


class SupplierCreditNoteQuery(ListQuery):
    store_id = fields.String()
    supplier_id = fields.String()
    supplier_invoice_id = fields.String()
    open = fields.Boolean(metadata={"description": "true: only those with an unapplied rest (to apply on a payment)"})


class SupplierCreditNoteOut(Schema):
    id = fields.String()
    store_id = fields.String()
    supplier_id = fields.String()
    supplier_name = fields.String()
    supplier_invoice_id = fields.String(allow_none=True)
    supplier_invoice_number = fields.String(allow_none=True)
    purchase_order_id = fields.String(allow_none=True)
    return_id = fields.String(allow_none=True)
    number = fields.String()
    issued_on = fields.Date()
    total_fen = Fen()
    vat_fen = Fen()
    returned_value_fen = Fen(metadata={"description": "Cleared on goods received not invoiced (2209)"})
    applied_fen = Fen(metadata={"description": "Taken off the invoice it names or applied by supplier payments"})
    unapplied_fen = Fen(metadata={"description": "Left as a credit with the supplier"})
    reason = fields.String(allow_none=True)
    currency = fields.String()
    created_at = fields.DateTime()
    business_date = fields.Date()
