"""sales's own tables: store settings, the service catalogue (labour operations, packages,
price lists, vehicle classes), appointments, visits, test drives, quotes with their lines,
declined work and orders (contracts).

Money is integer fen; quantities and hours Numeric(12,3); rates and percentages Numeric.
A quote line records every price it used, so later catalogue changes never alter it.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, Time,
                        UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.db import UTCDateTime, service_metadata, utcnow
from services.common.ids import new_id
from services.common.attachments import add_attachment_tables
from services.common.audit import add_audit_table
from services.common.outbox import add_infrastructure_tables


class Base(DeclarativeBase):
    metadata = service_metadata()


add_infrastructure_tables(Base.metadata)
add_audit_table(Base.metadata)
add_attachment_tables(Base.metadata)

QTY = Numeric(12, 3)
RATE = Numeric(6, 4)
PCT = Numeric(7, 3)


def json_numbers(mapping: dict) -> dict:
    """Decimals kept exactly in a JSON column: whole numbers as ints, others as strings."""
    return {key: int(value) if Decimal(value) == int(value) else str(value) for key, value in mapping.items()}


class StoreSettings(Base):
    """What sales needs to know about a store; a missing row means the defaults."""

    __tablename__ = "store_settings"

    store_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    labour_rate_fen: Mapped[int] = mapped_column(Integer, comment="per hour, in the store's pricing mode")
    vat_rate: Mapped[Decimal] = mapped_column(RATE)
    tax_inclusive: Mapped[bool] = mapped_column(Boolean)
    discount_limits: Mapped[dict] = mapped_column(JSON, comment="role -> max discount percent without approval")
    slot_minutes: Mapped[int] = mapped_column(Integer)
    slot_capacity: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(40))
    opens_at: Mapped[time] = mapped_column(Time, comment="first slot, store time; the same every day")
    closes_at: Mapped[time] = mapped_column(Time, comment="the last slot ends by then, store time")
    quote_valid_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(26))


class Counter(Base):
    """Per-store sequences (order numbers); incremented under a row lock."""

    __tablename__ = "counters"

    store_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


# -- catalogue (issue 12) ---------------------------------------------------------------------

class LabourOperation(Base):
    __tablename__ = "labour_operations"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(30), index=True)
    standard_hours: Mapped[Decimal] = mapped_column(QTY)
    hours_by_class: Mapped[dict] = mapped_column(JSON, default=dict, comment="vehicle class -> hours")
    skill: Mapped[str] = mapped_column(String(30), comment="skill level a technician needs; picks the rate")
    """One of services/common/skills.py (a skill, never a level; the column's comment predates that)."""
    parts: Mapped[list] = mapped_column(JSON, default=list, comment="parts it needs: [{sku, qty}]")
    tax_code: Mapped[str | None] = mapped_column(String(19), comment="税收分类编码 on its fapiao lines")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Package(Base):
    """A canned job (套餐): labour operations, parts and fees added to a quote in one step."""

    __tablename__ = "packages"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(30))
    pricing: Mapped[str] = mapped_column(String(10), comment="sum | fixed")
    fixed_price_fen: Mapped[int | None] = mapped_column(Integer, comment="default when no price list entry")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list["PackageItem"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PackageItem.position")
    stores: Mapped[list["PackageStore"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                        order_by="PackageStore.store_id")

    @property
    def store_ids(self) -> list[str] | None:
        """The stores offering it; None: every store of the chain."""
        return [row.store_id for row in self.stores] or None


class PackageStore(Base):
    """A store that offers a package (a package with none is offered by every store)."""

    __tablename__ = "package_stores"

    package_id: Mapped[str] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(26), primary_key=True, index=True)


class PackageItem(Base):
    __tablename__ = "package_items"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    package_id: Mapped[str] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    op_code: Mapped[str | None] = mapped_column(String(40))
    sku: Mapped[str | None] = mapped_column(String(60))
    sku_options: Mapped[list] = mapped_column(JSON, default=list, comment="parts the advisor may choose instead")
    sku_by_vehicle: Mapped[dict] = mapped_column(JSON, default=dict,
                                                 comment="'make' or 'make model' -> the SKU that fits that car")
    fee_code: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(String(200))
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_price_fen: Mapped[int | None] = mapped_column(Integer, comment="fees without a price list entry")


class PriceEntry(Base):
    """One price of the chain's price list (store_id NULL) or a store's override, from a date.

    kind/key: labour_rate/<skill>, part/<sku>, package/<code>, fee/<fee code>. A chain entry may
    bound what stores can set (min_fen/max_fen)."""

    __tablename__ = "price_entries"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(60))
    store_id: Mapped[str | None] = mapped_column(String(26))
    price_fen: Mapped[int] = mapped_column(Integer)
    min_fen: Mapped[int | None] = mapped_column(Integer)
    max_fen: Mapped[int | None] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_price_entries_lookup", "kind", "key", "store_id", "effective_from"),
        UniqueConstraint("kind", "key", "store_id", "effective_from", name="uq_price_entries_kind_key_store_from"),
    )


