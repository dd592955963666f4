"""finance's own tables: the billing basis of each order (from `sales.order_confirmed`), invoices with
their lines and jobs, payments (deposits included) and refunds, member cards with their balance
ledger, the double-entry journal, costs of goods sold, expenses, daily closes, commission rules and
targets, per-store finance settings. Money is integer fen (BigInteger) with a currency; hours and
quantities are exact decimals."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.db import UTCDateTime, service_metadata, utcnow
from services.common.ids import new_id
from services.common.audit import add_audit_table
from services.common.outbox import add_infrastructure_tables
from services.contracts.rpc.finance.health_records import UPLOADING_CATEGORIES


class Base(DeclarativeBase):
    metadata = service_metadata()


add_infrastructure_tables(Base.metadata)
add_audit_table(Base.metadata)

MONEY = BigInteger
QTY = Numeric(12, 3)
ID = String(26)
EXT_ID = String(64)  # ids of other services' records (opaque strings)

CARD_STATES = ("active", "cancelled")


class StoreSettings(Base):
    """Per-store finance settings; a store without a row uses the defaults."""
    __tablename__ = "store_settings"

    store_id: Mapped[str] = mapped_column(EXT_ID, primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    refund_approval_limit_fen: Mapped[int] = mapped_column(MONEY, default=50_000)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    repair_licence_no: Mapped[str | None] = mapped_column(
        String(40), comment="维修企业许可证号 or 备案号: the shop's companycode at the provincial health-record system")
    repair_company_name: Mapped[str | None] = mapped_column(String(100), comment="the shop's registered name")
    repair_category: Mapped[str | None] = mapped_column(
        String(8), comment="维修企业类别: class_1 | class_2 | class_3 (upload health records) | none; unset: not "
                           "declared (no uploads)")
    store_code: Mapped[str | None] = mapped_column(
        String(20), comment="the store's code (the gateway's): names its keys files under PROVIDER_KEYS_DIR")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def uploads_health_records(self) -> bool:
        """一类/二类/三类 repair shops upload each settled repair's record; others (or undeclared) do not."""
        return self.repair_category in UPLOADING_CATEGORIES


