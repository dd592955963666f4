"""The people report's arithmetic (`GET /v1/reports/people`): a scorecard per technician or advisor of a store from
the figures its owners answer — workshop's hours, jobs, comebacks and reworks, sales' quotes, crm's follow-ups,
finance's revenue, commission and targets — and a total row that is the sum of the rows, its rates divided again
from the summed figures (never an average of the rows' rates). Plain functions: no broker, no database."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from .resources.kpis import ratio

TECHNICIAN_SUMS = ("jobs", "work_orders", "billed_hours", "clocked_hours", "comebacks", "reworked",
                   "labour_revenue_fen", "commission_fen")
ADVISOR_SUMS = ("quotes_presented", "quotes_won", "inspection_quoted_fen", "inspection_approved_fen", "revenue_fen",
                "rated", "score_sum", "complaints", "commission_fen")
SUMS = {"technician": TECHNICIAN_SUMS, "advisor": ADVISOR_SUMS}
REVENUE = {"technician": "labour_revenue_fen", "advisor": "revenue_fen"}
"""What a target is set against: the revenue credited to the person (as on the commission screen)."""


def _decimal(value) -> Decimal:
    return Decimal(str(value or 0))


def technician_rates(row: dict) -> dict:
    """A technician's (or the total's) rates from its figures: efficiency (billed ÷ clocked hours), comeback rate
    and first-time QC pass (of their completed work orders), target achievement (labour revenue ÷ target)."""
    return {**row,
            "efficiency_pct": ratio(_decimal(row["billed_hours"]), _decimal(row["clocked_hours"])),
            "comeback_rate_pct": ratio(row["comebacks"], row["work_orders"]),
            "first_time_qc_pass_pct": ratio(row["work_orders"] - row["reworked"], row["work_orders"]),
            "achievement_pct": ratio(row["labour_revenue_fen"], row["target_fen"] or 0)}


def advisor_rates(row: dict) -> dict:
    """An advisor's (or the total's) rates from its figures: close ratio (won ÷ presented quotes), the share of the
    inspection quotes' amount approved, average satisfaction (of the ratings), target achievement."""
    return {**row,
            "close_ratio_pct": ratio(row["quotes_won"], row["quotes_presented"]),
            "inspection_approval_pct": ratio(row["inspection_approved_fen"], row["inspection_quoted_fen"]),
            "average_satisfaction": (float((Decimal(row["score_sum"]) / row["rated"]).quantize(Decimal("0.01")))
                                     if row["rated"] else None),
            "achievement_pct": ratio(row["revenue_fen"], row["target_fen"] or 0)}


RATES = {"technician": technician_rates, "advisor": advisor_rates}


def _earnings(items: Iterable[dict], role: str) -> dict[str, dict]:
    """employee → finance's figures for the role (a target-only row, no role, goes to whoever it names)."""
    out: dict[str, dict] = {}
    for item in items:
        if item["role"] in (role, None):
            mine = out.setdefault(item["employee_id"], {"revenue_fen": 0, "commission_fen": 0, "target_fen": None})
            mine["revenue_fen"] += item["revenue_fen"]
            mine["commission_fen"] += item["commission_fen"]
            mine["target_fen"] = item["target_fen"] if item["target_fen"] is not None else mine["target_fen"]
    return out


