"""Dispatch: assigning jobs, suggestions, a technician's job board and the store's crew board."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Quantity

from .shared import SANE_MOMENT, STORE_ID
from .technicians import TechnicianOut


class JobBoardItemOut(Schema):
    work_order_id = fields.String()
    order_number = fields.String()
    work_order_status = fields.String()
    vehicle_id = fields.String(allow_none=True)
    promised_at = fields.DateTime(allow_none=True)
    waiting_parts = fields.Boolean()
    bay_id = fields.String(allow_none=True)
    job_id = fields.String()
    description = fields.String()
    op_code = fields.String(allow_none=True)
    skill = fields.String(allow_none=True)
    billed_hours = Quantity()
    split_pct = Quantity()
    clocked_hours = Quantity()
    clocked_in_since = fields.DateTime(allow_none=True)


class JobBoardOut(Schema):
    technician = fields.Nested(TechnicianOut)
    items = fields.List(fields.Nested(JobBoardItemOut))


class Share(Schema):
    technician_id = fields.String(required=True)
    split_pct = Quantity(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100), metadata={
        "description": "Percent of the job; a job's shares sum to 100. Omitted for all: shared evenly"})


class JobDispatch(Schema):
    job_id = fields.String(required=True)
    technicians = fields.List(fields.Nested(Share), required=True, validate=validate.Length(min=1, max=10))


class DispatchRequest(Schema):
    jobs = fields.List(fields.Nested(JobDispatch), load_default=list, validate=validate.Length(max=100))
    bay_id = fields.String(allow_none=True)
    scheduled_start = fields.AwareDateTime(allow_none=True, validate=SANE_MOMENT)
    expected_version = fields.Integer(strict=True, allow_none=True, load_default=None,
                                      validate=validate.Range(min=0, max=2**31 - 1))


class SuggestionQuery(Schema):
    at = fields.AwareDateTime(load_default=None, allow_none=True, validate=SANE_MOMENT,
                              metadata={"description": "Default: now"})
    include_off_shift = fields.Boolean(load_default=False)


class SuggestionOut(Schema):
    technician_id = fields.String()
    name = fields.String()
    level = fields.String()
    skills = fields.List(fields.String())
    load_hours = Quantity(metadata={"description": "Open billed hours on active work orders, weighted by split"})
    active_jobs = fields.Integer()
    clocked_in = fields.Boolean()
    on_shift = fields.Boolean()
    already_assigned = fields.Boolean()


class SuggestionsOut(Schema):
    job_id = fields.String()
    skill = fields.String(allow_none=True)
    items = fields.List(fields.Nested(SuggestionOut))


class CrewBoardQuery(Schema):
    store_id = fields.String(required=True, validate=STORE_ID)
    at = fields.AwareDateTime(load_default=None, allow_none=True, validate=SANE_MOMENT,
                              metadata={"description": "Default: now"})


class ClockedIntoOut(Schema):
    work_order_id = fields.String()
    order_number = fields.String()
    job_id = fields.String()
    description = fields.String()
    since = fields.DateTime()


class CrewMemberOut(Schema):
    technician_id = fields.String()
    name = fields.String()
    level = fields.String()
    skills = fields.List(fields.String())
    on_shift = fields.Boolean()
    clocked_into = fields.Nested(ClockedIntoOut, allow_none=True)
    load_hours = Quantity()
    active_jobs = fields.Integer()


class CrewBoardOut(Schema):
    store_id = fields.String()
    items = fields.List(fields.Nested(CrewMemberOut))