class BillingBasis(Base):
    """The contracted order as `sales.order_confirmed` carried it: what the invoice will bill."""
    __tablename__ = "billing_bases"

    order_id: Mapped[str] = mapped_column(EXT_ID, primary_key=True)
    order_number: Mapped[str] = mapped_column(String(40))
    store_id: Mapped[str] = mapped_column(EXT_ID)
    customer_id: Mapped[str] = mapped_column(EXT_ID)
    vehicle_id: Mapped[str | None] = mapped_column(EXT_ID)
    advisor_id: Mapped[str | None] = mapped_column(EXT_ID)
    lines: Mapped[list] = mapped_column(JSON)
    totals: Mapped[dict] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(20), default="confirmed", comment="confirmed | cancelled")
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    order_id: Mapped[str] = mapped_column(EXT_ID)
    order_number: Mapped[str | None] = mapped_column(String(40))
    work_order_id: Mapped[str | None] = mapped_column(EXT_ID)
    customer_id: Mapped[str] = mapped_column(EXT_ID)
    vehicle_id: Mapped[str | None] = mapped_column(EXT_ID)
    advisor_id: Mapped[str | None] = mapped_column(EXT_ID)
    status: Mapped[str] = mapped_column(String(20), default="issued")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    labour_fen: Mapped[int] = mapped_column(MONEY, comment="net of discount, tax excluded")
    parts_fen: Mapped[int] = mapped_column(MONEY)
    fees_fen: Mapped[int] = mapped_column(MONEY)
    discount_fen: Mapped[int] = mapped_column(MONEY, comment="tax included as priced")
    tax_fen: Mapped[int] = mapped_column(MONEY)
    total_fen: Mapped[int] = mapped_column(MONEY, comment="what the customer owes, tax included")
    deposit_fen: Mapped[int] = mapped_column(MONEY, default=0, comment="prepayment consumed at issue")
    paid_fen: Mapped[int] = mapped_column(MONEY, default=0, comment="collected incl. deposit, before refunds")
    refunded_fen: Mapped[int] = mapped_column(MONEY, default=0)
    billed_hours: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    clocked_hours: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    comeback: Mapped[bool] = mapped_column(Boolean, default=False)
    unbilled_parts: Mapped[list] = mapped_column(JSON, default=list,
                                                 comment="parts used with no contracted line (no price)")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    business_date: Mapped[date] = mapped_column(Date, comment="store-local day of issue")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by: Mapped[str | None] = mapped_column(EXT_ID)

    lines: Mapped[list["InvoiceLine"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                      order_by="InvoiceLine.position")
    jobs: Mapped[list["InvoiceJob"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                    order_by="InvoiceJob.id")

    __table_args__ = (Index("ix_invoices_order", "order_id"),
                      # one open invoice per order; a void one may be followed by a new one
                      Index("uq_invoices_open_order", "order_id", unique=True,
                            postgresql_where=text("status <> 'void'"), sqlite_where=text("status <> 'void'")),
                      Index("ix_invoices_store_status", "store_id", "status", "id"),
                      Index("ix_invoices_store_date", "store_id", "business_date"),
                      Index("ix_invoices_date", "business_date"),  # the chain's KPIs
                      Index("ix_invoices_customer", "customer_id", "id"),
                      # a store's retention: its customers' days, from the index alone
                      Index("ix_invoices_store_customer_date", "store_id", "customer_id", "business_date",
                            postgresql_where=text("status <> 'void'"), sqlite_where=text("status <> 'void'")))

    @property
    def due_fen(self) -> int:
        return 0 if self.status == "void" else self.total_fen - self.paid_fen

    @property
    def net_paid_fen(self) -> int:
        return self.paid_fen - self.refunded_fen


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    line_id: Mapped[str | None] = mapped_column(EXT_ID, comment="the order line it bills")
    kind: Mapped[str] = mapped_column(String(10), comment="labour | part | fee")
    description: Mapped[str] = mapped_column(String(200))
    op_code: Mapped[str | None] = mapped_column(String(40))
    sku: Mapped[str | None] = mapped_column(String(64))
    hours: Mapped[Decimal | None] = mapped_column(QTY)
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_price_fen: Mapped[int] = mapped_column(MONEY)
    discount_fen: Mapped[int] = mapped_column(MONEY)
    tax_rate: Mapped[str] = mapped_column(String(10))
    tax_fen: Mapped[int] = mapped_column(MONEY)
    total_fen: Mapped[int] = mapped_column(MONEY, comment="after discount, tax included")

    @property
    def net_fen(self) -> int:
        return self.total_fen - self.tax_fen


class InvoiceJob(Base):
    """A completed job as the workshop reported it: billed hours and who did it (commission)."""
    __tablename__ = "invoice_jobs"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[str] = mapped_column(EXT_ID)
    line_id: Mapped[str | None] = mapped_column(EXT_ID)
    op_code: Mapped[str | None] = mapped_column(String(40))
    billed_hours: Mapped[Decimal] = mapped_column(QTY)
    technicians: Mapped[list] = mapped_column(JSON, comment="[{technician_id, user_id, hours, split_pct}]")


class Payment(Base):
    """Money received: at the till against an invoice, or a deposit against an order (invoice_id
    set when the invoice consumes it)."""
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(10), default="payment", comment="payment | deposit")
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    order_id: Mapped[str] = mapped_column(EXT_ID, index=True)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    customer_id: Mapped[str] = mapped_column(EXT_ID)
    method: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(MONEY)
    refunded_fen: Mapped[int] = mapped_column(MONEY, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    reference: Mapped[str | None] = mapped_column(String(100))
    card_id: Mapped[str | None] = mapped_column(ForeignKey("member_cards.id"))
    service_code: Mapped[str | None] = mapped_column(String(40), comment="package: the service redeemed")
    liability_fen: Mapped[int] = mapped_column(MONEY, default=0,
                                               comment="card payments: the part drawn from the card's liability "
                                                       "(stored value: paid balance; package: unit value)")
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    received_by: Mapped[str | None] = mapped_column(EXT_ID)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    business_date: Mapped[date] = mapped_column(Date)

    __table_args__ = (Index("ix_payments_store_date", "store_id", "business_date"),)


class PaymentIntent(Base):
    """Money asked for through a provider (WeChat Pay, Alipay): its order at the provider is `id` (the
    out_trade_no). `pending` until the provider says it was paid (`paid`, the payment recorded) or the
    order is closed (`closed`); `unapplied` when it was paid but the invoice no longer owed it (paid
    meanwhile by other means, or void): the money is at the provider (booked Dr clearing · Cr 2241), to be
    refunded there whole (`refund_id` claims it while the provider is asked), then `refunded`."""
    __tablename__ = "payment_intents"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    provider: Mapped[str] = mapped_column(String(20), comment="wechat | alipay")
    merchant_id: Mapped[str | None] = mapped_column(
        String(64), comment="the merchant account the order was opened on (WeChat Pay sub_mchid or mchid, Alipay "
                            "auth_app_id or app_id); null: before accounts were recorded, the chain's")
    channel: Mapped[str] = mapped_column(String(10), comment="qr | h5")
    amount_fen: Mapped[int] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(12), default="pending",
                                        comment="pending | paid | closed | unapplied | refunded")
    pay_url: Mapped[str] = mapped_column(
        Text, comment="qr: what the QR code encodes; h5: the link (Alipay's is signed: long)")
    transaction_id: Mapped[str | None] = mapped_column(String(64), unique=True, comment="the provider's")
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"))
    refund_id: Mapped[str | None] = mapped_column(
        String(26), unique=True, comment="unapplied: the provider refund asked for the whole amount (its "
                                         "out_refund_no); set by a conditional update, so it is asked once")
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    created_by: Mapped[str | None] = mapped_column(EXT_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="paid, closed or found unapplied")
    invoice: Mapped[Invoice] = relationship(viewonly=True)

    __table_args__ = (Index("ix_payment_intents_status", "status", "created_at"),)


class ProviderRefund(Base):
    """A refund asked of the payment provider that took a payment (through its intent): `id` is also the
    refund's number at the provider (out_refund_no / out_request_no), so asking again never refunds twice.
    `pending` until the provider confirms it (`succeeded`: recorded as `refund_id` through the refund rules)
    or refuses it (`failed`). The requester's role is kept: the rules are applied again when it is recorded.
    No `payment_id`: the whole of an `unapplied` intent returned (no payment was recorded of it)."""
    __tablename__ = "provider_refunds"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"), index=True)
    intent_id: Mapped[str] = mapped_column(ForeignKey("payment_intents.id"))
    store_id: Mapped[str] = mapped_column(EXT_ID)
    provider: Mapped[str] = mapped_column(String(20), comment="wechat | alipay")
    amount_fen: Mapped[int] = mapped_column(MONEY)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending", comment="pending | succeeded | failed")
    provider_refund_id: Mapped[str | None] = mapped_column(String(64), comment="the provider's refund number")
    refund_id: Mapped[str | None] = mapped_column(ForeignKey("refunds.id"), unique=True)
    requested_by: Mapped[str | None] = mapped_column(EXT_ID)
    requested_role: Mapped[str | None] = mapped_column(String(20))
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_provider_refunds_status", "status", "created_at"),)


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"))
    order_id: Mapped[str] = mapped_column(EXT_ID)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    customer_id: Mapped[str] = mapped_column(EXT_ID)
    method: Mapped[str] = mapped_column(String(20), comment="always the payment's method")
    amount_fen: Mapped[int] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(EXT_ID)
    approved_by: Mapped[str | None] = mapped_column(EXT_ID, comment="the manager, above the store's limit")
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    business_date: Mapped[date] = mapped_column(Date)

    __table_args__ = (Index("ix_refunds_store_date", "store_id", "business_date"),)


class RefundRequest(Base):
    """A refund above the store's limit asked for by someone who may not approve it (a cashier): it waits
    in the store manager's approval queue (`pending`) until a manager approves it — the refund is then
    made as any refund within the limit is, at the till or through the provider (`refunded`; `approved`
    while the provider has not confirmed it) — or declines it with a reason (`declined`)."""
    __tablename__ = "refund_requests"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"))
    store_id: Mapped[str] = mapped_column(EXT_ID)
    customer_id: Mapped[str] = mapped_column(EXT_ID)
    method: Mapped[str] = mapped_column(String(20), comment="the payment's method")
    amount_fen: Mapped[int] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending",
                                        comment="pending | approved | refunded | declined | failed")
    requested_by: Mapped[str | None] = mapped_column(EXT_ID)
    decided_by: Mapped[str | None] = mapped_column(EXT_ID)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    refund_id: Mapped[str | None] = mapped_column(ForeignKey("refunds.id"), unique=True)
    provider_refund_id: Mapped[str | None] = mapped_column(ForeignKey("provider_refunds.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_refund_requests_store_status", "store_id", "status", "created_at"),)


