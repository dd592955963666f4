"""`GET /v1/reports/kpis`: finance's KPI book joined with the figures other services own, for every
grouping (per store, per store and day / ISO week / month, the chain in one row). Each owner answers
per store and period in one call per 50 stores (`STORES_PER_CALL`), with the counts behind its
percentages; a chain row sums those counts over its stores, so it carries every KPI too."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from services.common.money import round_fen
from services.common.periods import COMPARISONS, GROUPS
from services.common.policy import MANAGERS, sees_every_store
from services.common.schemas import STORES_PER_CALL
from services.contracts.rpc.finance import KpiQuery, KpisOut

from ..api import endpoint
from ..models import Store
from . import Resource, checked

PLACES = Decimal("0.001")
Key = tuple[str, str | None]
"""(store id, period or None)"""


def ratio(part: Decimal | int, whole: Decimal | int) -> int | float | None:
    """part / whole in percent to the thousandth, as the owners round and send it (a JSON number);
    None without a whole."""
    if not whole:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(PLACES, rounding=ROUND_HALF_UP)
    return int(value) if value == value.to_integral_value() else float(value)


def joined(parts: list[dict]) -> dict:
    """The KPIs other services own for a row of one store (their own figures) or of several stores
    (the chain: their counts summed, then divided)."""
    if len(parts) == 1:
        return {name: parts[0][name] for name in (
            "close_ratio_pct", "comeback_rate_pct", "first_time_qc_pass_pct", "technician_productivity_pct",
            "labour_cost_fen", "average_satisfaction")}

    def total(name: str) -> Decimal:
        return sum((Decimal(str(part[name])) for part in parts), Decimal(0))
    completed, reached = total("completed"), total("reached")
    return {
        "close_ratio_pct": ratio(total("approved"), total("presented")),
        "comeback_rate_pct": ratio(total("comebacks"), completed),
        "first_time_qc_pass_pct": ratio(completed - total("reworked"), completed),
        "technician_productivity_pct": ratio(total("clocked_hours"), total("available_hours")),
        "labour_cost_fen": int(total("labour_cost_fen")),
        "average_satisfaction": round(float(total("score_sum") / reached), 2) if reached else None,
    }


NOTHING = {"presented": 0, "approved": 0, "close_ratio_pct": None, "completed": 0, "comebacks": 0, "reworked": 0,
           "comeback_rate_pct": None, "first_time_qc_pass_pct": None, "clocked_hours": 0, "available_hours": 0,
           "technician_productivity_pct": None, "labour_cost_fen": 0, "reached": 0, "score_sum": 0,
           "average_satisfaction": None}
"""A store and period none of the owners has figures for."""


class Kpis(Resource):
    @endpoint("KPIs per store, per store and day/week/month, or for the chain, over local days: finance's joined "
              "with sales' close ratio, workshop's comebacks, QC, productivity and labour cost, crm's "
              "satisfaction (HQ: stores side by side); with `compare`, each row beside the previous period "
              "and the same days last year", tag="finance", roles=MANAGERS, query=KpiQuery, response=KpisOut)
    def on_get(self, req, resp):
        query = {name: value for name, value in checked(req).items() if name != "compare"}
        asked = req.context.query
        days = {}  # the compared periods by name, as the query and the report name them
        for name in asked["compare"]:
            if name in COMPARISONS:
                first, last = COMPARISONS[name](asked["from_"], asked["to"])
                days[name] = {"from": first.isoformat(), "to": last.isoformat()}
        with ThreadPoolExecutor(max_workers=1 + len(days)) as pool:
            compared = {name: pool.submit(self._report, req, {**query, **span}) for name, span in days.items()}
            report = self._report(req, query)
            for name, future in compared.items():
                report[name] = days[name]
                rows = {row["store_id"]: row for row in future.result()["items"]}
                for row in report["items"]:
                    row[name] = rows.get(row["store_id"])
        if "target" in asked["compare"]:
            self._targets(req, query, report["items"])
        return report

    def _targets(self, req, query: dict, rows: list[dict]) -> None:
        """Each row's targets over the report's days (finance owns them); the chain row's revenue and cars are
        its stores' summed where every store has one, its rates left out (a chain's rate is not an average of its
        stores' targets)."""
        stores = [row["store_id"] for row in rows if row["store_id"]] or self._chain(req)
        found = self.call(req, "finance", "kpi_targets_over", query={
            "store_ids": stores, "from": query["from"], "to": query["to"]})["stores"]
        for row in rows:
            if row["store_id"] is not None:
                row["target"] = found.get(row["store_id"])
                continue
            whole = len(found) == len(set(stores))  # a chain figure against some stores' targets says nothing
            summed = {name: sum(t[name] for t in found.values())
                      if whole and all(t[name] is not None for t in found.values()) else None
                      for name in ("sales_fen", "car_count")}
            row["target"] = {**summed, "aro_fen": (round_fen(Decimal(summed["sales_fen"]) / summed["car_count"])
                                                   if summed["sales_fen"] is not None and summed["car_count"]
                                                   else None)} if found else None

    def _report(self, req, query: dict) -> dict:
        """finance's KPIs over the query's days with the figures other services own joined in."""
        report = self.call(req, "finance", "kpis", query=query)
        rows = report["items"]
        if not rows:
            return report
        group = query.get("group", "store")
        stores = (self._chain(req) if group == "chain"
                  else sorted({row["store_id"] for row in rows}))
        figures = self._owned_elsewhere(req, query, stores, group if group in GROUPS else None)
        for row in rows:
            members = stores if row["store_id"] is None else [row["store_id"]]
            row.update(joined([figures.get((store_id, row["period"]), NOTHING) for store_id in members]))
            labour_fen = row.get("labour_fen") or 0
            row["labour_gross_profit_pct"] = (f"{(labour_fen - row['labour_cost_fen']) * 100 / labour_fen:.2f}"
                                              if labour_fen else None)
        report["owned_elsewhere"] = {}
        return report

    def _chain(self, req) -> list[str]:
        """The stores of the chain row: the one asked for, or the caller's (HQ: every store)."""
        principal, store_id = req.context.principal, req.context.query_json.get("store_id")
        if store_id:
            return [store_id]
        if not sees_every_store(principal):
            return sorted(principal.store_ids)
        with self.deps.identity_db() as session:
            return sorted(session.scalars(select(Store.id)))

    def _owned_elsewhere(self, req, query: dict, store_ids: list[str], group: str | None) -> dict[Key, dict]:
        """(store, period) -> the owners' figures and the counts behind them."""
        if not store_ids:
            return {}
        with self.deps.identity_db() as session:
            zones = dict(session.execute(select(Store.id, Store.timezone).where(Store.id.in_(store_ids))).all())
        days = {"from": query["from"], "to": query["to"]}
        grouped = {"group": group} if group else {}
        chunks = [[{"store_id": store_id, "time_zone": zones.get(store_id, "Asia/Shanghai")}
                   for store_id in store_ids[i:i + STORES_PER_CALL]]
                  for i in range(0, len(store_ids), STORES_PER_CALL)]
        store_id = query.get("store_id")
        with ThreadPoolExecutor(max_workers=min(12, 1 + 2 * len(chunks))) as pool:
            care = pool.submit(self.call, req, "crm", "satisfaction_stats",
                               query={**days, **grouped, **({"store_id": store_id} if store_id else {})})
            quotes = [pool.submit(self.call, req, "sales", "quote_stats_for_stores",
                                  query={**days, **grouped, "stores": chunk}) for chunk in chunks]
            shops = [pool.submit(self.call, req, "workshop", "workshop_stats_for_stores",
                                 query={**days, **grouped, "stores": chunk}) for chunk in chunks]
            figures: dict[Key, dict] = {}

            def at(item: dict) -> dict:
                return figures.setdefault((item["store_id"], item.get("period")), dict(NOTHING))
            for future in quotes:
                for item in future.result()["items"]:
                    at(item).update({name: item[name] for name in ("presented", "approved", "close_ratio_pct")})
            for future in shops:
                for item in future.result()["items"]:
                    at(item).update({name: item[name] for name in (
                        "completed", "comebacks", "reworked", "comeback_rate_pct", "first_time_qc_pass_pct",
                        "clocked_hours", "available_hours", "labour_cost_fen")},
                        technician_productivity_pct=item["productivity_pct"])
            for item in care.result()["stores"]:
                at(item).update(reached=item["reached"], average_satisfaction=item["average_satisfaction"],
                                score_sum=sum(int(score) * count for score, count in item["distribution"].items()))
        return figures
