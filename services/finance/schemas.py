"""finance's contract: request and response schemas shared by the service and the gateway."""
from __future__ import annotations


from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from services.common.fields import Code, Fen, Name, Quantity, TimeZone
from services.common.periods import COMPARISONS
from services.common.schemas import ListQuery

from .domain.books import EXPENSE_CATEGORIES, PAID_FROM
from .domain.retention import RETENTION
from .models import CARD_KINDS, INVOICE_STATES, METHODS

MONEY_IN = ("cash", "card", "wechat", "alipay")
MONTH = validate.Regexp(r"^(19|20)\d\d-(0[1-9]|1[0-2])$", error="A month is YYYY-MM (1900-2099).")


def positive(**kwargs):
    return Fen(validate=validate.Range(min=1, error="Must be more than zero."), **kwargs)


# -- invoices -----------------------------------------------------------------------------------------
class InvoiceLineOut(Schema):
    id = fields.String()
    line_id = fields.String(allow_none=True)
    kind = fields.String(metadata={"enum": ["labour", "part", "fee"]})
    description = fields.String()
    op_code = fields.String(allow_none=True)
    sku = fields.String(allow_none=True)
    hours = Quantity(allow_none=True)
    qty = Quantity()
    unit_price_fen = fields.Integer()
    discount_fen = fields.Integer()
    tax_rate = fields.String()
    tax_fen = fields.Integer()
    total_fen = fields.Integer()
    net_fen = fields.Integer(metadata={"description": "Tax excluded, after discount."})


class PaymentOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"enum": ["payment", "deposit"]})
    invoice_id = fields.String(allow_none=True)
    order_id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    method = fields.String(metadata={"enum": list(METHODS)})
    amount_fen = fields.Integer()
    refunded_fen = fields.Integer()
    currency = fields.String()
    reference = fields.String(allow_none=True)
    card_id = fields.String(allow_none=True)
    service_code = fields.String(allow_none=True)
    received_by = fields.String(allow_none=True)
    received_at = fields.DateTime()
    business_date = fields.Date()


class RetentionOut(Schema):
    kept_after_erasure = fields.List(fields.String())
    basis = fields.String()


class InvoiceOut(Schema):
    id = fields.String()
    number = fields.String()
    store_id = fields.String()
    order_id = fields.String()
    order_number = fields.String(allow_none=True)
    work_order_id = fields.String(allow_none=True)
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    advisor_id = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(INVOICE_STATES)})
    currency = fields.String()
    labour_fen = fields.Integer()
    parts_fen = fields.Integer()
    fees_fen = fields.Integer()
    discount_fen = fields.Integer()
    tax_fen = fields.Integer()
    total_fen = fields.Integer()
    deposit_fen = fields.Integer(metadata={"description": "Prepayment consumed (part of paid_fen)."})
    paid_fen = fields.Integer(metadata={"description": "Collected, deposit included, before refunds."})
    refunded_fen = fields.Integer()
    net_paid_fen = fields.Integer(metadata={"description": "paid_fen − refunded_fen; never negative."})
    due_fen = fields.Integer()
    billed_hours = Quantity()
    unbilled_parts = fields.List(fields.Dict(), metadata={"description": "Used but not on the contract."})
    issued_at = fields.DateTime()
    business_date = fields.Date()
    paid_at = fields.DateTime(allow_none=True)
    void_reason = fields.String(allow_none=True)
    voided_at = fields.DateTime(allow_none=True)
    voided_by = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(InvoiceLineOut))
    payments = fields.List(fields.Nested(PaymentOut), metadata={"description": "Single reads only."})
    retention = fields.Nested(RetentionOut, dump_default=RETENTION, metadata={
        "description": "An invoice is a legal (accounting) record: the fields a customer's erasure keeps, "
                       "and why. It copies no name, mobile, plate or VIN."})


class InvoiceQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(INVOICE_STATES))
    order_id = fields.String()
    customer_id = fields.String()