class MemberCard(Base):
    """A chain-wide member card: stored value (paid and bonus balances kept apart) or a service
    package (units per service, an expiry date). Issued by one store, usable at every store."""
    __tablename__ = "member_cards"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="active")
    customer_id: Mapped[str] = mapped_column(EXT_ID, index=True)
    store_id: Mapped[str] = mapped_column(EXT_ID, comment="issuing store: it holds the liability")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    paid_balance_fen: Mapped[int] = mapped_column(MONEY, default=0)
    bonus_balance_fen: Mapped[int] = mapped_column(MONEY, default=0)
    package_value_fen: Mapped[int] = mapped_column(MONEY, default=0, server_default="0",
                                                   comment="package: its items' unredeemed value, summed")
    package_name: Mapped[str | None] = mapped_column(String(100))
    price_fen: Mapped[int] = mapped_column(MONEY, default=0, comment="package: what was paid")
    expires_on: Mapped[date | None] = mapped_column(Date)
    items: Mapped[list["PackageItem"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                      order_by="PackageItem.service_code")
    created_by: Mapped[str | None] = mapped_column(EXT_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_member_cards_store", "store_id", "id"),
                      # card liabilities: the open cards by kind and store, read from the index alone
                      Index("ix_member_cards_open", "kind", "store_id", postgresql_where=text("status = 'active'"),
                            sqlite_where=text("status = 'active'"),
                            postgresql_include=["paid_balance_fen", "bonus_balance_fen", "package_value_fen"]))


class PackageItem(Base):
    __tablename__ = "package_items"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    card_id: Mapped[str] = mapped_column(ForeignKey("member_cards.id", ondelete="CASCADE"), index=True)
    service_code: Mapped[str] = mapped_column(String(40), comment="the op code it covers, e.g. WASH")
    name: Mapped[str] = mapped_column(String(100))
    units_total: Mapped[int] = mapped_column(Integer)
    units_left: Mapped[int] = mapped_column(Integer)
    value_left_fen: Mapped[int] = mapped_column(MONEY, comment="unredeemed share of the price (the liability)")

    __table_args__ = (UniqueConstraint("card_id", "service_code"),)


class CardTransaction(Base):
    """The balance ledger of a card: every change, signed."""
    __tablename__ = "card_transactions"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    card_id: Mapped[str] = mapped_column(ForeignKey("member_cards.id"), index=True)
    store_id: Mapped[str] = mapped_column(EXT_ID, comment="where it happened")
    kind: Mapped[str] = mapped_column(String(20), comment="issue | top_up | payment | redemption | refund | cancel")
    paid_delta_fen: Mapped[int] = mapped_column(MONEY, default=0)
    bonus_delta_fen: Mapped[int] = mapped_column(MONEY, default=0)
    service_code: Mapped[str | None] = mapped_column(String(40))
    units_delta: Mapped[int] = mapped_column(Integer, default=0)
    payment_id: Mapped[str | None] = mapped_column(ID)
    method: Mapped[str | None] = mapped_column(String(20), comment="top-up / cancellation: how money moved")
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    created_by: Mapped[str | None] = mapped_column(EXT_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    business_date: Mapped[date] = mapped_column(Date)


class InterStoreSettlement(Base):
    """A card issued by one store used at another: the issuing store owes the serving store."""
    __tablename__ = "inter_store_settlements"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    card_id: Mapped[str] = mapped_column(ForeignKey("member_cards.id"))
    payment_id: Mapped[str] = mapped_column(ID)
    debtor_store_id: Mapped[str] = mapped_column(EXT_ID, comment="issuing store")
    creditor_store_id: Mapped[str] = mapped_column(EXT_ID, comment="store that did the work")
    amount_fen: Mapped[int] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    settled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_settlements_debtor", "debtor_store_id", "settled"),
                      Index("ix_settlements_creditor", "creditor_store_id", "settled"))


class JournalEntry(Base):
    __tablename__ = "journal_entries"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    business_date: Mapped[date] = mapped_column(Date, comment="store-local day; never a closed one")
    source_type: Mapped[str] = mapped_column(String(30))
    source_id: Mapped[str] = mapped_column(String(64))
    memo: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lines: Mapped[list["JournalLine"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                      order_by="JournalLine.id")

    __table_args__ = (Index("ix_journal_store_date", "store_id", "business_date"),
                      Index("ix_journal_source", "source_type", "source_id"))


class JournalLine(Base):
    __tablename__ = "journal_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"), index=True)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    business_date: Mapped[date] = mapped_column(Date)
    account: Mapped[str] = mapped_column(String(10))
    debit_fen: Mapped[int] = mapped_column(MONEY, default=0)
    credit_fen: Mapped[int] = mapped_column(MONEY, default=0)

    __table_args__ = (Index("ix_journal_lines_store_account", "store_id", "account", "business_date"),
                      # an account's balance per store (card liabilities: 2205, 2206) without the other accounts
                      Index("ix_journal_lines_account_store", "account", "store_id",
                            postgresql_include=["debit_fen", "credit_fen"]))


