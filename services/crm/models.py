"""crm's own tables: customers, their tags and vehicles, the service-history projection,
follow-ups and complaints, service-due reminders, care campaigns and the privacy audit log."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, SmallInteger, String, Text,
                        Time, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.attachments import add_attachment_tables
from services.common.db import UTCDateTime, service_metadata, utcnow
from services.common.ids import new_id
from services.common.outbox import add_infrastructure_tables


class Base(DeclarativeBase):
    metadata = service_metadata()


add_infrastructure_tables(Base.metadata)
add_attachment_tables(Base.metadata)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str] = mapped_column(String(11), unique=True)
    gender: Mapped[str] = mapped_column(String(8), default="unknown")
    birthday: Mapped[date | None] = mapped_column(Date)
    home_store_id: Mapped[str | None] = mapped_column(String(26), index=True)
    source: Mapped[str | None] = mapped_column(String(40))
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    wechat_openid: Mapped[str | None] = mapped_column(
        String(64), comment="the customer's openid at the chain's official account: messages go by WeChat")
    notes: Mapped[str | None] = mapped_column(Text)
    # membership: spend (fen, from finance.invoice_paid minus refunds), points, tier from spend thresholds
    tier: Mapped[str] = mapped_column(String(20), default="standard")
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    spend_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    key_account_owner_id: Mapped[str | None] = mapped_column(String(26), index=True)
    referred_by_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    last_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    merged_into_id: Mapped[str | None] = mapped_column(String(26))
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tag_rows: Mapped[list["CustomerTag"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CustomerTag.tag")
    vehicles: Mapped[list["Vehicle"]] = relationship(
        back_populates="customer", lazy="selectin", order_by="Vehicle.id")

    __table_args__ = (
        Index("ix_customers_name_prefix", "name", postgresql_ops={"name": "text_pattern_ops"}),
        Index("ix_customers_search", "name", "mobile", postgresql_using="gin",
              postgresql_ops={"name": "gin_trgm_ops", "mobile": "gin_trgm_ops"}),
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @tags.setter
    def tags(self, values: list[str]) -> None:
        wanted = list(dict.fromkeys(values))
        self.tag_rows = [row for row in self.tag_rows if row.tag in wanted] + [
            CustomerTag(tag=tag) for tag in wanted if tag not in self.tags]


class WeChatOpenid(Base):
    """The customer's openid at one official account (公众号), learnt by WeChat's 网页授权 (snsapi_base) when the
    owner paid from inside WeChat: what a JSAPI payment names its payer by. One per customer and account (an
    openid differs per account); the chain's account's for messages stays on `customers.wechat_openid`."""
    __tablename__ = "customer_wechat_openids"

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    appid: Mapped[str] = mapped_column(String(32), primary_key=True, comment="the official account")
    openid: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CustomerTag(Base):
    __tablename__ = "customer_tags"

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)

    __table_args__ = (Index("ix_customer_tags_tag", "tag", "customer_id"),)


class Vehicle(Base):
    __tablename__ = "vehicles"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    plate: Mapped[str] = mapped_column(String(10), unique=True)
    vin: Mapped[str | None] = mapped_column(String(17), unique=True)
    make: Mapped[str | None] = mapped_column(String(40))
    model: Mapped[str | None] = mapped_column(String(60))
    year: Mapped[int | None] = mapped_column(Integer)
    color: Mapped[str | None] = mapped_column(String(20))
    mileage_km: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="vehicles", lazy="joined")

    __table_args__ = (Index("ix_vehicles_search", "plate", postgresql_using="gin",
                            postgresql_ops={"plate": "gin_trgm_ops"}),)


class HistoryEntry(Base):
    """One line of a customer's service history, projected from other services' events."""

    __tablename__ = "history_entries"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    vehicle_id: Mapped[str | None] = mapped_column(ForeignKey("vehicles.id"))
    store_id: Mapped[str | None] = mapped_column(String(26))
    kind: Mapped[str] = mapped_column(String(30))
    reference_id: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str | None] = mapped_column(Text)
    mileage_km: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_event_id: Mapped[str] = mapped_column(String(36), unique=True)

    __table_args__ = (Index("ix_history_customer_time", "customer_id", "occurred_at", "id"),
                      Index("ix_history_vehicle_time", "vehicle_id", "occurred_at", "id"))


class StoreSetting(Base):
    """crm's per-store settings (the store itself is the gateway's)."""

    __tablename__ = "store_settings"

    store_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    follow_up_delay_days: Mapped[int] = mapped_column(Integer, default=3)
    time_zone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    quiet_from: Mapped[time] = mapped_column(Time, comment="store time: marketing waits from here …")
    quiet_until: Mapped[time] = mapped_column(Time, comment="… until here (equal: no quiet hours)")
    store_code: Mapped[str | None] = mapped_column(
        String(40), comment="the gateway's code of the store: it names the store's own message accounts' keys files")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ServiceOrder(Base):
    """What crm remembers of a confirmed order (sales.order_confirmed): which services it covers,
    so a delivery can move the vehicle's next-service-due dates."""

    __tablename__ = "service_orders"

    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(26))
    customer_id: Mapped[str] = mapped_column(String(26), index=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(26))
    op_codes: Mapped[list] = mapped_column(JSON, default=list)
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    delivered_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, comment="set by workshop.vehicle_delivered, which may arrive before the order itself")
    delivered_km: Mapped[int | None] = mapped_column(Integer)