class VoidRequest(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


# -- payments and refunds -----------------------------------------------------------------------------
class PaymentCreate(Schema):
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    amount_fen = positive(required=True)
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                              metadata={"description": "Terminal / transaction reference."})
    card_id = fields.String(load_default=None, allow_none=True,
                            metadata={"description": "stored_value and package: the member card."})
    service_code = Code(load_default=None, allow_none=True,
                        metadata={"description": "package: the service redeemed (an op code)."})

    @validates_schema
    def _card_methods(self, data, **_):
        if data.get("method") in ("stored_value", "package") and not data.get("card_id"):
            raise ValidationError("Required for card payments.", "card_id")
        if data.get("method") == "package" and not data.get("service_code"):
            raise ValidationError("Required for package redemptions.", "service_code")


class PaymentResult(Schema):
    payment = fields.Nested(PaymentOut)
    invoice = fields.Nested(InvoiceOut)


class PaymentIntentCreate(Schema):
    provider = fields.String(required=True, validate=validate.OneOf(["wechat", "alipay"]),
                             metadata={"description": "wechat (WeChat Pay API v3) or alipay (Alipay open "
                                                      "platform, RSA2)."})
    channel = fields.String(required=True, validate=validate.OneOf(["qr", "h5"]),
                            metadata={"description": "qr: a code the customer scans at the till (WeChat Native, "
                                                     "Alipay precreate); h5: a link paid in the phone's browser "
                                                     "(WeChat H5, Alipay wap pay)."})
    amount_fen = positive(required=True)


class PaymentIntentOut(Schema):
    id = fields.String(metadata={"description": "Also the order number at the provider (out_trade_no)."})
    invoice_id = fields.String()
    invoice_number = fields.Function(lambda intent: intent.invoice.number)
    store_id = fields.String()
    provider = fields.String()
    channel = fields.String(metadata={"enum": ["qr", "h5"]})
    amount_fen = fields.Integer()
    currency = fields.String()
    status = fields.String(metadata={"enum": ["pending", "paid", "closed", "unapplied"], "description":
                                     "unapplied: paid at the provider when the invoice no longer owed it "
                                     "(to refund there)"})
    code_url = fields.Function(lambda intent: intent.pay_url if intent.channel == "qr" else None, allow_none=True,
                               metadata={"description": "qr: what the QR code encodes (weixin://…, "
                                                        "https://qr.alipay.com/…)."})
    pay_url = fields.Function(lambda intent: intent.pay_url if intent.channel == "h5" else None, allow_none=True,
                              metadata={"description": "h5: the link the customer opens."})
    transaction_id = fields.String(allow_none=True)
    payment_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    settled_at = fields.DateTime(allow_none=True)


class PaymentIntentQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(["pending", "paid", "closed", "unapplied"]),
                           metadata={"description": "unapplied: paid at the provider, not owed by the invoice."})


class RefundCreate(Schema):
    amount_fen = positive(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class RefundOut(Schema):
    id = fields.String()
    payment_id = fields.String()
    invoice_id = fields.String(allow_none=True)
    order_id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    method = fields.String()
    amount_fen = fields.Integer()
    currency = fields.String()
    reason = fields.String()
    requested_by = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    business_date = fields.Date()
    status = fields.String(dump_default="issued", metadata={
        "enum": ["issued", "pending", "failed"], "description": "issued: recorded. A refund of money a payment "
        "provider took is asked of the provider first: pending (the id is then the refund's number at the "
        "provider) until it confirms, when the refund is recorded on the payment, or failed."})


# -- member cards -------------------------------------------------------------------------------------
class TopUpCreate(Schema):
    amount_fen = positive(required=True, metadata={"description": "What the customer pays."})
    bonus_fen = Fen(load_default=0, metadata={"description": "Given on top (accounted apart)."})
    method = fields.String(required=True, validate=validate.OneOf(MONEY_IN))
    store_id = fields.String(load_default=None, allow_none=True,
                             metadata={"description": "Store taking the money (default: the card's)."})


class PackageItemIn(Schema):
    service_code = Code(required=True)
    name = Name(required=True, max_length=100)
    units = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=1000))