class CostOfSale(Base):
    """Parts issued for an order at moving-average cost (`inventory.stock_issued`)."""
    __tablename__ = "costs_of_sales"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(EXT_ID, index=True)
    work_order_id: Mapped[str | None] = mapped_column(EXT_ID)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    cost_fen: Mapped[int] = mapped_column(MONEY)
    lines: Mapped[list] = mapped_column(JSON)
    business_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_costs_of_sales_store_date", "store_id", "business_date"),  # a store's KPIs
                      Index("ix_costs_of_sales_date", "business_date"))  # the chain's KPIs


class KpiSums:
    """The sums KPIs are made of, per store and period: the KPI book (`domain.kpi_days`), kept in the
    same transaction as the invoice issued or voided and the cost of sale recorded."""
    store_id: Mapped[str] = mapped_column(EXT_ID, primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    car_count: Mapped[int] = mapped_column(Integer, default=0, comment="invoices not void")
    labour_fen: Mapped[int] = mapped_column(MONEY, default=0)
    parts_fen: Mapped[int] = mapped_column(MONEY, default=0)
    fees_fen: Mapped[int] = mapped_column(MONEY, default=0)
    billed_hours: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    clocked_hours: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    parts_cost_fen: Mapped[int] = mapped_column(MONEY, default=0)


class CategorySums:
    """Sales (net of tax) per service category, per store and period: labour by operation code, parts, fees."""
    store_id: Mapped[str] = mapped_column(EXT_ID, primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    net_fen: Mapped[int] = mapped_column(MONEY, default=0)


class KpiDay(KpiSums, Base):
    """A store's day: the chain's month is stores x days rows at any volume of invoices."""
    __tablename__ = "kpi_days"
    __table_args__ = (Index("ix_kpi_days_date", "business_date"),)  # the chain's KPIs


class KpiDayCategory(CategorySums, Base):
    __tablename__ = "kpi_day_categories"
    __table_args__ = (Index("ix_kpi_day_categories_date", "business_date"),)


class KpiMonth(KpiSums, Base):
    """A store's month (`business_date`: its first day): whole months of a report read one row per store."""
    __tablename__ = "kpi_months"
    __table_args__ = (Index("ix_kpi_months_date", "business_date"),)


class KpiMonthCategory(CategorySums, Base):
    __tablename__ = "kpi_month_categories"
    __table_args__ = (Index("ix_kpi_month_categories_date", "business_date"),)


class RetentionCohort(Base):
    """The chain's retention book (`domain.cohorts`): how many customers had their first invoice (not void, at
    any store) in a month, by how soon their second came — within 90, 180 or 365 days, else 0 (later or not yet).
    Kept in the transaction that issues or voids an invoice, so the chain's cohorts read 4 rows a month however
    many customers the chain has."""
    __tablename__ = "retention_cohorts"

    first_month: Mapped[date] = mapped_column(Date, primary_key=True, comment="first day of the first visit's month")
    returned_within: Mapped[int] = mapped_column(Integer, primary_key=True,
                                                 comment="days: 90, 180, 365; 0 none within 365")
    customers: Mapped[int] = mapped_column(Integer, default=0)


class Expense(Base):
    __tablename__ = "expenses"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    category: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    paid_from: Mapped[str] = mapped_column(String(10), comment="cash | bank")
    incurred_on: Mapped[date] = mapped_column(Date)
    business_date: Mapped[date] = mapped_column(Date, comment="the day it was booked (never a closed one)")
    vendor: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list] = mapped_column(JSON, default=list, comment="references to receipts/files")
    created_by: Mapped[str | None] = mapped_column(EXT_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_expenses_store_date", "store_id", "incurred_on", "id"),)


class MonthClose(Base):
    """A store's month closed (月结): no posting is dated in it any more; a late one lands on the first open day."""
    __tablename__ = "month_closes"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    month: Mapped[str] = mapped_column(String(7), comment="YYYY-MM")
    closed_by: Mapped[str | None] = mapped_column(EXT_ID)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("store_id", "month"),)


class DailyClose(Base):
    __tablename__ = "daily_closes"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    business_date: Mapped[date] = mapped_column(Date)
    summary: Mapped[dict] = mapped_column(JSON, comment="the report as it stood at close")
    cash_expected_fen: Mapped[int] = mapped_column(MONEY)
    cash_counted_fen: Mapped[int] = mapped_column(MONEY)
    difference_fen: Mapped[int] = mapped_column(MONEY, comment="counted − expected")
    note: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[str | None] = mapped_column(EXT_ID)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("store_id", "business_date"),)


