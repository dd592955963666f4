"""Insurers' claims (事故车): insurers, the share of an invoice put on an insurer under the claim's number
(报案号), the insurer's remittances (赔款到账) against named claims, a manager's write-off of what an insurer
will not pay, a manager's void of a claim put on an insurer by mistake, the statement per insurer with its
ageing and the insurer's monthly statement."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import CreditCode, Fen, Name, Phone
from services.common.schemas import ListQuery

from .accounts import (ACCOUNT_PAYMENT_METHODS, COMPANY_ACCOUNT_STATES, AccountStatementQuery, AllocatedOut,
                       ReceivedOut, stores)
from .ageing import AgeingBuckets
from .fapiao import FAPIAO_STATES, FAPIAO_TYPES

INSURER_STATES = COMPANY_ACCOUNT_STATES
CLAIM_STATES = ("open", "paid", "written_off", "voided")
MONTH_LINE_KINDS = ("opened", "remitted", "written_off", "voided")
CLAIM_NUMBER = validate.Regexp(r"^[0-9A-Za-z\-]{4,40}$", error="A claim number (报案号) is 4 to 40 letters and digits.")


class InsurerCreate(Schema):
    name = Name(required=True, max_length=100, metadata={"description": "The insurer (保险公司), e.g. 中国人保财险"})
    tax_number = CreditCode(load_default=None, allow_none=True,
                            metadata={"description": "统一社会信用代码 (check character verified), for its fapiao"})
    contact_name = Name(load_default=None, allow_none=True, metadata={"description": "The claims adjuster (定损员)"})
    contact_phone = Phone(load_default=None, allow_none=True)
    store_ids = stores(required=True)


class InsurerPatch(Schema):
    tax_number = CreditCode(allow_none=True, metadata={"description": "统一社会信用代码, for its fapiao"})
    contact_name = Name(allow_none=True)
    contact_phone = Phone(allow_none=True)
    store_ids = stores()
    status = fields.String(validate=validate.OneOf(INSURER_STATES))


class InsurerQuery(ListQuery):
    store_id = fields.String(metadata={"description": "Insurers this store may put claims on"})
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "Part of the name"})


class InsurerOut(Schema):
    id = fields.String()
    name = fields.String()
    tax_number = fields.String(allow_none=True)
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    store_ids = fields.List(fields.String())
    status = fields.String(metadata={"enum": list(INSURER_STATES)})
    balance_fen = Fen(metadata={"description": "What its claims leave open"})
    open_claims = fields.Integer(metadata={"description": "How many of its claims are open"})
    created_at = fields.DateTime()


class ClaimCreate(Schema):
    insurer_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    claim_number = fields.String(required=True, validate=CLAIM_NUMBER,
                                 metadata={"description": "报案号: once per insurer (409 `claim_number_taken`)"})
    amount_fen = Fen(required=True, validate=validate.Range(min=1),
                     metadata={"description": "The insurer's share; the customer pays the rest (免赔额) at the till"})
    assessed_fen = Fen(load_default=None, allow_none=True, validate=validate.Range(min=1),
                       metadata={"description": "定损金额: the share may not exceed it"})

    @validates_schema
    def _within_assessment(self, data, **_):
        if data.get("assessed_fen") is not None and data["amount_fen"] > data["assessed_fen"]:
            raise ValidationError("The insurer's share is at most the assessed amount.", "amount_fen")


class ClaimQuery(ListQuery):
    store_id = fields.String(metadata={"description": "One store's claims; default the caller's stores"})
    insurer_id = fields.String()
    invoice_id = fields.String()
    status = fields.String(validate=validate.OneOf(CLAIM_STATES))
    q = fields.String(validate=validate.Length(min=1, max=40), metadata={"description": "Claim number or plate"})


class ClaimFapiaoOut(Schema):
    """The insurer's fapiao for a claim's share (the newest asked for)."""
    id = fields.String()
    status = fields.String(metadata={"enum": list(FAPIAO_STATES)})
    amount_fen = fields.Integer()
    number = fields.String(allow_none=True, metadata={"description": "数电票号码"})
    issued_at = fields.DateTime(allow_none=True)
    pdf_url = fields.String(allow_none=True)
    ofd_url = fields.String(allow_none=True)
    failure = fields.String(allow_none=True)


class ClaimFapiaoRequest(Schema):
    type = fields.String(load_default="normal", validate=validate.OneOf(FAPIAO_TYPES), metadata={
        "description": "normal: 普通发票; special: 专用发票 (the insurer's tax number is on either)"})
    buyer_email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=100),
                               metadata={"description": "Where the provider e-mails it, if anywhere"})


class ClaimOut(Schema):
    id = fields.String()
    insurer_id = fields.String()
    insurer_name = fields.String()
    claim_number = fields.String()
    invoice_id = fields.String()
    invoice_number = fields.String()
    store_id = fields.String()
    plate = fields.String(allow_none=True)
    assessed_fen = Fen(allow_none=True)
    amount_fen = Fen()
    paid_fen = Fen()
    written_off_fen = Fen()
    open_fen = Fen()
    write_off_reason = fields.String(allow_none=True)
    written_off_on = fields.Date(allow_none=True, metadata={"description": "The store's day of the write-off"})
    void_reason = fields.String(allow_none=True)
    voided_on = fields.Date(allow_none=True, metadata={"description": "The store's day it was voided"})
    voided_at = fields.DateTime(allow_none=True)
    status = fields.String(metadata={"enum": list(CLAIM_STATES)})
    business_date = fields.Date()
    age_days = fields.Integer(metadata={"description": "Days since it was put on the insurer (its store's today)"})
    created_at = fields.DateTime()
    fapiao = fields.Nested(ClaimFapiaoOut, allow_none=True, metadata={
        "description": "The insurer's fapiao for the claim's share, the newest; null: none asked for"})


class RemittanceLineIn(Schema):
    claim_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    amount_fen = Fen(required=True, validate=validate.Range(min=1))


class RemittanceCreate(Schema):
    method = fields.String(load_default="bank", validate=validate.OneOf(ACCOUNT_PAYMENT_METHODS))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                              metadata={"description": "The insurer's remittance reference (赔款流水号)"})
    lines = fields.List(fields.Nested(RemittanceLineIn), required=True, validate=validate.Length(min=1, max=200),
                        metadata={"description": "The claims it pays, each up to what it leaves open"})

    @validates_schema
    def _each_claim_once(self, data, **_):
        claims = [line["claim_id"] for line in data.get("lines", ())]
        if len(claims) != len(set(claims)):
            raise ValidationError("Name each claim once.", "lines")


class RemittanceAllocationOut(AllocatedOut):
    claim_id = fields.String()
    claim_number = fields.String()


class RemittanceOut(ReceivedOut):
    insurer_id = fields.String()
    allocations = fields.List(fields.Nested(RemittanceAllocationOut))


class WriteOffCreate(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200),
                           metadata={"description": "Why the insurer will not pay the rest (e.g. 定损核减)"})


class VoidCreate(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200),
                           metadata={"description": "Why it was put on the insurer by mistake (e.g. 报案号有误)"})


class InsurerStatementQuery(Schema):
    from_ = fields.Date(data_key="from", load_default=None, metadata={"description": "Claims put on it from this day"})
    to = fields.Date(load_default=None, metadata={"description": "… to this day"})
    open_only = fields.Boolean(load_default=False)


class InsurerStatementOut(Schema):
    insurer_id = fields.String()
    name = fields.String()
    as_of = fields.Date()
    claims = fields.List(fields.Nested(ClaimOut), metadata={"description": "Oldest first"})
    amount_fen = Fen(metadata={"description": "The sum of the claims' amounts listed"})
    paid_fen = Fen()
    written_off_fen = Fen()
    open_fen = Fen()
    ageing = fields.Nested(AgeingBuckets, metadata={"description": "The open claims listed by days since put on it"})



class InsurerMonthQuery(AccountStatementQuery):
    """The month of an insurer's monthly statement (YYYY-MM; default this month)."""


class InsurerMonthLineOut(Schema):
    date = fields.Date(metadata={"description": "The store's day"})
    kind = fields.String(metadata={"enum": list(MONTH_LINE_KINDS)})
    claim_id = fields.String()
    claim_number = fields.String()
    store_id = fields.String()
    plate = fields.String(allow_none=True)
    invoice_number = fields.String()
    reference = fields.String(allow_none=True, metadata={"description": "remitted: the remittance's reference"})
    reason = fields.String(allow_none=True, metadata={"description": "written off or voided: why"})
    amount_fen = Fen(metadata={"description": "Opened: the claim's amount; else what it took off the balance"})


class InsurerMonthOut(Schema):
    insurer_id = fields.String()
    name = fields.String()
    month = fields.String()
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    opening_balance_fen = Fen(metadata={"description": "What the claims at the caller's stores left open before"})
    lines = fields.List(fields.Nested(InsurerMonthLineOut), metadata={"description": "By kind, then day"})
    opened_fen = Fen(metadata={"description": "The sum of the opened lines"})
    remitted_fen = Fen()
    written_off_fen = Fen()
    voided_fen = Fen()
    closing_balance_fen = Fen(metadata={"description": "opening + opened − remitted − written off − voided"})
