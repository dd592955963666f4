"""Dispatch (派工): one or more technicians per job with a split in percent that sums to 100 (used
for commission), only technicians of the store who are active and have the job's skill; and a
suggestion: the on-shift technicians with the skill, least loaded first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Invalid
from services.common.skills import ANY_SKILL, LEVELS

from ..models import Assignment, Job, Technician, TechnicianSkill, TimeEntry, WorkOrder
from . import bays as bay_rules
from .technicians import on_shift
from .work_orders import (ACTIVE, DISPATCHED, IN_PROGRESS, OPEN, check_version, get_job, get_work_order,
                          require_state, touch, transition)

HUNDRED = Decimal(100)


def required_skill(skill: str | None) -> str | None:
    """The skill a technician must hold for a job; `general` asks for nobody in particular."""
    return None if not skill or skill == ANY_SKILL else skill


DISPATCHABLE = (OPEN, DISPATCHED, IN_PROGRESS)


def plain(number: Decimal) -> str:
    """A percentage as people write it: 90, 33.5 (no trailing zeros, no exponent)."""
    return format(number.normalize(), "f")


def validate_split(shares: list[dict]) -> dict[str, Decimal]:
    """`[{technician_id, split_pct}]` → {technician_id: pct}; one technician once, each share above
    zero, all shares summing to exactly 100. With no split_pct at all the job is shared evenly."""
    if not shares:
        raise Invalid("A job needs at least one technician.", fields={"technicians": ["At least one technician."]},
                      code="job_needs_technician")
    given = [share.get("split_pct") is not None for share in shares]
    if not any(given):
        shares = even_split([share["technician_id"] for share in shares])
    elif not all(given):
        raise Invalid("Give every technician a split_pct, or none for an even split.",
                      fields={"split_pct": ["Missing for some technicians."]}, code="split_incomplete")
    split: dict[str, Decimal] = {}
    for share in shares:
        technician_id, pct = share["technician_id"], Decimal(share["split_pct"])
        if technician_id in split:
            raise Invalid("A technician appears twice on one job.",
                          fields={"technicians": [f"{technician_id} appears twice."]}, code="technician_twice")
        if pct <= 0 or pct > HUNDRED:
            raise Invalid("Each share is above 0 and at most 100 percent.",
                          fields={"split_pct": [f"{pct} is not between 0 (exclusive) and 100."]},
                          code="split_share_out_of_range", params={"pct": plain(pct)})
        split[technician_id] = pct
    total = sum(split.values(), Decimal(0))
    if total != HUNDRED:
        raise Invalid(f"The split sums to {total}, not 100.", fields={"split_pct": [f"Sums to {total}, not 100."]},
                      code="split_not_hundred", params={"total": plain(total)})
    return split


def even_split(technician_ids: list[str]) -> list[dict]:
    """Equal shares to the thousandth of a percent; the first technician takes the remainder."""
    count = len(technician_ids)
    share = (HUNDRED / count).quantize(Decimal("0.001"), rounding="ROUND_DOWN")
    first = HUNDRED - share * (count - 1)
    return [{"technician_id": t, "split_pct": first if i == 0 else share} for i, t in enumerate(technician_ids)]


QUALIFICATION_PROBLEMS = {"technician_in_other_store": "works in another store",
                          "technician_inactive": "is not active",
                          "technician_lacks_skill": "does not have the skill {skill}"}
"""Why a technician cannot take a job: its code, and its words for the API's message."""


def qualification_problem(technician: Technician, store_id: str, skill: str | None) -> str | None:
    """Why this technician cannot take a job of `store_id` needing `skill` (a code of
    QUALIFICATION_PROBLEMS), or None."""
    if technician.store_id != store_id:
        return "technician_in_other_store"
    if not technician.active:
        return "technician_inactive"
    skill = required_skill(skill)
    if skill and skill not in technician.skills:
        return "technician_lacks_skill"
    return None


def refuse_unqualified(problems: dict[str, str], technicians: dict[str, Technician], job: Job) -> None:
    """Invalid (422) for the technicians who cannot take `job` ({technician id: problem code}):
    coded by the first kind of problem, with the technicians' names (never their ids) and the
    job's skill as params, so that a client words it for the people at the counter."""
    if not problems:
        return
    skill = required_skill(job.skill)
    said = {tid: QUALIFICATION_PROBLEMS[code].format(skill=skill) for tid, code in problems.items()}
    code = next(code for code in QUALIFICATION_PROBLEMS if code in problems.values())
    raise Invalid("Some technicians cannot take this job.",
                  fields={"technicians": [f"{technicians[t].name} ({t}) {why}." for t, why in said.items()]},
                  code=code, params={"technicians": [technicians[t].name for t, c in problems.items() if c == code],
                                     "job": job.description or job.op_code or "", "skill": skill or ""})


