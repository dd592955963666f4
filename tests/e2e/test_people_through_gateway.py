"""人员绩效 through the gateway (issue 29, `GET /v1/reports/people`): after one car through the shop (a job shared
60/40 by 李师傅 and 王师傅, failed QC once, a red inspection finding quoted and approved, the follow-up rating 1
with a complaint), the manager reads each technician's and the advisor's scorecard by name with targets and a
total row that is the sum of the rows; a technician reads only their own; the table exports with its total row."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest

from tests.support.one_car import SHANGHAI, Store, new_part, ok, one_car

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(stack, admin):
    shop = Store(stack, admin)
    one_car(stack, admin, shop, new_part(stack, admin, shop))
    today = datetime.now(SHANGHAI).date()
    return shop, {"store_id": shop.id, "from": today.replace(day=1).isoformat(), "to": today.isoformat()}


def people(stack, session, days: dict, **params) -> dict:
    return ok(session.get(f"{stack.url}/v1/reports/people", params={**days, **params}))


def test_the_technicians_scorecards_by_name_with_a_total_that_adds_up(stack, world):
    shop, days = world
    month = days["to"][:7]
    (li, li_session), (wang, wang_session) = shop.techs
    ok(shop.manager.put(f"{stack.url}/v1/stores/{shop.id}/commission-targets", json={
        "employee_id": li_session.user_id, "month": month, "target_fen": 100000}))
    report = people(stack, shop.manager, days, role="technician")
    assert report["role"] == "technician" and report["own_only"] is False
    rows = {row["employee_name"]: row for row in report["items"]}
    assert list(rows) == sorted(rows) and {"李师傅", "王师傅"} <= set(rows)
    mine, his = rows["李师傅"], rows["王师傅"]
    assert (mine["billed_hours"], his["billed_hours"]) == (0.6, 0.4)  # the 1 h oil change by the 60/40 split
    assert (mine["clocked_hours"], his["clocked_hours"]) == (0.6, 0.4) and mine["efficiency_pct"] == 100
    assert mine["jobs"] == mine["work_orders"] == 1 and mine["reworked"] == 1  # failed QC once
    assert mine["first_time_qc_pass_pct"] == 0 and mine["comebacks"] == 0 and mine["comeback_rate_pct"] == 0
    commissions = ok(shop.manager.get(f"{stack.url}/v1/reports/commissions", params={
        "store_id": shop.id, "month": month}))["items"]
    earned = {item["employee_id"]: item for item in commissions if item["role"] == "technician"}
    assert mine["labour_revenue_fen"] == earned[li_session.user_id]["revenue_fen"] > 0
    assert mine["commission_fen"] == earned[li_session.user_id]["total_fen"] > 0  # 10 % of labour
    # the target: the month's share of the days asked (all of them when the month is whole so far, else a part)
    assert 0 < mine["target_fen"] <= 100000 and his["target_fen"] is None
    assert mine["achievement_pct"] == float((Decimal(mine["labour_revenue_fen"]) * 100 / mine["target_fen"])
                                            .quantize(Decimal("0.001")))
    total = report["total"]
    for name in ("jobs", "work_orders", "comebacks", "reworked", "labour_revenue_fen", "commission_fen"):
        assert total[name] == sum(row[name] for row in report["items"]), name
    assert total["billed_hours"] == total["clocked_hours"] == 1 and total["efficiency_pct"] == 100
    assert total["first_time_qc_pass_pct"] == 0  # divided again from the summed work orders, not averaged
    assert total["target_fen"] == mine["target_fen"] and total["achievement_pct"] is None  # 王师傅 has none
    assert "quotes_presented" not in mine and total["employee_name"] is None


def test_the_advisors_scorecard_counts_quotes_inspection_upsell_satisfaction_and_complaints(stack, world):
    shop, days = world
    report = people(stack, shop.manager, days, role="advisor")
    [row] = [row for row in report["items"] if row["employee_id"] == shop.advisor.user_id]
    assert row["employee_name"] and not row["employee_name"].startswith("0")  # a name, not an id
    assert (row["quotes_presented"], row["quotes_won"], row["close_ratio_pct"]) == (2, 2, 100)
    # the red brake finding: quoted on its own quote and approved in full
    assert row["inspection_quoted_fen"] == row["inspection_approved_fen"] > 0 and row["inspection_approval_pct"] == 100
    assert (row["rated"], row["average_satisfaction"], row["complaints"]) == (1, 1.0, 1)
    commissions = ok(shop.manager.get(f"{stack.url}/v1/reports/commissions", params={
        "store_id": shop.id, "month": days["to"][:7]}))["items"]
    [sold] = [item for item in commissions if item["role"] == "advisor"]
    assert row["revenue_fen"] == sold["revenue_fen"] > 0 and row["commission_fen"] == sold["total_fen"]
    total = report["total"]
    for name in ("quotes_presented", "quotes_won", "revenue_fen", "complaints", "rated", "commission_fen"):
        assert total[name] == sum(item[name] for item in report["items"]), name
    assert total["average_satisfaction"] == 1.0 and "billed_hours" not in row


def test_a_technician_reads_only_their_own_scorecard_and_an_advisor_not_the_technicians(stack, world):
    shop, days = world
    (_li, li_session), _wang = shop.techs
    report = people(stack, li_session, days)
    assert report["own_only"] is True and report["role"] == "technician"
    [row] = report["items"]
    assert row["employee_name"] == "李师傅" and report["total"]["billed_hours"] == row["billed_hours"]
    refused = shop.advisor.get(f"{stack.url}/v1/reports/people", params={**days, "role": "technician"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "own_scorecard_only"
    [own] = people(stack, shop.advisor, days)["items"]
    assert own["employee_id"] == shop.advisor.user_id
    assert shop.cashier.get(f"{stack.url}/v1/reports/people", params=days).status_code == 403


def test_the_scorecards_export_as_csv_with_the_total_row_and_only_their_roles_columns(stack, world):
    shop, days = world
    reply = shop.manager.get(f"{stack.url}/v1/reports/people", params={**days, "role": "technician", "format": "csv"})
    assert reply.status_code == 200, reply.text
    rows = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[0] == "员工姓名" and "计费工时" in header and "报价数" not in header
    assert body[-1][0] == "合计" and {"李师傅", "王师傅"} <= {line[0] for line in body[:-1]}
    billed = header.index("计费工时")
    assert Decimal(body[-1][billed]) == sum(Decimal(line[billed]) for line in body[:-1])
