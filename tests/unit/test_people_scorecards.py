"""The people report's arithmetic (gateway/scorecards.py): each row's rates from its own figures, owners' figures
joined by the id finance credits a person under, and a total row that is the sum of the rows with its rates divided
again from the sums — never the rows' rates averaged."""
from __future__ import annotations

from decimal import Decimal

from gateway.scorecards import advisor_rows, by_name, technician_rows, total_row
from services.common.policy import own_scorecard


def card(technician_id: str, name: str, user_id: str | None = None, **figures) -> dict:
    return {"technician_id": technician_id, "user_id": user_id, "name": name, "jobs": 0, "work_orders": 0,
            "billed_hours": 0, "clocked_hours": 0, "comebacks": 0, "reworked": 0, **figures}


def earned(employee_id: str, role: str | None, revenue_fen: int = 0, commission_fen: int = 0,
           target_fen: int | None = None) -> dict:
    return {"employee_id": employee_id, "role": role, "revenue_fen": revenue_fen, "commission_fen": commission_fen,
            "target_fen": target_fen}


def test_a_technicians_rates_come_from_their_own_hours_work_orders_and_revenue():
    [row] = technician_rows([card("T1", "李师傅", "U1", jobs=3, work_orders=4, billed_hours=6.5, clocked_hours=5,
                                  comebacks=1, reworked=1)],
                            [earned("U1", "technician", revenue_fen=65000, commission_fen=6500, target_fen=50000)])
    assert row["employee_id"] == "U1" and row["name"] == "李师傅"  # finance credits the account
    assert row["efficiency_pct"] == 130 and row["comeback_rate_pct"] == 25 and row["first_time_qc_pass_pct"] == 75
    assert (row["labour_revenue_fen"], row["commission_fen"], row["achievement_pct"]) == (65000, 6500, 130)


def test_a_technician_without_an_account_is_credited_under_the_technicians_id_and_nothing_divides_by_zero():
    [row] = technician_rows([card("T2", "王师傅")], [earned("T2", "technician", revenue_fen=100)])
    assert row["employee_id"] == "T2" and row["labour_revenue_fen"] == 100
    assert row["efficiency_pct"] is None and row["comeback_rate_pct"] is None and row["achievement_pct"] is None


def test_commission_finance_paid_someone_workshop_did_not_name_is_a_row_so_the_total_is_every_fen():
    rows = technician_rows([card("T1", "李师傅", "U1")], [
        earned("U1", "technician", commission_fen=100), earned("U9", "technician", commission_fen=50),
        earned("A1", "advisor", commission_fen=70)])
    assert [(row["name"], row["commission_fen"]) for row in by_name(rows)] == [("李师傅", 100), (None, 50)]
    assert total_row(rows, "technician")["commission_fen"] == 150


def test_the_technicians_total_sums_the_rows_and_divides_the_sums_again():
    rows = technician_rows([
        card("T1", "李师傅", "U1", jobs=1, work_orders=1, billed_hours=Decimal("1.000"), clocked_hours=2, reworked=1),
        card("T2", "王师傅", "U2", jobs=3, work_orders=3, billed_hours=Decimal("9.000"), clocked_hours=8, comebacks=1)],
        [earned("U1", "technician", 1000, 100, 2000), earned("U2", "technician", 3000, 300, 2000)])
    total = total_row(rows, "technician")
    assert (total["jobs"], total["work_orders"], total["reworked"], total["comebacks"]) == (4, 4, 1, 1)
    assert total["billed_hours"] == 10 and total["clocked_hours"] == 10
    assert total["efficiency_pct"] == 100  # 10 ÷ 10 h, not the average of 50 % and 112.5 %
    assert total["first_time_qc_pass_pct"] == 75 and total["comeback_rate_pct"] == 25
    assert (total["labour_revenue_fen"], total["commission_fen"], total["target_fen"]) == (4000, 400, 4000)
    assert total["achievement_pct"] == 100 and total["name"] is None


def test_the_totals_achievement_needs_every_row_to_have_a_target():
    rows = technician_rows([card("T1", "李师傅", "U1"), card("T2", "王师傅", "U2")],
                           [earned("U1", "technician", 1000, 0, 2000), earned("U2", "technician", 3000)])
    total = total_row(rows, "technician")
    assert total["target_fen"] == 2000 and total["achievement_pct"] is None


def test_an_advisors_satisfaction_and_complaints_come_through_the_orders_they_advised():
    ratings = [{"order_id": "O1", "satisfaction": 5, "complaint": False},
               {"order_id": "O2", "satisfaction": 2, "complaint": True},
               {"order_id": "O3", "satisfaction": None, "complaint": False},  # not reached
               {"order_id": "O4", "satisfaction": 4, "complaint": False},  # another advisor's
               {"order_id": None, "satisfaction": 1, "complaint": True}]  # nobody's
    sales = [{"advisor_id": "A1", "presented": 4, "approved": 3, "inspection_quoted_fen": 20000,
              "inspection_approved_fen": 5000}]
    rows = advisor_rows(["A1", "A2"], sales, ratings, {"O1": "A1", "O2": "A1", "O3": "A1", "O4": "A2"},
                        [earned("A1", "advisor", 90000, 900, 100000), earned("A2", None, target_fen=50000)],
                        {"A1": "陈顾问", "A2": "林顾问"})
    named = {row["name"]: row for row in rows}
    first, second = named["陈顾问"], named["林顾问"]
    assert (first["name"], first["quotes_presented"], first["quotes_won"], first["close_ratio_pct"]) == (
        "陈顾问", 4, 3, 75)
    assert first["inspection_approval_pct"] == 25
    assert (first["rated"], first["average_satisfaction"], first["complaints"]) == (2, 3.5, 1)
    assert (first["revenue_fen"], first["commission_fen"], first["achievement_pct"]) == (90000, 900, 90)
    assert (second["rated"], second["average_satisfaction"], second["target_fen"], second["achievement_pct"]) == (
        1, 4.0, 50000, 0)
    assert second["close_ratio_pct"] is None


def test_the_advisors_total_averages_every_rating_not_the_advisors_averages():
    ratings = [{"order_id": f"O{n}", "satisfaction": 5, "complaint": False} for n in range(3)] + [
        {"order_id": "P", "satisfaction": 1, "complaint": True}]
    rows = advisor_rows([], [], ratings, {"O0": "A1", "O1": "A1", "O2": "A1", "P": "A2"}, [], {})
    total = total_row(rows, "advisor")
    assert (total["rated"], total["complaints"], total["average_satisfaction"]) == (4, 1, 4.0)  # not (5 + 1) / 2
    assert total["close_ratio_pct"] is None and total["target_fen"] is None


def test_no_rows_make_a_total_of_zeros():
    total = total_row([], "advisor")
    assert total["quotes_presented"] == 0 and total["average_satisfaction"] is None and total["target_fen"] is None


class Someone:
    def __init__(self, role: str):
        self.role, self.store_ids = role, ("S1",)


def test_technicians_and_advisors_read_their_own_row_managers_every_row():
    assert own_scorecard(Someone("technician")) == "technician"
    assert own_scorecard(Someone("service_advisor")) == "advisor"
    assert own_scorecard(Someone("store_manager")) is None and own_scorecard(Someone("hq_admin")) is None
    assert own_scorecard(Someone("cashier")) is None  # refused before: the report is not the till's