def _technicians(session: Session, ids: list[str]) -> dict[str, Technician]:
    found = {t.id: t for t in session.scalars(select(Technician).where(Technician.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid("Unknown technicians.", fields={"technician_id": [f"No technician {i}." for i in missing]},
                      code="unknown_technician")
    return found


def _clocked_in(session: Session, job_id: str) -> set[str]:
    return set(session.scalars(select(TimeEntry.technician_id).where(
        TimeEntry.job_id == job_id, TimeEntry.ended_at.is_(None))))


def assign_job(session: Session, work_order: WorkOrder, job: Job, split: dict[str, Decimal],
               technicians: dict[str, Technician], by: str | None) -> None:
    problems = {tid: qualification_problem(technicians[tid], work_order.store_id, job.skill) for tid in split}
    refuse_unqualified({tid: why for tid, why in problems.items() if why}, technicians, job)
    removed_while_working = _clocked_in(session, job.id) - set(split)
    if removed_while_working:
        names = session.scalars(select(Technician.name).where(Technician.id.in_(removed_while_working)))
        raise Conflict("Technicians clocked into this job cannot be taken off it; clock them out first.",
                       fields={"technicians": sorted(removed_while_working)},
                       code="technician_clocked_in", params={"technicians": sorted(names)})
    current = {a.technician_id: a for a in job.assignments}
    for technician_id, assignment in current.items():
        if technician_id not in split:
            job.assignments.remove(assignment)
    for technician_id, pct in split.items():
        if technician_id in current:
            current[technician_id].split_pct = pct
        else:
            job.assignments.append(Assignment(technician_id=technician_id, split_pct=pct, assigned_at=utcnow(),
                                              assigned_by=by))


def dispatch(session: Session, caller: Caller, work_order_id: str, data: dict) -> WorkOrder:
    """Assign technicians (and optionally a bay and a planned start). The first dispatch that
    leaves every job staffed moves the work order from open to dispatched."""
    work_order = get_work_order(session, work_order_id, caller, lock=True)
    require_state(work_order, DISPATCHABLE, "dispatch it")
    check_version(work_order, data.get("expected_version"))
    ids = sorted({s["technician_id"] for entry in data["jobs"] for s in entry["technicians"]})
    technicians = _technicians(session, ids) if ids else {}
    seen_jobs = set()
    for entry in data["jobs"]:
        job = get_job(work_order, entry["job_id"])
        if job.id in seen_jobs:
            raise Invalid("A job appears twice.", fields={"jobs": [f"{job.id} appears twice."]}, code="job_twice")
        seen_jobs.add(job.id)
        assign_job(session, work_order, job, validate_split(entry["technicians"]), technicians, caller.user_id)
    if "bay_id" in data:
        bay_rules.assign_bay(session, work_order, data["bay_id"])
    if "scheduled_start" in data:
        work_order.scheduled_start = data["scheduled_start"]
    touch(work_order)
    if work_order.status == OPEN and all(job.assignments for job in work_order.jobs) and work_order.jobs:
        transition(session, work_order, DISPATCHED, by=caller.user_id, action="dispatch it")
    session.flush()
    return work_order


@dataclass(frozen=True)
class Candidate:
    technician: Technician
    load_hours: Decimal
    active_jobs: int
    clocked_in: bool

    def sort_key(self):
        level = LEVELS.index(self.technician.level) if self.technician.level in LEVELS else 0
        return (self.load_hours, self.active_jobs, self.clocked_in, -level, self.technician.name)


def rank(candidates: list[Candidate]) -> list[Candidate]:
    """Least loaded first (open billed hours weighted by share), then fewer jobs, not busy at the
    clock right now, the more senior, by name."""
    return sorted(candidates, key=Candidate.sort_key)


def loads(session: Session, technician_ids: list[str],
          exclude_job_id: str | None = None) -> dict[str, tuple[Decimal, int]]:
    """technician → (open hours weighted by split, number of jobs) over work orders still active."""
    if not technician_ids:
        return {}
    query = (select(Assignment.technician_id, func.sum(Job.billed_hours * Assignment.split_pct / 100),
                    func.count(Assignment.job_id))
             .join(Job, Job.id == Assignment.job_id).join(WorkOrder, WorkOrder.id == Job.work_order_id)
             .where(Assignment.technician_id.in_(technician_ids), WorkOrder.status.in_(ACTIVE))
             .group_by(Assignment.technician_id))
    if exclude_job_id:
        query = query.where(Assignment.job_id != exclude_job_id)
    return {tid: (Decimal(str(hours or 0)).quantize(Decimal("0.001")), count)
            for tid, hours, count in session.execute(query)}


def suggest(session: Session, caller: Caller, work_order_id: str, job_id: str, at: datetime | None = None,
            include_off_shift: bool = False) -> list[dict]:
    work_order = get_work_order(session, work_order_id, caller)
    job = get_job(work_order, job_id)
    at = at or utcnow()
    query = select(Technician).where(Technician.store_id == work_order.store_id, Technician.active.is_(True))
    if required_skill(job.skill):
        query = query.where(Technician.id.in_(
            select(TechnicianSkill.technician_id).where(TechnicianSkill.skill == job.skill)))
    technicians = [t for t in session.scalars(query) if include_off_shift or on_shift(t, at)]
    ids = [t.id for t in technicians]
    load = loads(session, ids, exclude_job_id=job.id)
    busy = set(session.scalars(select(TimeEntry.technician_id).where(
        TimeEntry.technician_id.in_(ids), TimeEntry.ended_at.is_(None)))) if ids else set()
    ranked = rank([Candidate(t, *load.get(t.id, (Decimal(0), 0)), clocked_in=t.id in busy) for t in technicians])
    assigned = {a.technician_id for a in job.assignments}
    return [{"technician_id": c.technician.id, "name": c.technician.name, "level": c.technician.level,
             "skills": c.technician.skills, "load_hours": c.load_hours, "active_jobs": c.active_jobs,
             "clocked_in": c.clocked_in, "on_shift": on_shift(c.technician, at),
             "already_assigned": c.technician.id in assigned} for c in ranked]


def job_board(session: Session, caller: Caller, technician: Technician) -> list[dict]:
    """The technician's jobs across work orders that are still active, most urgent first."""
    caller.require_store(technician.store_id)
    rows = session.execute(
        select(Assignment, Job, WorkOrder).join(Job, Job.id == Assignment.job_id)
        .join(WorkOrder, WorkOrder.id == Job.work_order_id)
        .where(Assignment.technician_id == technician.id, WorkOrder.status.in_(ACTIVE))
        .order_by(WorkOrder.promised_at.is_(None), WorkOrder.promised_at, WorkOrder.id, Job.position)).all()
    open_entries = {e.job_id: e for e in session.scalars(select(TimeEntry).where(
        TimeEntry.technician_id == technician.id, TimeEntry.ended_at.is_(None)))}
    clocked = {}
    if rows:
        for job_id, hours in session.execute(
                select(TimeEntry.job_id, func.sum(TimeEntry.hours))
                .where(TimeEntry.technician_id == technician.id,
                       TimeEntry.job_id.in_([job.id for _a, job, _w in rows]))
                .group_by(TimeEntry.job_id)):
            clocked[job_id] = Decimal(str(hours or 0)).quantize(Decimal("0.001"))
    return [{"work_order_id": wo.id, "order_number": wo.order_number, "work_order_status": wo.status,
             "vehicle_id": wo.vehicle_id, "promised_at": wo.promised_at, "waiting_parts": wo.waiting_parts,
             "bay_id": wo.bay_id, "job_id": job.id, "description": job.description, "op_code": job.op_code,
             "skill": job.skill, "billed_hours": job.billed_hours, "split_pct": assignment.split_pct,
             "clocked_hours": clocked.get(job.id, Decimal(0)),
             "clocked_in_since": open_entries[job.id].started_at if job.id in open_entries else None}
            for assignment, job, wo in rows]


def crew_board(session: Session, store_id: str, at: datetime | None = None) -> list[dict]:
    """The foreman's screen: every active technician of the store, who is on shift, what they are
    clocked into since when, and their open load; busy first, then on shift, least loaded first."""
    at = at or utcnow()
    technicians = list(session.scalars(select(Technician).where(
        Technician.store_id == store_id, Technician.active.is_(True))))
    ids = [t.id for t in technicians]
    load = loads(session, ids)
    current = {}
    if ids:
        rows = session.execute(
            select(TimeEntry, Job.description, WorkOrder.order_number)
            .join(Job, Job.id == TimeEntry.job_id).join(WorkOrder, WorkOrder.id == TimeEntry.work_order_id)
            .where(TimeEntry.technician_id.in_(ids), TimeEntry.ended_at.is_(None)))
        current = {entry.technician_id: {"work_order_id": entry.work_order_id, "order_number": number,
                                         "job_id": entry.job_id, "description": description,
                                         "since": entry.started_at}
                   for entry, description, number in rows}
    board = [{"technician_id": t.id, "name": t.name, "level": t.level, "skills": t.skills,
              "on_shift": on_shift(t, at), "clocked_into": current.get(t.id),
              "load_hours": load.get(t.id, (Decimal(0), 0))[0], "active_jobs": load.get(t.id, (Decimal(0), 0))[1]}
             for t in technicians]
    return sorted(board, key=lambda row: (row["clocked_into"] is None, not row["on_shift"], row["load_hours"],
                                          row["name"]))
