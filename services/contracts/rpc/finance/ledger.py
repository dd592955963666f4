"""The ledger: the chart of accounts, journal entries, the trial balance, and a store's finance settings."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Fen, TimeZone
from services.common.schemas import ListQuery

from .health_records import REPAIR_CATEGORIES


class AccountOut(Schema):
    code = fields.String()
    name = fields.String()
    type = fields.String()


class JournalQuery(ListQuery):
    store_id = fields.String()
    date = fields.Date(metadata={"description": "Store-local business day."})
    source_type = fields.String(validate=validate.Length(max=30),
                                metadata={"description": "invoice, invoice_void, deposit, payment, refund, card, "
                                                         "cogs, expense, close, settlement"})
    source_id = fields.String()


class JournalLineOut(Schema):
    account = fields.String()
    debit_fen = fields.Integer()
    credit_fen = fields.Integer()


class JournalEntryOut(Schema):
    id = fields.String()
    store_id = fields.String()
    business_date = fields.Date()
    source_type = fields.String()
    source_id = fields.String()
    memo = fields.String()
    currency = fields.String()
    posted_at = fields.DateTime()
    lines = fields.List(fields.Nested(JournalLineOut))

    class Meta:
        export_lines = "lines"  # exported as the journal: a row per account line


class TrialBalanceQuery(Schema):
    store_id = fields.String()
    as_of = fields.Date(load_default=None)


class AccountBalanceOut(Schema):
    code = fields.String()
    name = fields.String()
    type = fields.String()
    debit_fen = fields.Integer()
    credit_fen = fields.Integer()
    balance_debit_fen = fields.Integer()
    balance_credit_fen = fields.Integer()


class TrialBalanceOut(Schema):
    store_id = fields.String(allow_none=True)
    as_of = fields.Date(allow_none=True)
    accounts = fields.List(fields.Nested(AccountBalanceOut))
    total_debit_fen = fields.Integer()
    total_credit_fen = fields.Integer()
    balanced = fields.Boolean()


class SettingsPatch(Schema):
    time_zone = TimeZone()
    refund_approval_limit_fen = Fen()
    repair_licence_no = fields.String(allow_none=True, validate=validate.Regexp(
        r"^[0-9A-Za-z\u4e00-\u9fff()（）\-]{6,40}$"), metadata={
        "description": "维修企业许可证号 or 备案号: the shop's code at the provincial health-record system (6–40 "
                       "letters, digits or Chinese characters)"})
    repair_company_name = fields.String(allow_none=True, validate=validate.Length(min=2, max=100), metadata={
        "description": "The shop's registered name, as the health record names it"})
    repair_category = fields.String(allow_none=True, validate=validate.OneOf(REPAIR_CATEGORIES), metadata={
        "description": "维修企业类别: class_1 / class_2 / class_3 (一类/二类/三类: settled repairs are uploaded to the "
                       "health-record system) or none (nothing uploaded); unset: nothing uploaded"})


class SettingsOut(Schema):
    store_id = fields.String()
    time_zone = fields.String()
    refund_approval_limit_fen = fields.Integer()
    currency = fields.String()
    repair_licence_no = fields.String(allow_none=True)
    repair_company_name = fields.String(allow_none=True)
    repair_category = fields.String(allow_none=True, metadata={"enum": list(REPAIR_CATEGORIES)})
    uploads_health_records = fields.Boolean(metadata={"description": "Whether the store's settled repairs are "
                                                                     "uploaded (its category is 一类/二类/三类)"})