class PaymentReconciliation(Base):
    """A provider's statement (对账单) of one Beijing day for one merchant account, matched with the payments and
    refunds recorded through it: one row per provider, merchant and date (a second run updates it). Totals
    are the statement's (`store_totals`: per store, by the intent each line names; "" for lines naming none)."""
    __tablename__ = "payment_reconciliations"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(String(20), comment="wechat | alipay")
    merchant_id: Mapped[str] = mapped_column(String(64), comment="WeChat Pay mchid / Alipay app_id")
    bill_date: Mapped[date] = mapped_column(Date, comment="the provider's day (Beijing time)")
    status: Mapped[str] = mapped_column(String(12), default="running", comment="running | done | failed")
    error_code: Mapped[str | None] = mapped_column(String(64), comment="failed: what the provider answered")
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    payment_count: Mapped[int] = mapped_column(Integer, default=0)
    refund_count: Mapped[int] = mapped_column(Integer, default=0)
    collected_fen: Mapped[int] = mapped_column(MONEY, default=0)
    refunded_fen: Mapped[int] = mapped_column(MONEY, default=0)
    fee_fen: Mapped[int] = mapped_column(MONEY, default=0)
    matched_count: Mapped[int] = mapped_column(Integer, default=0)
    store_totals: Mapped[dict] = mapped_column(JSON, default=dict, comment="{store_id: {payment_count, refund_count, "
                                                                          "collected_fen, refunded_fen, fee_fen}}")
    provider_summary: Mapped[dict] = mapped_column(JSON, default=dict, comment="the statement's own totals section")
    runs: Mapped[int] = mapped_column(Integer, default=0, comment="how many times it was downloaded and matched")
    started_by: Mapped[str | None] = mapped_column(EXT_ID, comment="None: the daily job")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    differences: Mapped[list[PaymentReconciliationDifference]] = relationship(
        order_by="PaymentReconciliationDifference.id", viewonly=True)

    __table_args__ = (UniqueConstraint("provider", "merchant_id", "bill_date"),)


class PaymentReconciliationDifference(Base):
    """A line the provider and finance disagree on: `missing_here` (the provider has it, nothing recorded),
    `extra_here` (recorded, not on the statement), `amount_mismatch`. `open` until a manager resolves it
    with a note, or `cleared` when a later run of the same day matches it."""
    __tablename__ = "payment_recon_differences"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("payment_reconciliations.id"), index=True)
    store_id: Mapped[str | None] = mapped_column(EXT_ID, comment="the intent's store; None: a line naming no intent")
    kind: Mapped[str] = mapped_column(String(20), comment="missing_here | extra_here | amount_mismatch")
    line_kind: Mapped[str] = mapped_column(String(10), comment="payment | refund")
    reference: Mapped[str] = mapped_column(String(64), comment="the provider's transaction number, or our refund's")
    out_trade_no: Mapped[str | None] = mapped_column(String(64))
    intent_id: Mapped[str | None] = mapped_column(ID)
    provider_refund_id: Mapped[str | None] = mapped_column(ID)
    provider_amount_fen: Mapped[int | None] = mapped_column(MONEY)
    recorded_amount_fen: Mapped[int | None] = mapped_column(MONEY)
    action: Mapped[str] = mapped_column(String(30), comment="what to do (a code the console words)")
    status: Mapped[str] = mapped_column(String(10), default="open", comment="open | resolved | cleared")
    note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(EXT_ID)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("run_id", "line_kind", "reference"),
                      Index("ix_payment_recon_differences_store", "store_id", "status"))


class CommissionRule(Base):
    __tablename__ = "commission_rules"

    store_id: Mapped[str] = mapped_column(EXT_ID, primary_key=True)
    labour_pct: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal(0),
                                                comment="percent of labour revenue (tax excluded)")
    labour_per_hour_fen: Mapped[int] = mapped_column(MONEY, default=0, comment="per billed hour")
    parts_gp_pct: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal(0),
                                                  comment="percent of parts gross profit")
    sales_pct: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal(0),
                                               comment="advisor: percent of invoice revenue (tax excluded)")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CommissionTarget(Base):
    __tablename__ = "commission_targets"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    employee_id: Mapped[str] = mapped_column(EXT_ID)
    month: Mapped[str] = mapped_column(String(7), comment="YYYY-MM")
    target_fen: Mapped[int] = mapped_column(MONEY, comment="revenue the employee should produce")

    __table_args__ = (UniqueConstraint("store_id", "employee_id", "month"),)


class KpiTarget(Base):
    """A store's targets for a month (set by HQ or its manager); a KPI left empty has none."""
    __tablename__ = "kpi_targets"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    month: Mapped[str] = mapped_column(String(7), comment="YYYY-MM")
    sales_fen: Mapped[int | None] = mapped_column(MONEY, comment="revenue, tax excluded")
    car_count: Mapped[int | None] = mapped_column(Integer)
    parts_gross_profit_pct: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    labour_gross_profit_pct: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    technician_efficiency_pct: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    average_satisfaction: Mapped[Decimal | None] = mapped_column(Numeric(3, 2), comment="1–5")
    updated_by: Mapped[str | None] = mapped_column(EXT_ID)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("store_id", "month"),)