class CompetitorPrice(Base):
    """A competitor's price for one of the chain's priced items (kind/key as on the price list), seen by a
    store's staff on a day (a menu board, a phone call, an online listing)."""

    __tablename__ = "competitor_prices"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(String(26))
    competitor: Mapped[str] = mapped_column(String(60), comment="as staff call it, e.g. 途虎养车工场店（天河北）")
    kind: Mapped[str] = mapped_column(String(20), comment="labour_rate | part | package | fee")
    key: Mapped[str] = mapped_column(String(60))
    price_fen: Mapped[int] = mapped_column(Integer)
    observed_on: Mapped[date] = mapped_column(Date, comment="store-local day it was seen")
    note: Mapped[str | None] = mapped_column(String(200), comment="where it was seen, what it includes")
    created_by: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_competitor_prices_store_item", "store_id", "kind", "key", "observed_on"),)


class VehicleClassRule(Base):
    """make (and optionally model) -> vehicle class (sedan, suv, luxury …)."""

    __tablename__ = "vehicle_class_rules"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    make: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(60), default="", comment="'' = every model of the make")
    vehicle_class: Mapped[str] = mapped_column(String(20))

    __table_args__ = (UniqueConstraint("make", "model", name="uq_vehicle_class_rules_make_model"),)


# -- counter documents ------------------------------------------------------------------------

ACTIVE_APPOINTMENT_STATES = ("booked", "arrived")
ACTIVE_SQL = "(" + ", ".join(f"'{state}'" for state in ACTIVE_APPOINTMENT_STATES) + ")"

class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(String(26))
    customer_id: Mapped[str] = mapped_column(String(26), index=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(26))
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    services: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="booked")
    overbooked: Mapped[bool] = mapped_column(Boolean, default=False)
    visit_id: Mapped[str | None] = mapped_column(String(26))
    created_by: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_appointments_store_slot", "store_id", "slot_start", "state"),
        # a car takes one bay of a slot: one active appointment per vehicle (or, without one, per customer)
        Index("uq_appointments_vehicle_slot", "vehicle_id", "slot_start", unique=True,
              postgresql_where=text(f"state IN {ACTIVE_SQL} AND vehicle_id IS NOT NULL"),
              sqlite_where=text(f"state IN {ACTIVE_SQL} AND vehicle_id IS NOT NULL")),
        Index("uq_appointments_customer_slot", "customer_id", "slot_start", unique=True,
              postgresql_where=text(f"state IN {ACTIVE_SQL} AND vehicle_id IS NULL"),
              sqlite_where=text(f"state IN {ACTIVE_SQL} AND vehicle_id IS NULL")),
    )


class Visit(Base):
    __tablename__ = "visits"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(String(26))
    customer_id: Mapped[str] = mapped_column(String(26), index=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(26), index=True)
    appointment_id: Mapped[str | None] = mapped_column(String(26))
    customer_name: Mapped[str | None] = mapped_column(String(50))
    plate: Mapped[str | None] = mapped_column(String(10))
    make: Mapped[str | None] = mapped_column(String(40))
    model: Mapped[str | None] = mapped_column(String(60))
    vehicle_class: Mapped[str] = mapped_column(String(20))
    mileage_km: Mapped[int | None] = mapped_column(Integer)
    needs: Mapped[list] = mapped_column(JSON, default=list)
    budget_fen: Mapped[int | None] = mapped_column(Integer)
    expectations: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    advisor_id: Mapped[str | None] = mapped_column(String(26))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime,
                                                       comment="the car left (delivered, or the day ended)")

    __table_args__ = (
        Index("ix_visits_store_id", "store_id", "id"),
        # one open visit per car and store: checking a car in twice gives the same visit
        Index("uq_visits_open_vehicle", "store_id", "vehicle_id", unique=True,
              postgresql_where=text("closed_at IS NULL AND vehicle_id IS NOT NULL"),
              sqlite_where=text("closed_at IS NULL AND vehicle_id IS NOT NULL")),
    )


