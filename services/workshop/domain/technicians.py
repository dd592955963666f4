"""Technicians of a store: skills, level, hourly cost, weekly shifts (store-local time),
certifications and training records; who is on shift at a given moment."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from services.common.context import Caller
from services.common.errors import Conflict, NotFound
from services.common.schemas import page

from ..models import Certification, Shift, Technician, TechnicianSkill, Training


def is_on_shift(shifts: list[tuple[int, time, time]], local: datetime) -> bool:
    """`shifts` are (weekday, start, end) in local time, Monday = 0; a shift whose end is not after
    its start runs past midnight into the next day."""
    weekday, clock = local.weekday(), local.time().replace(tzinfo=None)
    for day, start, end in shifts:
        if start < end:
            if day == weekday and start <= clock < end:
                return True
        else:  # overnight: from start on `day` to end on the day after
            if (day == weekday and clock >= start) or ((day + 1) % 7 == weekday and clock < end):
                return True
    return False


def on_shift(technician: Technician, at: datetime) -> bool:
    """On one of their weekly shifts at `at` (their store's local time) and not on a day off; an
    overnight shift belongs to the day it started on."""
    local = at.astimezone(ZoneInfo(technician.time_zone or "Asia/Shanghai"))
    shifts = [(s.weekday, s.starts_at, s.ends_at) for s in technician.shifts]
    if not is_on_shift(shifts, local):
        return False
    days_off = set(technician.days_off)
    if not days_off:
        return True
    today = [(day, start, end) for day, start, end in shifts if day == local.weekday()]
    started_today = local.date() not in days_off and is_on_shift(today, local)
    yesterday = (local - timedelta(days=1)).date()
    from_yesterday = yesterday not in days_off and is_on_shift(
        [s for s in shifts if s[0] == yesterday.weekday() and s[2] <= s[1]], local)
    return started_today or from_yesterday


def get_technician(session: Session, technician_id: str, caller: Caller | None = None, *,
                   lock: bool = False, by_name: bool = False) -> Technician:
    """The technician, after checking the caller may see their store; `by_name`: their own row only (one
    statement), their skills, shifts, certifications, trainings and days off loaded only if used."""
    query = select(Technician).where(Technician.id == technician_id)
    if by_name:
        query = query.options(lazyload("*"))
    if lock:
        query = query.with_for_update()
    technician = session.scalars(query).first()
    if technician is None:
        raise NotFound(f"No technician {technician_id}.")
    if caller is not None:
        caller.require_store(technician.store_id)
    return technician


def technician_of_user(session: Session, user_id: str | None) -> Technician | None:
    if not user_id:
        return None
    return session.scalars(select(Technician).where(Technician.user_id == user_id)).first()


def _shift_rows(shifts: list[dict]) -> list[Shift]:
    return [Shift(weekday=s["weekday"], starts_at=s["start"], ends_at=s["end"]) for s in shifts]


def _flush(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        message = "This user is already linked to another technician."
        raise Conflict(message, fields={"user_id": [message]}, code="user_already_technician") from exc


def _ensure_user_free(session: Session, user_id: str | None, exclude_id: str | None = None) -> None:
    if not user_id:
        return
    query = select(Technician.id).where(Technician.user_id == user_id)
    if exclude_id:
        query = query.where(Technician.id != exclude_id)
    if session.execute(query.limit(1)).first():
        message = "This user is already linked to another technician."
        raise Conflict(message, fields={"user_id": [message]}, code="user_already_technician")


def create_technician(session: Session, data: dict) -> Technician:
    _ensure_user_free(session, data.get("user_id"))
    data = dict(data)
    skills, shifts, days_off = data.pop("skills", []), data.pop("shifts", []), data.pop("days_off", [])
    technician = Technician(**data)
    technician.skills = skills
    technician.days_off = days_off
    technician.shifts = _shift_rows(shifts)
    session.add(technician)
    _flush(session)
    return technician


def update_technician(session: Session, technician: Technician, changes: dict) -> Technician:
    changes = dict(changes)
    if "user_id" in changes:
        _ensure_user_free(session, changes["user_id"], technician.id)
    if "skills" in changes:
        technician.skills = changes.pop("skills")
    if "shifts" in changes:
        technician.shifts = _shift_rows(changes.pop("shifts"))
    if "days_off" in changes:
        technician.days_off = changes.pop("days_off")
    for key, value in changes.items():
        setattr(technician, key, value)
    _flush(session)
    return technician


def add_certification(session: Session, technician: Technician, data: dict) -> Certification:
    certification = Certification(**data)
    technician.certifications.append(certification)
    if data.get("skill") and data["skill"] not in technician.skills:
        technician.skills = [*technician.skills, data["skill"]]  # a certificate qualifies for its skill
    session.flush()
    return certification


def add_training(session: Session, technician: Technician, data: dict) -> Training:
    training = Training(**data)
    technician.trainings.append(training)
    session.flush()
    return training


def list_technicians(session: Session, stores: list[str] | None, filters: dict) -> dict:
    query = select(Technician)
    if stores is not None:
        query = query.where(Technician.store_id.in_(stores))
    if filters.get("active") is not None:
        query = query.where(Technician.active.is_(filters["active"]))
    if filters.get("skill"):
        query = query.where(Technician.id.in_(
            select(TechnicianSkill.technician_id).where(TechnicianSkill.skill == filters["skill"])))
    if filters.get("level"):
        query = query.where(Technician.level == filters["level"])
    if filters.get("cursor"):
        query = query.where(Technician.id < filters["cursor"])
    rows = session.scalars(query.order_by(Technician.id.desc()).limit(filters["limit"] + 1)).all()
    return page(list(rows), filters["limit"], key=lambda t: t.id)