class CardCreate(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CARD_KINDS))
    customer_id = fields.String(required=True)
    store_id = fields.String(required=True)
    top_up = fields.Nested(TopUpCreate, load_default=None, allow_none=True,
                           metadata={"description": "stored_value: an opening top-up."})
    package_name = Name(max_length=100)
    items = fields.List(fields.Nested(PackageItemIn), validate=validate.Length(min=1, max=20))
    price_fen = Fen()
    method = fields.String(validate=validate.OneOf(MONEY_IN))
    expires_on = fields.Date(load_default=None, allow_none=True)
    valid_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=3660))

    @validates_schema
    def _package(self, data, **_):
        if data.get("kind") == "package":
            missing = [f for f in ("package_name", "items", "price_fen", "method") if data.get(f) in (None, [])]
            if missing:
                raise ValidationError({f: ["Required for a package."] for f in missing})
            codes = [item["service_code"] for item in data["items"]]
            if len(set(codes)) != len(codes):
                raise ValidationError("Each service once.", "items")


class CardCancel(Schema):
    method = fields.String(required=True, validate=validate.OneOf(MONEY_IN),
                           metadata={"description": "How the unused paid balance goes back."})


class PackageItemOut(Schema):
    service_code = fields.String()
    name = fields.String()
    units_total = fields.Integer()
    units_left = fields.Integer()
    value_left_fen = fields.Integer()


class CardTransactionOut(Schema):
    id = fields.String()
    store_id = fields.String()
    kind = fields.String()
    paid_delta_fen = fields.Integer()
    bonus_delta_fen = fields.Integer()
    service_code = fields.String(allow_none=True)
    units_delta = fields.Integer()
    payment_id = fields.String(allow_none=True)
    method = fields.String(allow_none=True)
    created_at = fields.DateTime()
    business_date = fields.Date()


class CardOut(Schema):
    id = fields.String()
    number = fields.String()
    kind = fields.String(metadata={"enum": list(CARD_KINDS)})
    status = fields.String()
    customer_id = fields.String()
    store_id = fields.String()
    currency = fields.String()
    paid_balance_fen = fields.Integer()
    bonus_balance_fen = fields.Integer()
    balance_fen = fields.Integer()
    package_name = fields.String(allow_none=True)
    price_fen = fields.Integer()
    expires_on = fields.Date(allow_none=True)
    items = fields.List(fields.Nested(PackageItemOut))
    transactions = fields.List(fields.Nested(CardTransactionOut), metadata={"description": "Single reads only."})
    created_at = fields.DateTime()
    cancelled_at = fields.DateTime(allow_none=True)


class CardQuery(ListQuery):
    customer_id = fields.String()
    store_id = fields.String(metadata={"description": "Issuing store."})
    number = fields.String()


# -- expenses -----------------------------------------------------------------------------------------
class ExpenseCreate(Schema):
    store_id = fields.String(required=True)
    category = fields.String(required=True, validate=validate.OneOf(EXPENSE_CATEGORIES))
    amount_fen = positive(required=True)
    paid_from = fields.String(load_default="cash", validate=validate.OneOf(tuple(PAID_FROM)))
    incurred_on = fields.Date(load_default=None, allow_none=True)
    vendor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    attachments = fields.List(fields.String(validate=validate.Length(min=1, max=500)), load_default=list,
                              validate=validate.Length(max=20),
                              metadata={"description": "References to receipts (file ids or URLs)."})


class ExpenseOut(Schema):
    id = fields.String()
    store_id = fields.String()
    category = fields.String()
    amount_fen = fields.Integer()
    currency = fields.String()
    paid_from = fields.String()
    incurred_on = fields.Date()
    business_date = fields.Date()
    vendor = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    attachments = fields.List(fields.String())
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ExpenseQuery(ListQuery):
    store_id = fields.String()
    category = fields.String(validate=validate.OneOf(EXPENSE_CATEGORIES))
    from_ = fields.Date(data_key="from")
    to = fields.Date()