class TestDrive(Base):
    __tablename__ = "test_drives"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(String(26))
    customer_id: Mapped[str] = mapped_column(String(26))
    vehicle_id: Mapped[str | None] = mapped_column(String(26))
    visit_id: Mapped[str | None] = mapped_column(String(26))
    vehicle_description: Mapped[str | None] = mapped_column(String(100))
    licence_number: Mapped[str] = mapped_column(String(30))
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_out: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_in: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mileage_out_km: Mapped[int | None] = mapped_column(Integer)
    mileage_in_km: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default="booked")
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_test_drives_store_id", "store_id", "id"),)


class Quote(Base):
    __tablename__ = "quotes"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(40))
    group_id: Mapped[str] = mapped_column(String(26), index=True, comment="id of the first version")
    version: Mapped[int] = mapped_column(Integer, default=1)
    superseded_by_id: Mapped[str | None] = mapped_column(String(26))
    store_id: Mapped[str] = mapped_column(String(26))
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(26))
    vehicle_id: Mapped[str | None] = mapped_column(String(26))
    vehicle_class: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    tax_rate: Mapped[Decimal] = mapped_column(RATE)
    tax_inclusive: Mapped[bool] = mapped_column(Boolean)
    labour_rate_fen: Mapped[int] = mapped_column(Integer, comment="the store's rate when the quote was opened")
    discount_kind: Mapped[str | None] = mapped_column(String(10))
    discount_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    discount_reason: Mapped[str | None] = mapped_column(String(200))
    discount_by: Mapped[str | None] = mapped_column(String(26))
    discount_role: Mapped[str | None] = mapped_column(String(20))
    approval_status: Mapped[str] = mapped_column(String(12), default="not_required")
    approval_reasons: Mapped[list] = mapped_column(JSON, default=list)
    approved_pct: Mapped[Decimal | None] = mapped_column(PCT)
    approved_below_cost: Mapped[list] = mapped_column(JSON, default=list, comment="line ids allowed below cost")
    approved_by: Mapped[str | None] = mapped_column(String(26))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approval_note: Mapped[str | None] = mapped_column(String(200))
    approval_needs: Mapped[list | None] = mapped_column(JSON, default=list,
                                                        comment="what waits, as codes and params (words: clients)")
    rejected_by: Mapped[str | None] = mapped_column(String(26))
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(String(200))
    subtotal_fen: Mapped[int] = mapped_column(Integer, default=0)
    discount_fen: Mapped[int] = mapped_column(Integer, default=0)
    tax_fen: Mapped[int] = mapped_column(Integer, default=0)
    total_excl_tax_fen: Mapped[int] = mapped_column(Integer, default=0)
    total_fen: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    advisor_id: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    presented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list["QuoteLine"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="QuoteLine.position")

    __table_args__ = (Index("ix_quotes_store_id", "store_id", "id"),
                      Index("ix_quotes_open_valid", "state", "valid_until"),
                      # the people report's advisor scorecards: a store's days of presented quotes, index-only
                      Index("ix_quotes_store_presented", "store_id", "presented_at",
                            postgresql_where=text("presented_at IS NOT NULL"),
                            sqlite_where=text("presented_at IS NOT NULL"),
                            postgresql_include=["advisor_id", "group_id", "state"]))


