"""workshop's rules without I/O: the work order state machine, dispatch splits and suggestion
ranking, shifts, clocked hours, QC inspector and completion hours."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest

from services.common.errors import Conflict, Invalid
from services.workshop.domain import completion, dispatch, order_facts, qc, technicians, work_orders
from services.workshop.domain.clock import hours_between
from services.contracts.rpc.workshop.work_orders import STATES
from services.workshop.domain.work_orders import TRANSITIONS

LEGAL = {("open", "dispatched"), ("dispatched", "in_progress"), ("in_progress", "qc"), ("qc", "in_progress"),
         ("qc", "completed"), ("completed", "delivered"), ("open", "cancelled"), ("dispatched", "cancelled"),
         ("in_progress", "cancelled"), ("qc", "cancelled")}


def test_state_machine_is_exactly_the_one_in_the_api_contract():
    assert STATES == ("open", "dispatched", "in_progress", "qc", "completed", "delivered", "cancelled")
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == LEGAL


@pytest.mark.parametrize("current", STATES)
@pytest.mark.parametrize("target", STATES)
def test_every_other_transition_is_a_conflict_naming_the_current_state(current, target):
    if (current, target) in LEGAL:
        work_orders.check_transition(current, target)
        return
    with pytest.raises(Conflict) as refused:
        work_orders.check_transition(current, target)
    assert current in refused.value.message and refused.value.fields == {"status": [current]}


def test_transition_records_who_when_and_why_bumps_the_version_and_tells_the_board(monkeypatch):
    told = []
    monkeypatch.setattr(work_orders, "status_changed", lambda session, wo, before: told.append((wo.status, before)))
    wo = SimpleNamespace(status="qc", status_changed_at=None, version=3, history=[])
    work_orders.transition(None, wo, "in_progress", by="u1", reason="QC failed: noise")
    assert wo.status == "in_progress" and wo.version == 4
    [change] = wo.history
    assert (change.from_status, change.to_status, change.by_user_id, change.reason) == (
        "qc", "in_progress", "u1", "QC failed: noise")
    assert told == [("in_progress", "qc")]


def test_stale_version_is_refused():
    with pytest.raises(Conflict):
        work_orders.check_version(SimpleNamespace(version=5), 4)
    work_orders.check_version(SimpleNamespace(version=5), 5)
    work_orders.check_version(SimpleNamespace(version=5), None)


def test_order_lines_become_one_job_per_labour_line_and_the_parts_list():
    lines = [{"line_id": "l1", "kind": "labour", "description": "换机油", "op_code": "OIL", "skill": "maintenance",
              "hours": 0.5, "qty": 1},
             {"line_id": "l2", "kind": "part", "description": "机油", "sku": "OIL-5W30", "qty": "4.5"},
             {"line_id": "l3", "kind": "fee", "description": "环保费", "qty": 1},
             {"line_id": "l4", "kind": "labour", "description": "四轮定位", "op_code": "ALN", "skill": None,
              "hours": None, "qty": 2}]
    jobs, parts = order_facts.jobs_and_parts(lines)
    assert [(j["line_id"], j["billed_hours"]) for j in jobs] == [("l1", Decimal("0.500")), ("l4", Decimal("2.000"))]
    assert [(p["sku"], p["qty"]) for p in parts] == [("OIL-5W30", Decimal("4.500"))]


@pytest.mark.parametrize("shares", [
    [{"technician_id": "a", "split_pct": 50}, {"technician_id": "b", "split_pct": 50}],
    [{"technician_id": "a", "split_pct": 100}],
    [{"technician_id": "a", "split_pct": "33.334"}, {"technician_id": "b", "split_pct": "33.333"},
     {"technician_id": "c", "split_pct": "33.333"}],
])
def test_splits_summing_to_100_are_accepted(shares):
    assert sum(dispatch.validate_split(shares).values()) == 100


@pytest.mark.parametrize("shares, field", [
    ([], "technicians"),
    ([{"technician_id": "a", "split_pct": 60}, {"technician_id": "b", "split_pct": 30}], "split_pct"),
    ([{"technician_id": "a", "split_pct": 60}, {"technician_id": "b", "split_pct": 50}], "split_pct"),
    ([{"technician_id": "a", "split_pct": 100}, {"technician_id": "b", "split_pct": 0}], "split_pct"),
    ([{"technician_id": "a", "split_pct": 50}, {"technician_id": "a", "split_pct": 50}], "technicians"),
    ([{"technician_id": "a", "split_pct": 120}, {"technician_id": "b", "split_pct": -20}], "split_pct"),
])
def test_bad_splits_are_refused(shares, field):
    with pytest.raises(Invalid) as refused:
        dispatch.validate_split(shares)
    assert field in refused.value.fields


def test_no_split_given_shares_the_job_evenly_but_a_partial_split_is_refused():
    assert dispatch.validate_split([{"technician_id": "a"}, {"technician_id": "b"}, {"technician_id": "c"}]) == {
        "a": Decimal("33.334"), "b": Decimal("33.333"), "c": Decimal("33.333")}
    with pytest.raises(Invalid):
        dispatch.validate_split([{"technician_id": "a", "split_pct": 50}, {"technician_id": "b"}])


def test_even_split_sums_to_exactly_100():
    shares = dispatch.even_split(["a", "b", "c"])
    assert sum(Decimal(s["split_pct"]) for s in shares) == 100
    assert [s["split_pct"] for s in shares] == [Decimal("33.334"), Decimal("33.333"), Decimal("33.333")]


def tech(name, skills=(), store="s1", active=True, level="senior"):
    return SimpleNamespace(name=name, skills=list(skills), store_id=store, active=active, level=level)


def test_only_active_technicians_of_the_store_with_the_skill_qualify():
    assert dispatch.qualification_problem(tech("a", ["brakes"]), "s1", "brakes") is None
    assert dispatch.qualification_problem(tech("a", ["paint"]), "s1", None) is None
    assert dispatch.qualification_problem(tech("a", []), "s1", "general") is None  # sales' default: anyone
    assert dispatch.qualification_problem(tech("a", ["paint"]), "s1", "brakes") == "technician_lacks_skill"
    elsewhere = tech("a", ["brakes"], store="s2")
    assert dispatch.qualification_problem(elsewhere, "s1", "brakes") == "technician_in_other_store"
    assert dispatch.qualification_problem(tech("a", ["brakes"], active=False), "s1", "brakes") == "technician_inactive"


def test_a_refused_dispatch_names_the_technicians_and_the_skill_for_the_client_to_word():
    """Issue 18: the console showed `赵磊 (01m9...) does not have the skill senior` in English with an
    id; the refusal carries a code, the technicians' names and the job's skill instead."""
    crew = {"t1": tech("赵磊", ["brakes"]), "t2": tech("周婷", ["tyres"]), "t3": tech("吴刚", ["paint"], store="s2")}
    job = SimpleNamespace(skill="maintenance", description="更换机油机滤", op_code="OIL-CHG")
    with pytest.raises(Invalid) as refused:
        dispatch.refuse_unqualified({"t1": "technician_lacks_skill", "t2": "technician_lacks_skill",
                                     "t3": "technician_in_other_store"}, crew, job)
    assert refused.value.code == "technician_in_other_store"  # the first kind of problem
    assert refused.value.params == {"technicians": ["吴刚"], "job": "更换机油机滤", "skill": "maintenance"}
    with pytest.raises(Invalid) as refused:
        dispatch.refuse_unqualified({"t1": "technician_lacks_skill", "t2": "technician_lacks_skill"}, crew, job)
    assert refused.value.code == "technician_lacks_skill"
    assert refused.value.params["technicians"] == ["赵磊", "周婷"]
    assert "赵磊 (t1) does not have the skill maintenance." in refused.value.fields["technicians"]
    dispatch.refuse_unqualified({}, crew, job)  # nobody refused: nothing raised


def test_suggestions_rank_least_loaded_first_then_fewer_jobs_then_free_then_senior():
    C = dispatch.Candidate
    ranked = dispatch.rank([
        C(tech("busy"), Decimal(5), 1, False),
        C(tech("junior", level="junior"), Decimal(1), 1, False),
        C(tech("master", level="master"), Decimal(1), 1, False),
        C(tech("clocked"), Decimal(1), 1, True),
        C(tech("many"), Decimal(1), 3, False),
        C(tech("idle"), Decimal(0), 0, False),
    ])
    assert [c.technician.name for c in ranked] == ["idle", "master", "junior", "clocked", "many", "busy"]


MON = 0


@pytest.mark.parametrize("local, expected", [
    (datetime(2026, 11, 23, 8, 29), False),   # Monday before the shift
    (datetime(2026, 11, 23, 8, 30), True),
    (datetime(2026, 11, 23, 17, 59), True),
    (datetime(2026, 11, 23, 18, 0), False),   # end is exclusive
    (datetime(2026, 11, 24, 12, 0), False),   # Tuesday: no shift
    (datetime(2026, 11, 25, 23, 0), True),    # Wednesday night shift
    (datetime(2026, 11, 26, 5, 59), True),    # … into Thursday morning
    (datetime(2026, 11, 26, 6, 0), False),
])
def test_shifts_are_weekly_local_times_and_may_run_past_midnight(local, expected):
    shifts = [(MON, time(8, 30), time(18, 0)), (2, time(22, 0), time(6, 0))]
    assert technicians.is_on_shift(shifts, local) is expected


def test_on_shift_uses_the_technicians_time_zone():
    shift = SimpleNamespace(weekday=3, starts_at=time(9, 0), ends_at=time(17, 0))
    technician = SimpleNamespace(time_zone="Asia/Shanghai", shifts=[shift], days_off=[])
    assert technicians.on_shift(technician, datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc))  # 10:00 Shanghai
    assert not technicians.on_shift(technician, datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc))  # 18:00


def test_clocked_hours_are_exact_to_the_thousandth():
    start = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)
    assert hours_between(start, start + timedelta(hours=1, minutes=30)) == Decimal("1.500")
    assert hours_between(start, start + timedelta(seconds=10)) == Decimal("0.003")
    assert hours_between(start, start - timedelta(hours=1)) == Decimal("0.000")


def test_qc_by_one_of_the_jobs_technicians_is_refused():
    assert qc.inspector_problem("u-li", {"u-li", "u-wang"})
    assert qc.inspector_problem("u-qc", {"u-li"}) is None
    assert qc.inspector_problem(None, {"u-li"}) is None


def test_actual_hours_default_to_clocked_and_corrections_must_name_an_assignment():
    assignments = {("j1", "a"): object(), ("j1", "b"): object()}
    clocked = {("j1", "a"): Decimal("1.25")}
    assert completion.actual_hours(assignments, clocked, []) == {("j1", "a"): Decimal("1.25"), ("j1", "b"): 0}
    corrected = completion.actual_hours(assignments, clocked, [{"job_id": "j1", "technician_id": "b", "hours": 2}])
    assert corrected[("j1", "b")] == Decimal("2.000")
    with pytest.raises(Invalid):
        completion.actual_hours(assignments, clocked, [{"job_id": "j1", "technician_id": "c", "hours": 1}])


def test_a_day_off_takes_the_technician_off_shift_including_an_overnight_shift_started_that_day():
    shifts = [SimpleNamespace(weekday=d, starts_at=time(20, 0), ends_at=time(4, 0)) for d in range(7)]
    technician = SimpleNamespace(time_zone="Asia/Shanghai", shifts=shifts, days_off=[])
    wed_night = datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc)  # Wednesday 22:00 in Shanghai
    thu_early = datetime(2026, 11, 25, 18, 0, tzinfo=timezone.utc)  # Thursday 02:00, Wednesday's shift
    assert technicians.on_shift(technician, wed_night) and technicians.on_shift(technician, thu_early)
    technician.days_off = [datetime(2026, 11, 25).date()]
    assert not technicians.on_shift(technician, wed_night)
    assert not technicians.on_shift(technician, thu_early)
    technician.days_off = [datetime(2026, 11, 26).date()]  # Thursday off: Wednesday's night shift still runs
    assert technicians.on_shift(technician, thu_early)


def test_parts_used_default_to_the_order_and_report_extras_and_repeats():
    def part(sku, qty, line):
        return SimpleNamespace(id=line, sku=sku, qty=Decimal(qty), line_id=line, qty_used=None)

    wo = SimpleNamespace(parts=[part("OIL", "4", "l1"), part("FLT", "1", "l2")])
    assert [(u["sku"], u["qty"]) for u in completion.parts_used(wo, None)] == [("OIL", 4), ("FLT", 1)]
    used = completion.parts_used(wo, [{"sku": "OIL", "qty": "3.5"}, {"sku": "OIL", "qty": "0.5"},
                                      {"sku": "WIPER", "qty": 2}])
    assert [(u["sku"], u["qty"], u["line_id"]) for u in used] == [
        ("OIL", Decimal("3.500"), "l1"), ("OIL", Decimal("0.500"), "l1"), ("WIPER", Decimal("2.000"), None)]
    assert [(p.sku, p.qty_used) for p in wo.parts] == [("OIL", 4), ("FLT", 0), ("WIPER", 2)]


@pytest.mark.parametrize("schema, data, field", [
    ("SuggestionQuery", {"at": "0001-01-01T00:00:00+08:00"}, "at"),
    ("BayPlanQuery", {"store_id": "s1", "date": "9999-12-31"}, "date"),
    ("StatsQuery", {"store_id": "s1", "from": "2026-01-01", "to": "9999-12-31"}, "to"),
    ("TechnicianCreate", {"store_id": "s" * 27, "name": "a", "level": "junior", "hourly_cost_fen": 1}, "store_id"),
    ("TechnicianCreate", {"store_id": "s1", "name": "a", "level": "junior", "hourly_cost_fen": 2 ** 40},
     "hourly_cost_fen"),
    ("DeliverRequest", {"mileage_out_km": 1, "accepted_by": "x", "satisfied": True,
                        "accepted_at": "0001-01-01T00:00:00+14:00"}, "accepted_at"),
])
def test_values_the_database_or_the_calendar_cannot_hold_are_refused_as_validation_errors(schema, data, field):
    from marshmallow import ValidationError

    from services.contracts.rpc import workshop as schemas
    with pytest.raises(ValidationError) as refused:
        getattr(schemas, schema)().load(data)
    assert field in refused.value.messages
