"""Reports finance owns: the P&L of a month and the KPIs of a period (by store, trend or chain)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from services.common.fields import Quantity
from services.common.periods import COMPARISONS

from .targets import RangeTargetOut


class PnlOut(Schema):
    month = fields.String()
    store_ids = fields.List(fields.String(), allow_none=True)
    revenue = fields.Dict(keys=fields.String(), values=fields.Integer())
    gross_revenue_fen = fields.Integer()
    discounts_fen = fields.Integer()
    refunds_fen = fields.Integer()
    net_revenue_fen = fields.Integer()
    cogs_fen = fields.Integer()
    gross_profit_fen = fields.Integer()
    gross_margin_pct = fields.String(allow_none=True)
    expenses = fields.Dict(keys=fields.String(), values=fields.Integer())
    expenses_total_fen = fields.Integer()
    net_profit_fen = fields.Integer()


TREND_DAYS = {"day": 366, "week": 5 * 366, "month": 20 * 366}
"""The longest range of a trend by each period (every period is a row, the empty ones too)."""


class PeriodQuery(Schema):
    store_id = fields.String(metadata={"description": "None: the caller's stores (HQ: every store)."})
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    group = fields.String(load_default="store",
                          validate=validate.OneOf(("store", "day", "week", "month", "chain")),
                          metadata={"description": "One row per store; per store and day/week/month (trend); or "
                                                   "`chain`: one row for all the stores (store_id null)."})

    @validates_schema
    def _order(self, data, **_):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("Must not be before from.", "to")
        longest = TREND_DAYS.get(data.get("group", "store"))
        if longest and data.get("from_") and data.get("to") and (data["to"] - data["from_"]).days >= longest:
            raise ValidationError(f"At most {longest} days for a trend by {data['group']}.", "to")


class KpiQuery(PeriodQuery):
    compare = fields.List(fields.String(validate=validate.OneOf((*COMPARISONS, "target"))), load_default=list,
                          metadata={"description": "Comma-separated: `previous` (the as-long period just before), "
                                                   "`last_year` (the same days a year earlier), `target` (the "
                                                   "store's targets over these days); each row then carries its "
                                                   "store's (or the chain's) figures for them. Not with a trend "
                                                   "grouping."})

    @pre_load
    def _split(self, data, **_):
        if isinstance(data.get("compare"), str):
            data = {**data, "compare": [name for name in data["compare"].split(",") if name]}
        return data

    @validates_schema
    def _whole_range(self, data, **_):
        if data.get("compare") and data.get("group") not in ("store", "chain"):
            raise ValidationError("Must be one of: store, chain.", "group")


class KpiOut(Schema):
    store_id = fields.String(allow_none=True, metadata={"description": "Null on the `chain` row."})
    period = fields.String(allow_none=True, metadata={"description": "Day, ISO week (2026-W48) or month."})
    car_count = fields.Integer()
    sales_fen = fields.Integer(metadata={"description": "Tax excluded, after discount."})
    labour_fen = fields.Integer()
    parts_fen = fields.Integer()
    fees_fen = fields.Integer()
    aro_fen = fields.Integer(allow_none=True, metadata={"description": "Average repair order: sales ÷ cars."})
    parts_cost_fen = fields.Integer()
    parts_gross_profit_fen = fields.Integer()
    parts_gross_profit_pct = fields.String(allow_none=True)
    billed_hours = fields.String()
    clocked_hours = fields.String()
    effective_labour_rate_fen = fields.Integer(allow_none=True)
    technician_efficiency_pct = fields.String(allow_none=True)
    sales_by_category = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                    metadata={"description": "Labour by operation code, parts, fees (tax excluded)."})
    # joined at the gateway from the services that own them (per-store rows only)
    close_ratio_pct = Quantity(allow_none=True, metadata={"description": "sales: approved / presented quotes"})
    comeback_rate_pct = Quantity(allow_none=True, metadata={"description": "workshop: comebacks / completed"})
    first_time_qc_pass_pct = Quantity(allow_none=True, metadata={"description": "workshop"})
    technician_productivity_pct = Quantity(allow_none=True, metadata={"description": "workshop: clocked / shift hours"})
    labour_cost_fen = fields.Integer(allow_none=True, metadata={"description": "workshop: clocked hours × hourly cost"})
    labour_gross_profit_pct = fields.String(allow_none=True,
                                            metadata={"description": "(labour − labour cost) / labour"})
    average_satisfaction = fields.Float(allow_none=True, metadata={"description": "crm: follow-up scores 1–5"})


class ComparedKpiOut(KpiOut):
    previous = fields.Nested(KpiOut, allow_none=True,
                             metadata={"description": "With compare=previous: the same row over the period before "
                                                      "(null: the store had no row then)."})
    last_year = fields.Nested(KpiOut, allow_none=True,
                              metadata={"description": "With compare=last_year: the same row a year earlier."})
    target = fields.Nested(RangeTargetOut, allow_none=True,
                           metadata={"description": "With compare=target: the store's targets over these days "
                                                    "(the chain row: its stores' revenue and cars summed); null: none "
                                                    "set."})


class PeriodOut(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()


class KpisOut(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    group = fields.String()
    items = fields.List(fields.Nested(ComparedKpiOut))
    previous = fields.Nested(PeriodOut, metadata={"description": "With compare=previous: the days compared with."})
    last_year = fields.Nested(PeriodOut, metadata={"description": "With compare=last_year: the days compared with."})
    owned_elsewhere = fields.Dict(keys=fields.String(), values=fields.String())