class SupplierInvoice(Base):
    """A supplier's invoice (进项发票) for goods received on one purchase order, matched three ways
    (order, receipts, invoice): `open` once matched (or approved by a manager) and booked,
    `held` while a mismatch waits for the manager, `rejected` when the manager refused it;
    `partially_paid` and `paid` follow the supplier payments."""
    __tablename__ = "supplier_invoices"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    supplier_id: Mapped[str] = mapped_column(EXT_ID)
    supplier_name: Mapped[str] = mapped_column(String(120))
    purchase_order_id: Mapped[str] = mapped_column(EXT_ID, index=True)
    purchase_order_number: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(60), comment="the supplier's invoice number")
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    lines: Mapped[list] = mapped_column(JSON, comment="[{sku, qty, unit_price_fen, amount_fen, ordered_unit_cost_fen, "
                                                      "qty_matchable, received_value_fen, price_ok, qty_ok}]")
    issues: Mapped[list] = mapped_column(JSON, comment="mismatches found by the match: [{sku, kind, ...}]")
    total_fen: Mapped[int] = mapped_column(MONEY, comment="tax included")
    vat_fen: Mapped[int] = mapped_column(MONEY, comment="input VAT on the invoice (part of the total)")
    received_value_fen: Mapped[int] = mapped_column(MONEY, comment="goods received not invoiced this clears")
    paid_fen: Mapped[int] = mapped_column(MONEY, default=0)
    credited_fen: Mapped[int] = mapped_column(MONEY, default=0, server_default="0",
                                              comment="what the supplier's credit notes took off it")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    created_by: Mapped[str | None] = mapped_column(EXT_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(EXT_ID, comment="the manager who approved or rejected a held one")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    business_date: Mapped[date | None] = mapped_column(Date, comment="the day it was booked (open)")

    __table_args__ = (UniqueConstraint("supplier_id", "number", name="uq_supplier_invoices_supplier_number"),
                      Index("ix_supplier_invoices_store_status", "store_id", "status"))

    @property
    def due_fen(self) -> int:
        return 0 if self.status in ("held", "rejected") else self.total_fen - self.paid_fen - self.credited_fen


class SupplierPayment(Base):
    """Money paid to a supplier from the bank or the till, allocated to one or more of its open
    invoices at one store, less the supplier's unapplied credit notes applied against them (each
    allocation is what the invoice is settled by; `amount_fen` what left the bank or till)."""
    __tablename__ = "supplier_payments"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    supplier_id: Mapped[str] = mapped_column(EXT_ID, index=True)
    supplier_name: Mapped[str] = mapped_column(String(120))
    method: Mapped[str] = mapped_column(String(10), comment="bank | cash")
    amount_fen: Mapped[int] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    reference: Mapped[str | None] = mapped_column(String(100))
    allocations: Mapped[list] = mapped_column(JSON, comment="[{supplier_invoice_id, number, amount_fen}]")
    credited_fen: Mapped[int] = mapped_column(MONEY, default=0, server_default="0",
                                              comment="the supplier's credit notes applied: settled = amount + "
                                                      "credited")
    credits: Mapped[list] = mapped_column(JSON, default=list, server_default="[]",
                                          comment="[{supplier_credit_note_id, number, amount_fen}]")
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    paid_by: Mapped[str | None] = mapped_column(EXT_ID)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    business_date: Mapped[date] = mapped_column(Date)

    __table_args__ = (Index("ix_supplier_payments_store_date", "store_id", "business_date"),)


class SupplierCreditNote(Base):
    """A supplier's credit note (红字发票 / 贷项通知单), mostly for goods sent back after their invoice
    was booked: it takes what it can off the invoice it names (`applied_fen`); the rest stands as a
    credit with the supplier, owed less overall, until a supplier payment applies it against the
    invoices it pays (`applied_fen` grows)."""
    __tablename__ = "supplier_credit_notes"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    supplier_id: Mapped[str] = mapped_column(EXT_ID, index=True)
    supplier_name: Mapped[str] = mapped_column(String(120))
    supplier_invoice_id: Mapped[str | None] = mapped_column(ForeignKey("supplier_invoices.id"), index=True)
    supplier_invoice_number: Mapped[str | None] = mapped_column(String(60))
    purchase_order_id: Mapped[str | None] = mapped_column(EXT_ID)
    return_id: Mapped[str | None] = mapped_column(EXT_ID, comment="inventory's return to supplier it credits")
    number: Mapped[str] = mapped_column(String(60), comment="the supplier's credit note number")
    issued_on: Mapped[date] = mapped_column(Date)
    total_fen: Mapped[int] = mapped_column(MONEY, comment="tax included")
    vat_fen: Mapped[int] = mapped_column(MONEY, comment="input VAT it takes back (part of the total)")
    returned_value_fen: Mapped[int] = mapped_column(MONEY, comment="goods sent back at their received value: "
                                                                   "what it clears on 2209")
    applied_fen: Mapped[int] = mapped_column(MONEY, comment="taken off the invoice it names")
    reason: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    created_by: Mapped[str | None] = mapped_column(EXT_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    business_date: Mapped[date] = mapped_column(Date, comment="the day it was booked")

    __table_args__ = (UniqueConstraint("supplier_id", "number", name="uq_supplier_credit_notes_supplier_number"),
                      Index("ix_supplier_credit_notes_store_date", "store_id", "business_date"))

    @property
    def unapplied_fen(self) -> int:
        return self.total_fen - self.applied_fen


class CompanyAccount(Base):
    """A company's account (挂账): invoices of its people and cars charged to it at the stores it
    names, within its credit limit, paid by the company against monthly statements. Its name and tax
    number are the billing title it is invoiced under; its people and cars are crm's (members)."""
    __tablename__ = "company_accounts"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    tax_number: Mapped[str] = mapped_column(String(18), unique=True, comment="unified social credit code")
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    credit_limit_fen: Mapped[int] = mapped_column(MONEY)
    payment_terms_days: Mapped[int] = mapped_column(Integer, comment="days after the statement month's end")
    store_ids: Mapped[list] = mapped_column(JSON, comment="the stores that may charge to it")
    status: Mapped[str] = mapped_column(String(12), default="active")
    balance_fen: Mapped[int] = mapped_column(MONEY, default=0, comment="what its charges leave unpaid")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    created_by: Mapped[str | None] = mapped_column(EXT_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list["CompanyAccountMember"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CompanyAccountMember.added_at")


class CompanyAccountMember(Base):
    """A crm customer or vehicle whose invoices may be charged to the account (label: the name or
    plate as crm gave it when added)."""
    __tablename__ = "company_account_members"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("company_accounts.id"), index=True)
    customer_id: Mapped[str | None] = mapped_column(EXT_ID, index=True)
    vehicle_id: Mapped[str | None] = mapped_column(EXT_ID, index=True)
    label: Mapped[str] = mapped_column(String(60))
    added_by: Mapped[str | None] = mapped_column(EXT_ID)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "customer_id", name="uq_account_members_customer"),
                      UniqueConstraint("account_id", "vehicle_id", name="uq_account_members_vehicle"))


class OwedPartOfInvoice:
    """The columns of (part of) an invoice owed by another than its customer (a company account, an insurer)."""
    invoice_id: Mapped[str] = mapped_column(ID, index=True)
    invoice_number: Mapped[str] = mapped_column(String(40))
    store_id: Mapped[str] = mapped_column(EXT_ID)
    customer_id: Mapped[str] = mapped_column(EXT_ID)
    vehicle_id: Mapped[str | None] = mapped_column(EXT_ID)
    plate: Mapped[str | None] = mapped_column(String(16))


class AccountCharge(OwedPartOfInvoice, Base):
    """(Part of) a customer invoice charged to a company account instead of paid at the till: the
    invoice counts it as settled, the account owes it until the company pays."""
    __tablename__ = "account_charges"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("company_accounts.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(MONEY)
    paid_fen: Mapped[int] = mapped_column(MONEY, default=0)
    business_date: Mapped[date] = mapped_column(Date, comment="the store's day it was charged")
    due_on: Mapped[date] = mapped_column(Date)
    over_limit_reason: Mapped[str | None] = mapped_column(String(200), comment="a manager's override")
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    charged_by: Mapped[str | None] = mapped_column(EXT_ID)
    charged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_account_charges_store_date", "store_id", "business_date"),)

    @property
    def due_fen(self) -> int:
        return self.amount_fen - self.paid_fen


class ReceivedMoney:
    """The columns of money received against what a company account or an insurer owes."""
    method: Mapped[str] = mapped_column(String(10), comment="bank | cash")
    amount_fen: Mapped[int] = mapped_column(MONEY)
    reference: Mapped[str | None] = mapped_column(String(100))
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    received_by: Mapped[str | None] = mapped_column(EXT_ID)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    business_date: Mapped[date] = mapped_column(Date)


class AccountPayment(ReceivedMoney, Base):
    """Money the company paid against its account, allocated to its oldest open charges."""
    __tablename__ = "account_payments"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("company_accounts.id"), index=True)
    allocations: Mapped[list] = mapped_column(JSON, comment="[{charge_id, invoice_number, store_id, amount_fen}]")


# -- insurers' claims (事故车) ----------------------------------------------------------------------
class Insurer(Base):
    """An insurance company (保险公司) whose share of accident repairs the stores it names put on it at the
    till, each under the claim's number (报案号); it has no credit limit and pays claim by claim."""
    __tablename__ = "insurers"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    tax_number: Mapped[str | None] = mapped_column(String(18), comment="unified social credit code")
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    store_ids: Mapped[list] = mapped_column(JSON, comment="the stores that may put claims on it")
    status: Mapped[str] = mapped_column(String(12), default="active")
    balance_fen: Mapped[int] = mapped_column(MONEY, default=0, comment="what its claims leave open")
    created_by: Mapped[str | None] = mapped_column(EXT_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InsuranceClaim(OwedPartOfInvoice, Base):
    """The insurer's share of an invoice (Dr 1122 the insurer · Cr 1122 the invoice): the invoice counts
    it as settled, the insurer owes it until its remittances pay it or a manager writes the rest off."""
    __tablename__ = "insurance_claims"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    insurer_id: Mapped[str] = mapped_column(ForeignKey("insurers.id"), index=True)
    claim_number: Mapped[str] = mapped_column(String(40), comment="报案号")
    assessed_fen: Mapped[int | None] = mapped_column(MONEY, comment="定损金额, as the insurer assessed it")
    amount_fen: Mapped[int] = mapped_column(MONEY)
    paid_fen: Mapped[int] = mapped_column(MONEY, default=0)
    written_off_fen: Mapped[int] = mapped_column(MONEY, default=0)
    write_off_reason: Mapped[str | None] = mapped_column(String(200))
    written_off_on: Mapped[date | None] = mapped_column(Date, comment="the store's day of the write-off")
    business_date: Mapped[date] = mapped_column(Date, comment="the store's day it was put on the insurer")
    voided_on: Mapped[date | None] = mapped_column(Date, comment="the store's day it was voided")
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by: Mapped[str | None] = mapped_column(EXT_ID)
    void_reason: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    created_by: Mapped[str | None] = mapped_column(EXT_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # a 报案号 once per insurer among the claims not voided: a voided one's number can be put on it again
    __table_args__ = (Index("uq_insurance_claims_live_number", "insurer_id", "claim_number", unique=True,
                            postgresql_where=text("voided_at IS NULL"), sqlite_where=text("voided_at IS NULL")),
                      Index("ix_insurance_claims_store_date", "store_id", "business_date"))

    @property
    def open_fen(self) -> int:
        """A voided claim leaves nothing open: its amount is due on the invoice again."""
        return 0 if self.voided_at is not None else self.amount_fen - self.paid_fen - self.written_off_fen

    @property
    def status(self) -> str:
        if self.voided_at is not None:
            return "voided"
        if self.open_fen > 0:
            return "open"
        return "written_off" if self.written_off_fen else "paid"


class ClaimRemittance(ReceivedMoney, Base):
    """Money an insurer paid (赔款到账), allocated to the claims it names."""
    __tablename__ = "claim_remittances"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    insurer_id: Mapped[str] = mapped_column(ForeignKey("insurers.id"), index=True)
    allocations: Mapped[list] = mapped_column(JSON, comment="[{claim_id, claim_number, invoice_number, store_id, "
                                                            "amount_fen}]")


# -- electronic fapiao ----------------------------------------------------------------------------
# finance's electronic fapiao (数电票) table: one row per fapiao asked of the issuing provider, blue
# (蓝字, the sale) or red (红字, reversing a blue one), with its lines as sent, where it stands at the
# provider and what the provider answered (number, date, PDF). The row is the outbox of the request:
# the settlement commits it and the worker (domain/fapiao.py) sends it, so no settlement waits for it.


class Fapiao(Base):
    __tablename__ = "fapiaos"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    invoice_number: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(EXT_ID)
    kind: Mapped[str] = mapped_column(String(8), comment="blue | red")
    original_id: Mapped[str | None] = mapped_column(ForeignKey("fapiaos.id"), comment="red: the blue one reversed")
    insurance_claim_id: Mapped[str | None] = mapped_column(
        ForeignKey("insurance_claims.id"), index=True,
        comment="the insurer's fapiao for this claim's share; none: the customer's")
    type: Mapped[str] = mapped_column(String(10), comment="normal (普通) | special (专用)")
    buyer_title: Mapped[str] = mapped_column(String(100))
    buyer_tax_no: Mapped[str | None] = mapped_column(String(20), comment="统一社会信用代码; none for a person")
    buyer_email: Mapped[str | None] = mapped_column(String(100))
    lines: Mapped[list] = mapped_column(JSON, comment="[{line_id, description, goods_code, qty, unit_price_fen, "
                                                      "tax_rate, tax_fen, total_fen}] as sent")
    amount_fen: Mapped[int] = mapped_column(MONEY, comment="tax included; negative for red")
    tax_fen: Mapped[int] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(12), default="queued",
                                        comment="queued | confirming | issuing | issued | failed | reversed")
    red_reason: Mapped[str | None] = mapped_column(String(20), comment="red: error | refund | cancelled")
    seller_tax_num: Mapped[str | None] = mapped_column(
        String(20), comment="销方税号 it was sent under; none: sent before this was kept")
    seller_name: Mapped[str | None] = mapped_column(String(100))
    confirm_bill_id: Mapped[str | None] = mapped_column(String(64), comment="red: the 红字确认单 at the provider")
    confirm_state: Mapped[str | None] = mapped_column(String(8), comment="red: the provider's billStatus")
    confirm_bill_no: Mapped[str | None] = mapped_column(String(64), comment="red: the 确认单编号 once confirmed")
    serial_no: Mapped[str | None] = mapped_column(String(64), comment="the provider's 开票流水号")
    number: Mapped[str | None] = mapped_column(String(40), comment="数电票号码")
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pdf_url: Mapped[str | None] = mapped_column(Text)
    ofd_url: Mapped[str | None] = mapped_column(Text, comment="the OFD 版式文件; none: issued before it was kept")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(200), comment="the last attempt's failure (provider down)")
    failure: Mapped[str | None] = mapped_column(Text, comment="failed: the provider's reason")
    requested_by: Mapped[str | None] = mapped_column(EXT_ID)
    idempotency_key: Mapped[str | None] = mapped_column(String(240), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_fapiaos_due", "status", "next_attempt_at"),
                      Index("ix_fapiaos_store_status", "store_id", "status", "id"),
                      Index("ix_fapiaos_customer", "customer_id", "created_at"))


class HealthRecordUpload(Base):
    """One settled repair's record for the provincial 汽车维修电子健康档案 system (the outbox of the upload):
    written in the transaction that settles the invoice, sent by finance's timer (domain/health_records.py)."""
    __tablename__ = "health_record_uploads"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(EXT_ID)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    settlement_no: Mapped[str] = mapped_column(String(40), unique=True,
                                               comment="the invoice's number: the record's costlistcode, once")
    order_id: Mapped[str] = mapped_column(EXT_ID)
    customer_id: Mapped[str] = mapped_column(EXT_ID)
    vehicle_id: Mapped[str | None] = mapped_column(EXT_ID)
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="queued", comment="queued | uploaded | failed")
    plate: Mapped[str | None] = mapped_column(String(10), comment="as last sent or checked")
    record: Mapped[dict | None] = mapped_column(JSON, comment="the record as last built (basicInfo and lists)")
    failure_code: Mapped[str | None] = mapped_column(String(40), comment="failed: a stable reason code")
    failure: Mapped[str | None] = mapped_column(Text, comment="failed: the system's words, or the fields at fault")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(200), comment="the last attempt's failure (system down)")
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice: Mapped[str | None] = mapped_column(
        String(40), comment="refunded_after_upload: the record stands at the system (no correction interface); the "
                            "manager is told")
    notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def failure_codes(self) -> list[str]:
        """failed: every check the record failed, in order (`failure` holds them comma-separated), or the
        system's refusal code alone."""
        if self.status != "failed" or not self.failure_code:
            return []
        if self.failure_code in ("rejected", "login_refused"):
            return [self.failure_code]
        return [code for code in (self.failure or "").split(",") if code] or [self.failure_code]

    __table_args__ = (Index("ix_health_record_uploads_due", "status", "next_attempt_at"),
                      Index("ix_health_record_uploads_store_status", "store_id", "status", "id"))


class AccountReminder(Base):
    """An overdue reminder sent for a company account on a day (at most one a day: the daily job may
    run again, on another replica too)."""
    __tablename__ = "account_reminders"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("company_accounts.id"))
    day: Mapped[date] = mapped_column(Date, comment="the day it was sent for")
    overdue_fen: Mapped[int] = mapped_column(MONEY, comment="what was overdue that day")
    days_overdue: Mapped[int] = mapped_column(Integer, comment="days past due of the oldest overdue charge")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "day", name="uq_account_reminders_account_day"),)