class ServiceInterval(Base):
    """How often a service type is due: every `months` and/or every `km` (whichever comes first)."""

    __tablename__ = "service_intervals"

    service_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    months: Mapped[int | None] = mapped_column(Integer)
    km: Mapped[int | None] = mapped_column(Integer)


class ServiceDue(Base):
    """The next time a vehicle is due a service type (one row per vehicle and type)."""

    __tablename__ = "service_dues"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    store_id: Mapped[str | None] = mapped_column(String(26))
    service_type: Mapped[str] = mapped_column(String(40))
    last_done_on: Mapped[date] = mapped_column(Date)
    last_done_km: Mapped[int | None] = mapped_column(Integer)
    due_by_date: Mapped[date | None] = mapped_column(Date)
    due_km: Mapped[int | None] = mapped_column(Integer)
    due_by_km_on: Mapped[date | None] = mapped_column(Date, comment="estimated from the average daily km")
    due_on: Mapped[date] = mapped_column(Date, comment="the earlier of the two")
    reason: Mapped[str] = mapped_column(String(10), comment="date or mileage: which one makes it due")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("vehicle_id", "service_type", name="uq_service_dues_vehicle_type"),
                      Index("ix_service_dues_store_due", "store_id", "due_on"),
                      Index("ix_service_dues_due", "due_on"))


class FollowUp(Base):
    """A call back (回访) some days after delivery."""

    __tablename__ = "follow_ups"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(String(26))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    vehicle_id: Mapped[str | None] = mapped_column(ForeignKey("vehicles.id"))
    work_order_id: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[str | None] = mapped_column(String(40))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reached: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    completed_by: Mapped[str | None] = mapped_column(String(26))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    complaint_id: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_follow_ups_store_status_due", "store_id", "status", "due_at"),
                      Index("ix_follow_ups_status_due", "status", "due_at"),
                      Index("ix_follow_ups_store_completed", "store_id", "completed_at"))


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(String(26))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    vehicle_id: Mapped[str | None] = mapped_column(ForeignKey("vehicles.id"))
    follow_up_id: Mapped[str | None] = mapped_column(String(26))
    work_order_id: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20), default="follow_up")
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    owner_id: Mapped[str | None] = mapped_column(String(26))
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    compensation_fen: Mapped[int | None] = mapped_column(BigInteger)
    compensation_coupon: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_complaints_store_status", "store_id", "status", "id"),)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    store_id: Mapped[str | None] = mapped_column(String(26), comment="null: chain-wide (HQ)")
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(Text)
    segment: Mapped[dict] = mapped_column(JSON)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    audience_count: Mapped[int | None] = mapped_column(Integer)
    recurrence: Mapped[str] = mapped_column(String(10), default="none", server_default="none",
                                            comment="monthly: the next run is scheduled when this one starts")
    previous_id: Mapped[str | None] = mapped_column(String(26), comment="the run before, for recurring campaigns")
    created_by: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_campaigns_status_scheduled", "status", "scheduled_at"),
                      Index("ix_campaigns_store", "store_id", "id"))


