"""crm's own tables: customers, their tags and vehicles, and the service-history projection."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.common.db import UTCDateTime, declarative_base, utcnow
from services.common.ids import new_id
from services.common.outbox import add_infrastructure_tables

Base = declarative_base()
add_infrastructure_tables(Base.metadata)


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
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tag_rows: Mapped[list["CustomerTag"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CustomerTag.tag")
    vehicles: Mapped[list["Vehicle"]] = relationship(
        back_populates="customer", lazy="selectin", order_by="Vehicle.id")

    __table_args__ = (
        Index("ix_customers_name_prefix", "name", postgresql_ops={"name": "text_pattern_ops"}),
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @tags.setter
    def tags(self, values: list[str]) -> None:
        wanted = list(dict.fromkeys(values))
        self.tag_rows = [row for row in self.tag_rows if row.tag in wanted] + [
            CustomerTag(tag=tag) for tag in wanted if tag not in self.tags]


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
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_event_id: Mapped[str] = mapped_column(String(36), unique=True)

    __table_args__ = (Index("ix_history_customer_time", "customer_id", "occurred_at", "id"),)