# -- reports ------------------------------------------------------------------------------------------
class DailyCloseQuery(Schema):
    store_id = fields.String(required=True)
    date = fields.Date(required=True)


class DailyCloseCreate(Schema):
    store_id = fields.String(required=True)
    date = fields.Date(required=True)
    cash_counted_fen = Fen(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class DailyCloseOut(Schema):
    store_id = fields.String()
    date = fields.String()
    time_zone = fields.String()
    closed = fields.Boolean()
    takings = fields.Dict(keys=fields.String(), values=fields.Integer())
    takings_total_fen = fields.Integer()
    card_sales = fields.Dict(keys=fields.String(), values=fields.Integer())
    refunds = fields.Dict(keys=fields.String(), values=fields.Integer())
    refunds_total_fen = fields.Integer()
    invoices_issued = fields.Integer()
    invoiced_fen = fields.Integer()
    invoices_paid = fields.Integer()
    paid_invoices_fen = fields.Integer()
    open_receivables_fen = fields.Integer()
    cash_expected_fen = fields.Integer()
    cash_counted_fen = fields.Integer(allow_none=True)
    difference_fen = fields.Integer(allow_none=True)
    closed_by = fields.String(allow_none=True)
    closed_at = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class MonthQuery(Schema):
    store_id = fields.String()
    month = fields.String(required=True, validate=MONTH)


class StoreMonthQuery(MonthQuery):
    store_id = fields.String(required=True)


TREND_DAYS = {"day": 366, "week": 5 * 366, "month": 20 * 366}
"""The longest range of a trend by each period (every period is a row, the empty ones too)."""


class PeriodQuery(Schema):
    store_id = fields.String(metadata={"description": "None: the caller's stores (HQ: every store)."})
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    group = fields.String(load_default="store",
                          validate=validate.OneOf(("store", "day", "week", "month", "chain")),
                          metadata={"description": "One row per store; per store and day/week/month (trend); or "
                                                   "`chain`: one row for all the stores (store_id null)."})

    @validates_schema
    def _order(self, data, **_):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("Must not be before from.", "to")
        longest = TREND_DAYS.get(data.get("group", "store"))
        if longest and data.get("from_") and data.get("to") and (data["to"] - data["from_"]).days >= longest:
            raise ValidationError(f"At most {longest} days for a trend by {data['group']}.", "to")


class KpiQuery(PeriodQuery):
    compare = fields.List(fields.String(validate=validate.OneOf(tuple(COMPARISONS))), load_default=list,
                          metadata={"description": "Comma-separated: `previous` (the as-long period just before), "
                                                   "`last_year` (the same days a year earlier); each row then "
                                                   "carries its store's (or the chain's) figures for them. Not "
                                                   "with a trend grouping."})

    @pre_load
    def _split(self, data, **_):
        if isinstance(data.get("compare"), str):
            data = {**data, "compare": [name for name in data["compare"].split(",") if name]}
        return data

    @validates_schema
    def _whole_range(self, data, **_):
        if data.get("compare") and data.get("group") not in ("store", "chain"):
            raise ValidationError("Must be one of: store, chain.", "group")


class TrialBalanceQuery(Schema):
    store_id = fields.String()
    as_of = fields.Date(load_default=None)


class ReconciliationQuery(Schema):
    store_id = fields.String(metadata={"description": "One store; without it the caller's stores (HQ: all)"})


class BookSidesOut(Schema):
    """finance's sides of a store's invariants (account balances are debit minus credit, payables
    credit minus debit)."""
    store_id = fields.String()
    inventory_fen = Fen(allow_negative=True, metadata={"description": "1405 inventory"})
    in_transit_fen = Fen(allow_negative=True, metadata={"description": "1402 goods in transit"})
    debit_fen = Fen(metadata={"description": "All debits of the store's journal"})
    credit_fen = Fen(metadata={"description": "All credits of the store's journal"})
    payables_fen = Fen(allow_negative=True, metadata={"description": "2202 accounts payable"})
    receivables_fen = Fen(allow_negative=True, metadata={"description": "1122 accounts receivable"})
    open_supplier_invoices_fen = Fen(metadata={"description": "What booked supplier invoices leave unpaid"})
    open_invoices_fen = Fen(allow_negative=True,
                            metadata={"description": "What issued customer invoices leave unpaid"})


class InvariantOut(Schema):
    code = fields.String(metadata={"enum": ["debits_equal_credits", "inventory_account_equals_stock_value",
                                            "in_transit_account_equals_stock_in_transit",
                                            "payables_equal_open_supplier_invoices",
                                            "receivables_equal_open_invoices"]})
    left = fields.String(metadata={"description": "What the left side is, e.g. `finance:1405`"})
    left_fen = Fen(allow_negative=True)
    right = fields.String(metadata={"description": "What the right side is, e.g. `inventory:valuation.value_fen`"})
    right_fen = Fen(allow_negative=True)
    difference_fen = Fen(allow_negative=True, metadata={"description": "left − right; 0 when it holds"})


class StoreReconciliationOut(Schema):
    store_id = fields.String()
    invariants = fields.List(fields.Nested(InvariantOut))
    ok = fields.Boolean(metadata={"description": "Every difference is zero"})


class ReconciliationOut(Schema):
    stores = fields.List(fields.Nested(StoreReconciliationOut))
    ok = fields.Boolean()


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


class PnlOut(Schema):
    month = fields.String()
    store_ids = fields.List(fields.String(), allow_none=True)
    revenue = fields.Dict(keys=fields.String(), values=fields.Integer())
    gross_revenue_fen = fields.Integer()
    discounts_fen = fields.Integer()
    refunds_fen = fields.Integer()
    net_revenue_fen = fields.Integer()
    cogs_fen = fields.Integer()
    gross_profit_fen = fields.Integer()
    gross_margin_pct = fields.String(allow_none=True)
    expenses = fields.Dict(keys=fields.String(), values=fields.Integer())
    expenses_total_fen = fields.Integer()
    net_profit_fen = fields.Integer()


class KpiOut(Schema):
    store_id = fields.String(allow_none=True, metadata={"description": "Null on the `chain` row."})
    period = fields.String(allow_none=True, metadata={"description": "Day, ISO week (2026-W48) or month."})
    car_count = fields.Integer()
    sales_fen = fields.Integer(metadata={"description": "Tax excluded, after discount."})
    labour_fen = fields.Integer()
    parts_fen = fields.Integer()
    fees_fen = fields.Integer()
    aro_fen = fields.Integer(allow_none=True, metadata={"description": "Average repair order: sales ÷ cars."})
    parts_cost_fen = fields.Integer()
    parts_gross_profit_fen = fields.Integer()
    parts_gross_profit_pct = fields.String(allow_none=True)
    billed_hours = fields.String()
    clocked_hours = fields.String()
    effective_labour_rate_fen = fields.Integer(allow_none=True)
    technician_efficiency_pct = fields.String(allow_none=True)
    sales_by_category = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                    metadata={"description": "Labour by operation code, parts, fees (tax excluded)."})
    # joined at the gateway from the services that own them (per-store rows only)
    close_ratio_pct = Quantity(allow_none=True, metadata={"description": "sales: approved / presented quotes"})
    comeback_rate_pct = Quantity(allow_none=True, metadata={"description": "workshop: comebacks / completed"})
    first_time_qc_pass_pct = Quantity(allow_none=True, metadata={"description": "workshop"})
    technician_productivity_pct = Quantity(allow_none=True, metadata={"description": "workshop: clocked / shift hours"})
    labour_cost_fen = fields.Integer(allow_none=True, metadata={"description": "workshop: clocked hours × hourly cost"})
    labour_gross_profit_pct = fields.String(allow_none=True,
                                            metadata={"description": "(labour − labour cost) / labour"})
    average_satisfaction = fields.Float(allow_none=True, metadata={"description": "crm: follow-up scores 1–5"})