class CampaignMessage(Base):
    """One message of a campaign to one customer (never two: unique per campaign and customer), sent through the
    providers as the outbox's are (`queued → sent → delivered | failed`, or `skipped`)."""

    __tablename__ = "campaign_messages"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    store_id: Mapped[str | None] = mapped_column(
        String(26), comment="the campaign's store, a chain-wide one's: the customer's home store")
    channel: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="put off to the end of quiet hours")
    provider_id: Mapped[str | None] = mapped_column(String(64), comment="Alibaba Cloud BizId or WeChat msgid")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt_at: Mapped[datetime | None] = mapped_column(UTCDateTime,
                                                       comment="sent text: when its receipt is asked for next")

    __table_args__ = (UniqueConstraint("campaign_id", "customer_id", name="uq_campaign_messages_campaign_customer"),
                      Index("ix_campaign_messages_receipt", "receipt_at"),
                      Index("ix_campaign_messages_store", "store_id", "id"),
                      Index("ix_campaign_messages_status", "status", "channel", "id"),
                      Index("ix_campaign_messages_channel_sent", "channel", "sent_at"),
                      # campaign results by store: a campaign's messages sent (or skipped) over some days
                      Index("ix_campaign_messages_campaign_status", "campaign_id", "status", "sent_at", "created_at"))


class Message(Base):
    """One message to a car owner in crm's outbox: queued in the transaction that decided it (a step
    of their car, a code link), sent later by the timer outside any transaction, retried with backoff
    while the provider is down, its delivery taken from the provider's receipt. No address is kept:
    the customer's current mobile or openid is read when it goes out (a scheduled report's: its subscription's)."""

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    subscription_id: Mapped[str | None] = mapped_column(String(26),
                                                        comment="a scheduled report to staff (no customer)")
    store_id: Mapped[str | None] = mapped_column(String(26))
    template: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON)
    marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(10), comment="sms | wechat")
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, comment="queued: next try; sent: next receipt check; null: nothing left to do")
    provider_id: Mapped[str | None] = mapped_column(String(64), comment="Alibaba Cloud BizId or WeChat msgid")
    failure_code: Mapped[str | None] = mapped_column(String(40), comment="why it failed, or why it is retried")
    failure_detail: Mapped[str | None] = mapped_column(String(100), comment="the provider's own code")
    dedupe_key: Mapped[str] = mapped_column(String(80), unique=True, comment="never twice for one cause")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_messages_due", "next_attempt_at"), Index("ix_messages_store", "store_id", "id"),
                      Index("ix_messages_store_sent", "store_id", "sent_at"))


class AuditEntry(Base):
    """Who read a customer's full contact data or changed it (seed 13.4)."""

    __tablename__ = "audit_log"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(String(26))
    action: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[str | None] = mapped_column(String(26))
    role: Mapped[str | None] = mapped_column(String(20))
    request_id: Mapped[str | None] = mapped_column(String(64))
    fields: Mapped[list | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_audit_log_customer", "customer_id", "id"),)


class ReportSubscription(Base):
    """A manager's (or HQ's) daily or weekly summary of a store (or the chain), texted to the mobile on their staff
    account (the gateway's, kept here as it changes) — domain/reports.py."""

    __tablename__ = "report_subscriptions"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(26), index=True)
    store_id: Mapped[str | None] = mapped_column(String(26), comment="null: the chain (HQ)")
    scope_name: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(10), comment="daily | weekly")
    mobile: Mapped[str] = mapped_column(String(11), comment="personal data: never logged")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
