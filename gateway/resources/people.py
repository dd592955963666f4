"""`GET /v1/reports/people`: a scorecard per technician or advisor of a store over its local days (人员绩效), with
their targets, and the store's total row. Composed of one call per owner, in parallel where one needs nothing of
another: workshop (technicians' hours, jobs, comebacks, reworks; the period's inspection-finding quotes), finance
(revenue, commission and targets per employee), crm (the period's follow-ups by order), then sales (advisors'
quotes; the inspection quotes' value; who advised crm's orders) — the advisor's report only. The arithmetic is
`gateway/scorecards.py`. Managers (HQ: any store) read every row; a technician or an advisor only their own,
whose total is their row."""
from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from services.common.errors import Forbidden
from services.common.fields import Quantity
from services.common.policy import PEOPLE_REPORT, SCORECARDS, own_scorecard, required_store
from services.common.schemas import LocalDays

from .. import scorecards
from ..api import endpoint
from ..models import Store, User, UserStore
from . import Resource

ROLES = ("technician", "advisor")


class PeopleQuery(LocalDays):
    store_id = fields.String(metadata={"description": "The store (a user of one store: theirs when left out)"})
    role = fields.String(load_default=None, validate=validate.OneOf(ROLES), metadata={
        "description": "Whose scorecards: technicians' or advisors' (default: a technician's or advisor's own, "
                       "else technicians')"})


def percent(description: str) -> Quantity:
    return Quantity(allow_none=True, metadata={"description": f"{description}; null without a base"})


class ScorecardOut(Schema):
    """One person's figures; a technician's row carries the technician fields, an advisor's the advisor fields."""
    employee_name = fields.String(attribute="name", allow_none=True, metadata={
        "description": "Their name (null on the total row, or for someone the store no longer names)"})
    employee_id = fields.String(allow_none=True, metadata={
        "description": "The staff account (a technician without one: the technician's id); null on the total row"})
    # technicians
    billed_hours = Quantity(metadata={"description": "Technicians: billed hours of their jobs, weighted by split"})
    clocked_hours = Quantity(metadata={"description": "Technicians: actual hours recorded at completion"})
    efficiency_pct = percent("Technicians: billed ÷ clocked hours × 100")
    jobs = fields.Integer(metadata={"description": "Technicians: jobs of the work orders completed in the period"})
    work_orders = fields.Integer(metadata={"description": "Technicians: completed work orders they worked on"})
    comebacks = fields.Integer(metadata={"description": "Technicians: comebacks repeating an operation of theirs"})
    comeback_rate_pct = percent("Technicians: comebacks ÷ work orders × 100")
    reworked = fields.Integer(metadata={"description": "Technicians: their work orders that failed QC first"})
    first_time_qc_pass_pct = percent("Technicians: work orders passing QC the first time ÷ work orders × 100")
    labour_revenue_fen = fields.Integer(metadata={"description": "Technicians: labour revenue by split, tax excl."})
    # advisors
    quotes_presented = fields.Integer(metadata={"description": "Advisors: quotes presented (versions once)"})
    quotes_won = fields.Integer(metadata={"description": "Advisors: of those, approved in whole or in part"})
    close_ratio_pct = percent("Advisors: won ÷ presented × 100")
    inspection_quoted_fen = fields.Integer(metadata={
        "description": "Advisors: what the quotes of the period's inspection findings asked, as presented"})
    inspection_approved_fen = fields.Integer(metadata={"description": "Advisors: of that, what the customers approved"})
    inspection_approval_pct = percent("Advisors: approved ÷ quoted × 100")
    revenue_fen = fields.Integer(metadata={"description": "Advisors: their invoices' revenue, tax excluded"})
    rated = fields.Integer(metadata={"description": "Advisors: follow-ups of their orders that gave a rating"})
    average_satisfaction = fields.Float(allow_none=True, metadata={"description": "Advisors: the ratings' average"})
    complaints = fields.Integer(metadata={"description": "Advisors: complaints filed from their orders' follow-ups"})
    # both
    commission_fen = fields.Integer()
    target_fen = fields.Integer(allow_none=True, metadata={
        "description": "Their monthly targets' share of the days (null unless every month has one); the total: "
                       "the targets set, summed"})
    achievement_pct = percent("Revenue (technicians: labour revenue) ÷ target × 100; the total's only when every "
                              "row has a target")


