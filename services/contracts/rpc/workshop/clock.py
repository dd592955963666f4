"""Clocking in and out of a job."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Quantity


class TimeEntryOut(Schema):
    id = fields.String()
    work_order_id = fields.String()
    job_id = fields.String()
    technician_id = fields.String()
    technician_name = fields.Function(lambda e: e.technician.name)
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    hours = Quantity(allow_none=True)
    note = fields.String(allow_none=True)


class ClockRequest(Schema):
    technician_id = fields.String(load_default=None, allow_none=True,
                                  metadata={"description": "Omitted by a technician clocking themselves"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ClockOutRequest(ClockRequest):
    job_finished = fields.Boolean(load_default=False, metadata={"description": "The job is done"})