def technician_rows(cards: list[dict], finance: list[dict]) -> list[dict]:
    """A row per technician of workshop's `cards`, with finance's figures for the id it credits them under (their
    account's, else the technician's own); anyone finance credits as a technician whom workshop did not name is a
    row too (no name), so the total is every commission paid."""
    earnings = _earnings(finance, "technician")
    rows = []
    for card in cards:
        employee_id = card["user_id"] or card["technician_id"]
        money = earnings.pop(employee_id, None) or {"revenue_fen": 0, "commission_fen": 0, "target_fen": None}
        rows.append({"employee_id": employee_id, "technician_id": card["technician_id"], "name": card["name"],
                     **{name: card[name] for name in ("jobs", "work_orders", "comebacks", "reworked")},
                     "billed_hours": _decimal(card["billed_hours"]), "clocked_hours": _decimal(card["clocked_hours"]),
                     "labour_revenue_fen": money["revenue_fen"], "commission_fen": money["commission_fen"],
                     "target_fen": money["target_fen"]})
    for item in finance:  # credited as a technician, unknown to workshop (another store's, say)
        if item["role"] == "technician" and item["employee_id"] in earnings:
            money = earnings.pop(item["employee_id"])
            rows.append({"employee_id": item["employee_id"], "technician_id": None, "name": None, "jobs": 0,
                         "work_orders": 0, "comebacks": 0, "reworked": 0, "billed_hours": Decimal(0),
                         "clocked_hours": Decimal(0), "labour_revenue_fen": money["revenue_fen"],
                         "commission_fen": money["commission_fen"], "target_fen": money["target_fen"]})
    return [technician_rates(row) for row in rows]


def advisor_rows(advisors: Iterable[str], sales: list[dict], ratings: list[dict], order_advisors: dict[str, str | None],
                 finance: list[dict], names: dict[str, str]) -> list[dict]:
    """A row per advisor: the store's advisors (`advisors`) and whoever sales, crm (through the order's advisor) or
    finance credits as one; named from `names` (user id → name)."""
    earnings = _earnings(finance, "advisor")
    rows: dict[str, dict] = {}

    def row(advisor_id: str) -> dict:
        return rows.setdefault(advisor_id, {
            "employee_id": advisor_id, "name": names.get(advisor_id), "quotes_presented": 0, "quotes_won": 0,
            "inspection_quoted_fen": 0, "inspection_approved_fen": 0, "revenue_fen": 0, "rated": 0, "score_sum": 0,
            "complaints": 0, "commission_fen": 0, "target_fen": None})
    for advisor_id in advisors:
        row(advisor_id)
    for card in sales:
        mine = row(card["advisor_id"])
        mine["quotes_presented"] += card["presented"]
        mine["quotes_won"] += card["approved"]
        mine["inspection_quoted_fen"] += card["inspection_quoted_fen"]
        mine["inspection_approved_fen"] += card["inspection_approved_fen"]
    for rating in ratings:
        advised = order_advisors.get(rating["order_id"] or "")
        if advised is None:
            continue  # an order without an advisor (or another store's): nobody's
        mine = row(advised)
        if rating["satisfaction"] is not None:
            mine["rated"] += 1
            mine["score_sum"] += rating["satisfaction"]
        mine["complaints"] += bool(rating["complaint"])
    for item in finance:
        if item["role"] == "advisor" or (item["role"] is None and item["employee_id"] in rows):
            row(item["employee_id"])
    for advisor_id, money in earnings.items():
        if advisor_id in rows:
            rows[advisor_id].update(revenue_fen=money["revenue_fen"], commission_fen=money["commission_fen"],
                                    target_fen=money["target_fen"])
    return [advisor_rates(mine) for mine in rows.values()]


def total_row(rows: list[dict], role: str) -> dict:
    """The rows' sum: every count, hour and amount added up, the rates divided again from those sums. The target is
    the sum of the targets set, its achievement only when every row has one (everyone's revenue against some
    people's targets says nothing)."""
    total: dict = {"employee_id": None, "name": None}
    for name in SUMS[role]:
        total[name] = sum((row[name] for row in rows), Decimal(0) if name.endswith("_hours") else 0)
    targets = [row["target_fen"] for row in rows if row["target_fen"] is not None]
    total["target_fen"] = sum(targets) if targets else None
    rated = RATES[role]({**total, "target_fen": total["target_fen"] if len(targets) == len(rows) else None})
    return {**rated, "target_fen": total["target_fen"]}


def by_name(rows: list[dict]) -> list[dict]:
    """Rows as a manager reads them: by name (the unnamed last), then id."""
    return sorted(rows, key=lambda row: (row["name"] is None, row["name"] or "", row["employee_id"] or ""))
