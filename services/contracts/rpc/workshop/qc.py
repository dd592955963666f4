"""Quality control: ready for QC, the checklist and its outcome."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .work_orders import ChecklistItem, QcResultOut, WorkOrderOut


class QcOutcomeOut(WorkOrderOut):
    qc_result = fields.Nested(QcResultOut, metadata={"description": "The result just recorded"})


class ReadyForQcRequest(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class QcRequest(Schema):
    passed = fields.Boolean(required=True)
    checklist = fields.List(fields.Nested(ChecklistItem), load_default=list, validate=validate.Length(max=100))
    reasons = fields.List(fields.String(validate=validate.Length(min=1, max=500)), load_default=list,
                          validate=validate.Length(max=20))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    rework_job_ids = fields.List(fields.String(), load_default=list, validate=validate.Length(max=100),
                                 metadata={"description": "On a fail: the jobs to redo (default: all)"})
