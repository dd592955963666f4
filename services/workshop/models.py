"""workshop's own tables: technicians (skills, shifts, certifications, training), bays, work orders
with their jobs, dispatch assignments, parts, time entries, inspections (DVI), QC results and the
status history. Hours and quantities are exact decimals; money is integer fen."""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, Time,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.attachments import add_attachment_tables
from services.common.audit import add_audit_table
from services.common.db import UTCDateTime, service_metadata, utcnow
from services.common.ids import new_id
from services.common.outbox import add_infrastructure_tables


class Base(DeclarativeBase):
    metadata = service_metadata()


add_infrastructure_tables(Base.metadata)
add_audit_table(Base.metadata)
add_attachment_tables(Base.metadata)

HOURS = Numeric(12, 3)


class Technician(Base):
    __tablename__ = "technicians"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(String(26))
    user_id: Mapped[str | None] = mapped_column(String(26), unique=True,
                                                comment="the gateway user who clocks as this technician")
    name: Mapped[str] = mapped_column(String(50))
    employee_no: Mapped[str | None] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(20))
    hourly_cost_fen: Mapped[int] = mapped_column(Integer)
    time_zone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    skill_rows: Mapped[list["TechnicianSkill"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TechnicianSkill.skill")
    shifts: Mapped[list["Shift"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="(Shift.weekday, Shift.starts_at)")
    certifications: Mapped[list["Certification"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Certification.id")
    trainings: Mapped[list["Training"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Training.id")
    day_off_rows: Mapped[list["DayOff"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="DayOff.day")

    __table_args__ = (Index("ix_technicians_store", "store_id", "active", "id"),)

    @property
    def skills(self) -> list[str]:
        return [row.skill for row in self.skill_rows]

    @skills.setter
    def skills(self, values: list[str]) -> None:
        wanted = list(dict.fromkeys(values))
        self.skill_rows = [row for row in self.skill_rows if row.skill in wanted] + [
            TechnicianSkill(skill=skill) for skill in wanted if skill not in self.skills]


    @property
    def days_off(self) -> list[date]:
        return [row.day for row in self.day_off_rows]

    @days_off.setter
    def days_off(self, values: list[date]) -> None:
        wanted = sorted(set(values))
        self.day_off_rows = [row for row in self.day_off_rows if row.day in wanted] + [
            DayOff(day=day) for day in wanted if day not in self.days_off]


class DayOff(Base):
    """A store-local date the technician is not working (leave, sick day, training away)."""

    __tablename__ = "technician_days_off"

    technician_id: Mapped[str] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class TechnicianSkill(Base):
    __tablename__ = "technician_skills"

    technician_id: Mapped[str] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(String(40), primary_key=True)

    __table_args__ = (Index("ix_technician_skills_skill", "skill", "technician_id"),)


class Shift(Base):
    """A weekly shift in the store's local time: weekday 0 = Monday."""

    __tablename__ = "technician_shifts"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    technician_id: Mapped[str] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)


class Certification(Base):
    __tablename__ = "technician_certifications"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    technician_id: Mapped[str] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    skill: Mapped[str | None] = mapped_column(String(40))
    issuer: Mapped[str | None] = mapped_column(String(100))
    certificate_no: Mapped[str | None] = mapped_column(String(60))
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Training(Base):
    __tablename__ = "technician_trainings"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    technician_id: Mapped[str] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    course: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    completed_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal | None] = mapped_column(HOURS)
    result: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bay(Base):
    __tablename__ = "bays"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(String(26))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("store_id", "code", name="uq_bays_store_code"),)


class WorkOrder(Base):
    __tablename__ = "work_orders"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(String(26))
    order_id: Mapped[str] = mapped_column(String(40), unique=True, comment="one work order per sales order")
    order_number: Mapped[str] = mapped_column(String(40))
    visit_id: Mapped[str | None] = mapped_column(String(40))
    quote_id: Mapped[str | None] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(String(40))
    vehicle_id: Mapped[str | None] = mapped_column(String(40))
    advisor_id: Mapped[str | None] = mapped_column(String(40))
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    waiting_parts: Mapped[bool] = mapped_column(Boolean, default=False)
    comeback: Mapped[bool] = mapped_column(Boolean, default=False)
    comeback_of_id: Mapped[str | None] = mapped_column(String(26))
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    qc_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    bay_id: Mapped[str | None] = mapped_column(ForeignKey("bays.id"))
    scheduled_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    mileage_out_km: Mapped[int | None] = mapped_column(Integer)
    accepted_by: Mapped[str | None] = mapped_column(String(50))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    customer_comment: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    jobs: Mapped[list["Job"]] = relationship(
        back_populates="work_order", cascade="all, delete-orphan", lazy="selectin", order_by="Job.position")
    parts: Mapped[list["WorkOrderPart"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="WorkOrderPart.position")
    history: Mapped[list["StatusChange"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="(StatusChange.at, StatusChange.id)")

    __table_args__ = (
        Index("ix_work_orders_store_status", "store_id", "status", "id"),
        Index("ix_work_orders_store", "store_id", "id"),  # a store's newest first, any status
        # a store's period of figures, read from the index alone (PostgreSQL)
        Index("ix_work_orders_store_completed", "store_id", "completed_at",
              postgresql_include=["id", "opened_at", "comeback", "rework_count"]),
        Index("ix_work_orders_vehicle", "vehicle_id", "completed_at"),
        Index("ix_work_orders_bay", "bay_id", "status"),
    )


class Job(Base):
    """One labour line of the order."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    line_id: Mapped[str | None] = mapped_column(String(40))
    op_code: Mapped[str | None] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text)
    skill: Mapped[str | None] = mapped_column(String(40))
    billed_hours: Mapped[Decimal] = mapped_column(HOURS)
    comeback: Mapped[bool] = mapped_column(Boolean, default=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="the technicians said it is done")

    work_order: Mapped[WorkOrder] = relationship(back_populates="jobs")
    assignments: Mapped[list["Assignment"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Assignment.technician_id")


class Assignment(Base):
    """A technician on a job with their share (percent) of it, used for commission."""

    __tablename__ = "job_assignments"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    technician_id: Mapped[str] = mapped_column(ForeignKey("technicians.id"), primary_key=True)
    split_pct: Mapped[Decimal] = mapped_column(HOURS)
    actual_hours: Mapped[Decimal | None] = mapped_column(HOURS, comment="set at completion")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_by: Mapped[str | None] = mapped_column(String(26))

    technician: Mapped[Technician] = relationship(lazy="joined")

    __table_args__ = (Index("ix_job_assignments_technician", "technician_id"),)


class WorkOrderPart(Base):
    """A part line of the order, with what inventory could reserve and what was actually used."""

    __tablename__ = "work_order_parts"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    line_id: Mapped[str | None] = mapped_column(String(40))
    sku: Mapped[str | None] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text)
    qty: Mapped[Decimal] = mapped_column(HOURS)
    qty_reserved: Mapped[Decimal | None] = mapped_column(HOURS)
    qty_short: Mapped[Decimal | None] = mapped_column(HOURS)
    qty_used: Mapped[Decimal | None] = mapped_column(HOURS)


class PendingOrderFact(Base):
    """Facts about an order that arrived before its work order was opened (events from different
    queues race): a cancellation, or inventory's reservation result. Applied at opening."""

    __tablename__ = "pending_order_facts"

    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    cancelled_reason: Mapped[str | None] = mapped_column(Text)
    waiting_parts: Mapped[bool | None] = mapped_column(Boolean)
    parts_lines: Mapped[list | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TimeEntry(Base):
    __tablename__ = "time_entries"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    technician_id: Mapped[str] = mapped_column(ForeignKey("technicians.id"))
    open_technician_id: Mapped[str | None] = mapped_column(
        String(26), unique=True,
        comment="= technician_id while clocked in, NULL after: one open entry per technician")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hours: Mapped[Decimal | None] = mapped_column(HOURS)
    note: Mapped[str | None] = mapped_column(Text)
    clocked_by: Mapped[str | None] = mapped_column(String(26))

    technician: Mapped[Technician] = relationship(lazy="joined")

    __table_args__ = (Index("ix_time_entries_technician", "technician_id", "started_at"),
                      Index("ix_time_entries_job", "job_id", "technician_id"))


class Inspection(Base):
    """A digital vehicle inspection (DVI): findings per area, green/yellow/red."""

    __tablename__ = "inspections"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    store_id: Mapped[str] = mapped_column(String(26))
    vehicle_id: Mapped[str | None] = mapped_column(String(40))
    mileage_km: Mapped[int | None] = mapped_column(Integer)
    inspected_by: Mapped[str | None] = mapped_column(String(26), comment="gateway user id")
    technician_id: Mapped[str | None] = mapped_column(String(26))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    findings: Mapped[list["Finding"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Finding.position")


class Finding(Base):
    __tablename__ = "inspection_findings"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    area: Mapped[str] = mapped_column(String(30))
    item: Mapped[str] = mapped_column(String(100))
    condition: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    photo_refs: Mapped[list] = mapped_column(JSON, default=list)
    recommended_op_code: Mapped[str | None] = mapped_column(String(40))
    quote_id: Mapped[str | None] = mapped_column(String(40), comment="the quote it was turned into, if any")


class QcResult(Base):
    __tablename__ = "qc_results"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    checklist: Mapped[list] = mapped_column(JSON, default=list)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    inspector_user_id: Mapped[str | None] = mapped_column(String(26))
    inspector_role: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StatusChange(Base):
    """Every transition of a work order: who moved it, when, and why."""

    __tablename__ = "work_order_status_changes"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user_id: Mapped[str | None] = mapped_column(String(26))
    reason: Mapped[str | None] = mapped_column(Text)
