"""The workshop's figures: billed against clocked hours per technician."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.fields import Quantity, TimeZone
from services.common.schemas import LocalDays

from .shared import STORE_ID


class StatsQuery(LocalDays):
    store_id = fields.String(required=True, validate=STORE_ID)
    time_zone = TimeZone(load_default="Asia/Shanghai",
                         metadata={"description": "Filled in from the store by the gateway"})


class TechnicianStats(Schema):
    technician_id = fields.String()
    name = fields.String()
    jobs = fields.Integer()
    billed_hours = Quantity(metadata={"description": "Billed hours of their jobs weighted by split"})
    clocked_hours = Quantity(metadata={"description": "Actual hours recorded at completion"})
    efficiency_pct = Quantity(allow_none=True, metadata={"description": "billed / clocked × 100"})


class StatsOut(Schema):
    store_id = fields.String()
    period = fields.String(allow_none=True, metadata={"description": "Day, ISO week or month when grouped"})
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    time_zone = fields.String()
    completed = fields.Integer(metadata={"description": "Work orders completed in the period"})
    comebacks = fields.Integer()
    comeback_rate_pct = Quantity(allow_none=True)
    reworked = fields.Integer(metadata={"description": "Completed after at least one failed QC"})
    first_time_qc_pass_pct = Quantity(allow_none=True)
    average_cycle_hours = Quantity(allow_none=True, metadata={"description": "Opened to completed"})
    clocked_hours = Quantity(metadata={"description": "Hours clocked on the completed work orders"})
    available_hours = Quantity(metadata={"description": "Shift hours of the store's active technicians"})
    productivity_pct = Quantity(allow_none=True, metadata={"description": "clocked / available × 100"})
    labour_cost_fen = fields.Integer(metadata={"description": "Clocked hours × each technician's hourly cost"})
    technicians = fields.List(fields.Nested(TechnicianStats))


class TechnicianScorecard(Schema):
    """A technician's figures over the work orders completed in the period (the people report)."""
    technician_id = fields.String()
    user_id = fields.String(allow_none=True, metadata={"description": "Their staff account, if any"})
    name = fields.String()
    jobs = fields.Integer()
    work_orders = fields.Integer(metadata={"description": "Completed work orders they worked on"})
    billed_hours = Quantity(metadata={"description": "Billed hours of their jobs weighted by split"})
    clocked_hours = Quantity(metadata={"description": "Actual hours recorded at completion"})
    comebacks = fields.Integer(metadata={
        "description": "Comebacks completed in the period that repeat an operation they did on the earlier visit"})
    reworked = fields.Integer(metadata={"description": "Their work orders completed after a failed QC"})


class ScorecardsOut(Schema):
    technicians = fields.List(fields.Nested(TechnicianScorecard), metadata={
        "description": "Every active technician of the store, and anyone else with work completed in the period"})
    finding_quotes = fields.List(fields.String(), metadata={
        "description": "The quotes inspection findings of the period were turned into (sales values them)"})