class QuoteLine(Base):
    __tablename__ = "quote_lines"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(200))
    op_code: Mapped[str | None] = mapped_column(String(40))
    skill: Mapped[str | None] = mapped_column(String(30))
    hours: Mapped[Decimal | None] = mapped_column(QTY)
    sku: Mapped[str | None] = mapped_column(String(60))
    part_id: Mapped[str | None] = mapped_column(String(40))
    unit: Mapped[str | None] = mapped_column(String(12))
    fee_code: Mapped[str | None] = mapped_column(String(40))
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_price_fen: Mapped[int] = mapped_column(Integer)
    price_source: Mapped[str] = mapped_column(String(20))
    unit_cost_fen: Mapped[int | None] = mapped_column(Integer, comment="parts: moving-average cost, excl. VAT")
    available_qty: Mapped[Decimal | None] = mapped_column(QTY)
    in_stock: Mapped[bool | None] = mapped_column(Boolean)
    package_code: Mapped[str | None] = mapped_column(String(40))
    package_discount_fen: Mapped[int] = mapped_column(Integer, default=0)
    discount_kind: Mapped[str | None] = mapped_column(String(10))
    discount_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    discount_reason: Mapped[str | None] = mapped_column(String(200))
    declined_work_id: Mapped[str | None] = mapped_column(String(26))
    decision: Mapped[str] = mapped_column(String(10), default="pending")
    gross_fen: Mapped[int] = mapped_column(Integer, default=0)
    discount_fen: Mapped[int] = mapped_column(Integer, default=0)
    net_fen: Mapped[int] = mapped_column(Integer, default=0)
    tax_fen: Mapped[int] = mapped_column(Integer, default=0)
    excl_tax_fen: Mapped[int] = mapped_column(Integer, default=0)
    total_fen: Mapped[int] = mapped_column(Integer, default=0)


class DeclinedWork(Base):
    """A line the customer declined, kept to be offered again on the vehicle's next visit."""

    __tablename__ = "declined_work"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(String(26))
    customer_id: Mapped[str] = mapped_column(String(26))
    vehicle_id: Mapped[str | None] = mapped_column(String(26))
    visit_id: Mapped[str] = mapped_column(String(26))
    quote_id: Mapped[str] = mapped_column(String(26))
    quote_line_id: Mapped[str] = mapped_column(String(26), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(200))
    op_code: Mapped[str | None] = mapped_column(String(40))
    sku: Mapped[str | None] = mapped_column(String(60))
    qty: Mapped[Decimal] = mapped_column(QTY)
    total_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="open", comment="open | requoted")
    declined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_declined_work_customer", "customer_id", "status", "id"),
                      Index("ix_declined_work_vehicle", "vehicle_id", "status", "id"))


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(40))
    store_id: Mapped[str] = mapped_column(String(26))
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id"), unique=True)
    visit_id: Mapped[str | None] = mapped_column(String(26))
    customer_id: Mapped[str] = mapped_column(String(26), index=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(26))
    advisor_id: Mapped[str | None] = mapped_column(String(26))
    state: Mapped[str] = mapped_column(String(12), default="confirmed")
    subtotal_fen: Mapped[int] = mapped_column(Integer)
    discount_fen: Mapped[int] = mapped_column(Integer)
    tax_fen: Mapped[int] = mapped_column(Integer)
    total_excl_tax_fen: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(Integer)
    tax_rate: Mapped[Decimal] = mapped_column(RATE)
    tax_inclusive: Mapped[bool] = mapped_column(Boolean)
    payment_method: Mapped[str] = mapped_column(String(20))
    deposit_fen: Mapped[int] = mapped_column(Integer, default=0)
    deposit_reference: Mapped[str | None] = mapped_column(String(100))
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terms: Mapped[str | None] = mapped_column(Text)
    signed_by: Mapped[str] = mapped_column(String(50))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    work_order_id: Mapped[str | None] = mapped_column(String(40))
    invoice_id: Mapped[str | None] = mapped_column(String(40))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list["OrderLine"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OrderLine.position")

    __table_args__ = (Index("ix_orders_store_id", "store_id", "id"),
                      Index("ix_orders_store_state", "store_id", "state", "id"))


class OrderLine(Base):
    """An approved quote line, frozen when the contract was signed."""

    __tablename__ = "order_lines"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="the quote line id")
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(200))
    op_code: Mapped[str | None] = mapped_column(String(40))
    skill: Mapped[str | None] = mapped_column(String(30))
    hours: Mapped[Decimal | None] = mapped_column(QTY)
    sku: Mapped[str | None] = mapped_column(String(60))
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_price_fen: Mapped[int] = mapped_column(Integer)
    discount_fen: Mapped[int] = mapped_column(Integer)
    tax_fen: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(Integer)
