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
    due_fen = Fen()
    currency = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    business_date = fields.Date(allow_none=True)


class AllocationIn(Schema):
    supplier_invoice_id = fields.String(required=True)
    amount_fen = Fen(required=True, validate=validate.Range(min=1))


class SupplierPaymentCreate(Schema):
    method = fields.String(required=True, validate=validate.OneOf(SUPPLIER_PAYMENT_METHODS))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    allocations = fields.List(fields.Nested(AllocationIn), required=True, validate=validate.Length(min=1, max=100))

    @validates_schema
    def _each_invoice_once(self, data, **_):
        ids = [item["supplier_invoice_id"] for item in data.get("allocations", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError("Each invoice appears once.", "allocations")


class AllocationOut(Schema):
    supplier_invoice_id = fields.String()
    number = fields.String()
    amount_fen = Fen()


class SupplierPaymentOut(Schema):
    id = fields.String()
    store_id = fields.String()
    supplier_id = fields.String()
    supplier_name = fields.String()
    method = fields.String(metadata={"enum": list(SUPPLIER_PAYMENT_METHODS)})
    amount_fen = Fen()
    currency = fields.String()
    reference = fields.String(allow_none=True)
    allocations = fields.List(fields.Nested(AllocationOut))
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
    kind = fields.String(metadata={"enum": ["invoice", "payment"]})
    id = fields.String()
    number = fields.String(allow_none=True, metadata={"description": "Invoice number, or the payment's reference"})
    store_id = fields.String()
    amount_fen = Fen(allow_negative=True, metadata={"description": "+ owed more (invoice), − paid"})
    balance_fen = Fen(allow_negative=True)


class SupplierStatementOut(Schema):
    supplier_id = fields.String()
    supplier_name = fields.String(allow_none=True)
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    opening_balance_fen = Fen(allow_negative=True)
    lines = fields.List(fields.Nested(StatementLineOut))
    closing_balance_fen = Fen(allow_negative=True)