class ComparedKpiOut(KpiOut):
    previous = fields.Nested(KpiOut, allow_none=True,
                             metadata={"description": "With compare=previous: the same row over the period before "
                                                      "(null: the store had no row then)."})
    last_year = fields.Nested(KpiOut, allow_none=True,
                              metadata={"description": "With compare=last_year: the same row a year earlier."})


class PeriodOut(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()


class KpisOut(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    group = fields.String()
    items = fields.List(fields.Nested(ComparedKpiOut))
    previous = fields.Nested(PeriodOut, metadata={"description": "With compare=previous: the days compared with."})
    last_year = fields.Nested(PeriodOut, metadata={"description": "With compare=last_year: the days compared with."})
    owned_elsewhere = fields.Dict(keys=fields.String(), values=fields.String())


class CommissionItemOut(Schema):
    employee_id = fields.String()
    role = fields.String(metadata={"enum": ["technician", "advisor"]})
    labour_fen = fields.Integer()
    parts_fen = fields.Integer()
    sales_fen = fields.Integer()
    total_fen = fields.Integer()
    revenue_fen = fields.Integer()
    invoices = fields.Integer()
    target_fen = fields.Integer(allow_none=True)
    achievement_pct = fields.String(allow_none=True)


class CommissionsOut(Schema):
    store_id = fields.String()
    month = fields.String()
    rule = fields.Dict()
    items = fields.List(fields.Nested(CommissionItemOut))
    total_fen = fields.Integer()


class CommissionRuleIn(Schema):
    labour_pct = Quantity(validate=validate.Range(min=0, max=100))
    labour_per_hour_fen = Fen()
    parts_gp_pct = Quantity(validate=validate.Range(min=0, max=100))
    sales_pct = Quantity(validate=validate.Range(min=0, max=100))


class CommissionRuleOut(Schema):
    store_id = fields.String()
    labour_pct = fields.String()
    labour_per_hour_fen = fields.Integer()
    parts_gp_pct = fields.String()
    sales_pct = fields.String()


class TargetIn(Schema):
    employee_id = fields.String(required=True)
    month = fields.String(required=True, validate=MONTH)
    target_fen = positive(required=True)


class TargetOut(Schema):
    store_id = fields.String()
    employee_id = fields.String()
    month = fields.String()
    target_fen = fields.Integer()


class SettingsPatch(Schema):
    time_zone = TimeZone()
    refund_approval_limit_fen = Fen()


class SettingsOut(Schema):
    store_id = fields.String()
    time_zone = fields.String()
    refund_approval_limit_fen = fields.Integer()
    currency = fields.String()




class SettlementQuery(Schema):
    store_id = fields.String(required=True)


class SettlementPositionOut(Schema):
    store_id = fields.String(metadata={"description": "The other store."})
    receivable_fen = fields.Integer(metadata={"description": "It owes us: our service paid by its cards."})
    payable_fen = fields.Integer(metadata={"description": "We owe it: its service paid by our cards."})
    net_fen = fields.Integer()


class SettlementPositionsOut(Schema):
    store_id = fields.String()
    items = fields.List(fields.Nested(SettlementPositionOut))


class SettleRequest(Schema):
    debtor_store_id = fields.String(required=True)
    creditor_store_id = fields.String(required=True)


class SettlementOut(Schema):
    debtor_store_id = fields.String()
    creditor_store_id = fields.String()
    amount_fen = fields.Integer()
    records = fields.Integer()
    reference = fields.String()


class PaymentQuery(ListQuery):
    store_id = fields.String()
    date = fields.Date(metadata={"description": "Store-local business day."})
    method = fields.String(validate=validate.OneOf(METHODS + ("transfer",)))


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


class AccountOut(Schema):
    code = fields.String()
    name = fields.String()
    type = fields.String()
