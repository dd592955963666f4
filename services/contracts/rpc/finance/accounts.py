"""Company accounts (挂账): accounts, members, charges of invoices, the company's
payments, monthly statements and the receivables ageing with the accounts."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import CreditCode, Fen, Name, Phone
from services.common.schemas import ListQuery

from .ageing import AgeingBuckets, ReceivablesAgeingOut
from .shared import MONTH


COMPANY_ACCOUNT_STATES = ("active", "suspended")
ACCOUNT_PAYMENT_METHODS = ("bank", "cash")


def stores(**options) -> fields.List:
    """The stores that may charge to an account."""
    return fields.List(fields.String(validate=validate.Length(min=1, max=64)), validate=validate.Length(min=1, max=500),
                       metadata={"description": "The stores that may charge to the account"}, **options)


class CompanyAccountCreate(Schema):
    name = Name(required=True, max_length=100, metadata={"description": "The company's name (billing title)"})
    tax_number = CreditCode(required=True, metadata={"description": "统一社会信用代码, check character verified"})
    contact_name = Name(load_default=None, allow_none=True)
    contact_phone = Phone(load_default=None, allow_none=True)
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    credit_limit_fen = Fen(required=True, metadata={"description": "What its open charges may reach"})
    payment_terms_days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=180),
                                        metadata={"description": "Charges fall due this many days after "
                                                                 "their statement month ends"})
    store_ids = stores(required=True)


class CompanyAccountPatch(Schema):
    contact_name = Name(allow_none=True)
    contact_phone = Phone(allow_none=True)
    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    credit_limit_fen = Fen()
    payment_terms_days = fields.Integer(validate=validate.Range(min=0, max=180))
    store_ids = stores()
    status = fields.String(validate=validate.OneOf(COMPANY_ACCOUNT_STATES))


class CompanyAccountQuery(ListQuery):
    store_id = fields.String(metadata={"description": "Accounts this store may charge to"})
    invoice_id = fields.String(metadata={"description": "Active accounts this invoice may be charged to"})
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "Name or tax number"})


class MemberCreate(Schema):
    customer_id = fields.String(validate=validate.Length(min=1, max=64))
    vehicle_id = fields.String(validate=validate.Length(min=1, max=64))

    @validates_schema
    def _one_of_them(self, data, **_):
        if bool(data.get("customer_id")) == bool(data.get("vehicle_id")):
            raise ValidationError("Give a customer or a vehicle (one of them).", "customer_id")


class MemberOut(Schema):
    id = fields.String()
    customer_id = fields.String(allow_none=True)
    vehicle_id = fields.String(allow_none=True)
    label = fields.String(metadata={"description": "The customer's name or the car's plate"})
    added_at = fields.DateTime()


class CompanyAccountOut(Schema):
    id = fields.String()
    name = fields.String()
    tax_number = fields.String()
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    credit_limit_fen = Fen()
    payment_terms_days = fields.Integer()
    store_ids = fields.List(fields.String())
    status = fields.String(metadata={"enum": list(COMPANY_ACCOUNT_STATES)})
    balance_fen = Fen(metadata={"description": "What its charges leave unpaid"})
    available_fen = fields.Function(lambda a: max(a.credit_limit_fen - a.balance_fen, 0),
                                    metadata={"type": "integer", "description": "Credit left"})
    currency = fields.String()
    created_at = fields.DateTime()
    members = fields.List(fields.Nested(MemberOut))
    overdue_fen = Fen(metadata={"description": "What charges past their due date leave unpaid today"})
    overdue_days = fields.Integer(metadata={"description": "Days the oldest overdue charge is late (0: none)"})


class AccountChargeCreate(Schema):
    account_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    amount_fen = Fen(required=True, validate=validate.Range(min=1))
    over_limit_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                                      metadata={"description": "A manager's reason to charge above the limit"})


class AccountChargeOut(Schema):
    id = fields.String()
    account_id = fields.String()
    invoice_id = fields.String()
    invoice_number = fields.String()
    store_id = fields.String()
    plate = fields.String(allow_none=True)
    amount_fen = Fen()
    paid_fen = Fen()
    due_fen = Fen()
    business_date = fields.Date()
    due_on = fields.Date()
    over_limit_reason = fields.String(allow_none=True)
    charged_at = fields.DateTime()


class AccountPaymentCreate(Schema):
    method = fields.String(required=True, validate=validate.OneOf(ACCOUNT_PAYMENT_METHODS))
    amount_fen = Fen(required=True, validate=validate.Range(min=1))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class AllocatedOut(Schema):
    """What a payment (a company's, an insurer's) paid of one document at one store."""
    invoice_number = fields.String()
    store_id = fields.String()
    amount_fen = Fen()


class AccountAllocationOut(AllocatedOut):
    charge_id = fields.String()


class ReceivedOut(Schema):
    """Money received against what a company account or an insurer owes."""
    id = fields.String()
    method = fields.String(metadata={"enum": list(ACCOUNT_PAYMENT_METHODS)})
    amount_fen = Fen()
    reference = fields.String(allow_none=True)
    received_at = fields.DateTime()
    business_date = fields.Date()


class AccountPaymentOut(ReceivedOut):
    account_id = fields.String()
    allocations = fields.List(fields.Nested(AccountAllocationOut))


class AccountStatementQuery(Schema):
    month = fields.String(load_default=None, validate=MONTH, metadata={"description": "YYYY-MM; default this month"})


class AccountStatementLineOut(Schema):
    date = fields.Date()
    kind = fields.String(metadata={"enum": ["charge", "payment"]})
    id = fields.String()
    store_id = fields.String(allow_none=True)
    plate = fields.String(allow_none=True)
    invoice_id = fields.String(allow_none=True)
    invoice_number = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    amount_fen = Fen(allow_negative=True, metadata={"description": "+ charged, − paid"})
    open_fen = Fen(allow_none=True, metadata={"description": "A charge: what it still leaves unpaid"})
    due_on = fields.Date(allow_none=True)
    balance_fen = Fen(allow_negative=True)


class AccountStatementOut(Schema):
    account_id = fields.String()
    name = fields.String()
    tax_number = fields.String()
    month = fields.String()
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    opening_balance_fen = Fen(allow_negative=True)
    lines = fields.List(fields.Nested(AccountStatementLineOut))
    closing_balance_fen = Fen(allow_negative=True)
    charged_fen = Fen()
    paid_fen = Fen()
    due_on = fields.Date(metadata={"description": "When the month's charges fall due"})
    credit_limit_fen = Fen()
    balance_fen = Fen(metadata={"description": "Open now"})


class AccountAgeingOut(AgeingBuckets):
    account_id = fields.String()
    name = fields.String()


class InsurerAgeingOut(AgeingBuckets):
    insurer_id = fields.String()
    name = fields.String()


class ReceivablesWithAccountsOut(ReceivablesAgeingOut):
    class Meta:
        export_rows = "stores"  # the stores' ageing; each company account's is on its own screen

    accounts = fields.List(fields.Nested(AccountAgeingOut),
                           metadata={"description": "Company accounts' open charges by days past due"})
    insurers = fields.List(fields.Nested(InsurerAgeingOut),
                           metadata={"description": "Insurers' open claims by days since they were put on them"})
