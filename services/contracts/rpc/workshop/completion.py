"""Completing a work order (hours and parts used) and delivering the car."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Quantity

from .shared import SANE_MOMENT


class LabourHours(Schema):
    job_id = fields.String(required=True)
    technician_id = fields.String(required=True)
    hours = Quantity(required=True, validate=validate.Range(min=0, max=1000))


class PartUsedIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=60))
    qty = Quantity(required=True, validate=validate.Range(min=0, max=100000))
    line_id = fields.String(load_default=None, allow_none=True)
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class CompleteRequest(Schema):
    labour = fields.List(fields.Nested(LabourHours), load_default=list, metadata={
        "description": "Corrections of clocked hours per technician and job (default: what was clocked)"})
    parts_used = fields.List(fields.Nested(PartUsedIn), load_default=None, allow_none=True, metadata={
        "description": "The parts actually fitted (default: the order's parts list)"})
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DeliverRequest(Schema):
    mileage_out_km = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=3_000_000))
    accepted_by = fields.String(required=True, validate=validate.Length(min=1, max=50),
                                metadata={"description": "Name the customer signed with"})
    accepted_at = fields.AwareDateTime(load_default=None, allow_none=True, validate=SANE_MOMENT,
                                       metadata={"description": "Default: now"})
    satisfied = fields.Boolean(required=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=2, max=200),
        metadata={"description": "A store manager's (or HQ's) reason to deliver with an open balance; audited"})