class PeopleOut(Schema):
    store_id = fields.String()
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    role = fields.String(metadata={"enum": list(ROLES)})
    own_only = fields.Boolean(metadata={"description": "The caller reads only their own row (technician, advisor)"})
    items = fields.List(fields.Nested(ScorecardOut), metadata={"description": "By name"})
    total = fields.Nested(ScorecardOut, metadata={
        "description": "The sum of the rows, rates divided again from the sums (a technician's or advisor's own: "
                       "their row)"})

    class Meta:
        export_total = "total"
        export_filled_only = True  # a technician's report has no advisor columns, and the other way round


class People(Resource):
    @endpoint("Scorecards (人员绩效) per technician or advisor of a store over local days, with targets and a total "
              "row; a technician or an advisor reads only their own", tag="finance", roles=PEOPLE_REPORT,
              query=PeopleQuery, response=PeopleOut)
    def on_get(self, req, resp):
        principal, query = req.context.principal, req.context.query
        store_id = required_store(principal, query.get("store_id"), "report")
        own = own_scorecard(principal)
        role = query["role"] or own or "technician"
        if own is not None and role != own:
            raise Forbidden("You may read only your own scorecard.", code="own_scorecard_only")
        days = {"store_id": store_id, "from": query["from_"].isoformat(), "to": query["to"].isoformat()}
        with self.deps.identity_db() as session:  # read before the calls: no transaction held across them
            store = session.get(Store, store_id)
            zoned = {**days, "time_zone": store.timezone if store is not None else "Asia/Shanghai"}
            staff = [staff for staff, kind in SCORECARDS.items() if kind == "advisor"]
            advisors = list(session.scalars(select(User.id).join(UserStore, UserStore.user_id == User.id).where(
                UserStore.store_id == store_id, User.role.in_(staff), User.active.is_(True)).order_by(User.id)))
        rows = self._technicians(req, zoned) if role == "technician" else self._advisors(req, zoned, advisors)
        if own is not None:
            rows = [row for row in rows if row["employee_id"] == principal.id]
        rows = scorecards.by_name(rows)
        return PeopleOut().dump({"store_id": store_id, "from": query["from_"], "to": query["to"], "role": role,
                                 "own_only": own is not None, "items": rows, "total": scorecards.total_row(rows, role)})

    def _technicians(self, req, zoned: dict) -> list[dict]:
        found = self.call_all(req, {"workshop": ("workshop", "technician_scorecards", {"query": zoned}),
                                    "finance": ("finance", "people_figures", {"query": {
                                        name: zoned[name] for name in ("store_id", "from", "to")}})})
        return scorecards.technician_rows(found["workshop"]["technicians"], found["finance"]["items"])

    def _advisors(self, req, zoned: dict, advisors: list[str]) -> list[dict]:
        days = {name: zoned[name] for name in ("store_id", "from", "to")}
        found = self.call_all(req, {"workshop": ("workshop", "technician_scorecards", {"query": zoned}),
                                    "finance": ("finance", "people_figures", {"query": days}),
                                    "crm": ("crm", "order_ratings", {"query": days})})
        ratings = found["crm"]["follow_ups"]
        sales = self.call(req, "sales", "advisor_scorecards", query={  # needs workshop's quotes and crm's orders
            **zoned, "finding_quotes": found["workshop"]["finding_quotes"],
            "order_ids": sorted({rating["order_id"] for rating in ratings if rating["order_id"]})})
        finance = found["finance"]["items"]
        people = set(advisors) | {card["advisor_id"] for card in sales["advisors"]} | {
            item["employee_id"] for item in finance} | {a for a in sales["order_advisors"].values() if a}
        with self.deps.identity_db() as session:
            names = {user_id: display_name or username for user_id, display_name, username in session.execute(
                select(User.id, User.display_name, User.username).where(User.id.in_(sorted(people))))}
        return scorecards.advisor_rows(advisors, sales["advisors"], ratings, sales["order_advisors"], finance, names)

