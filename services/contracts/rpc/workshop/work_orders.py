"""The work order as the gateway reads it: its jobs, parts, history and clocked time; the list."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Quantity
from services.common.schemas import ListQuery

from .clock import TimeEntryOut


OPEN, DISPATCHED, IN_PROGRESS, QC = "open", "dispatched", "in_progress", "qc"
COMPLETED, DELIVERED, CANCELLED = "completed", "delivered", "cancelled"
STATES = (OPEN, DISPATCHED, IN_PROGRESS, QC, COMPLETED, DELIVERED, CANCELLED)
"""A work order's states (the state machine is `services/workshop/domain/work_orders.py`)."""


class AssignmentOut(Schema):
    technician_id = fields.String()
    name = fields.String()
    user_id = fields.String(allow_none=True)
    split_pct = Quantity()
    clocked_hours = Quantity(metadata={"description": "Closed time entries of this technician on this job"})
    actual_hours = Quantity(allow_none=True, metadata={"description": "Recorded at completion"})
    assigned_at = fields.DateTime()


class ClockedInOut(Schema):
    technician_id = fields.String()
    name = fields.String()
    since = fields.DateTime()


class JobOut(Schema):
    id = fields.String()
    line_id = fields.String(allow_none=True)
    op_code = fields.String(allow_none=True)
    description = fields.String()
    skill = fields.String(allow_none=True)
    billed_hours = Quantity()
    comeback = fields.Boolean()
    status = fields.String(metadata={"enum": ["unassigned", "assigned", "working", "done"]})
    finished_at = fields.DateTime(allow_none=True)
    technicians = fields.List(fields.Nested(AssignmentOut))
    clocked_in = fields.List(fields.Nested(ClockedInOut), metadata={"description": "Who is on it now, since when"})
    clocked_hours = Quantity()


class WorkOrderPartOut(Schema):
    line_id = fields.String(allow_none=True)
    sku = fields.String(allow_none=True)
    description = fields.String()
    qty = Quantity()
    qty_reserved = Quantity(allow_none=True)
    qty_short = Quantity(allow_none=True)
    qty_used = Quantity(allow_none=True)


class StatusChangeOut(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    at = fields.DateTime()
    by_user_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class ChecklistItem(Schema):
    item = fields.String(required=True, validate=validate.Length(min=1, max=100))
    passed = fields.Boolean(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class QcResultOut(Schema):
    id = fields.String()
    round = fields.Integer()
    passed = fields.Boolean()
    checklist = fields.List(fields.Nested(ChecklistItem))
    reasons = fields.List(fields.String())
    inspector_user_id = fields.String(allow_none=True)
    inspector_role = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()


class WorkOrderOut(Schema):
    id = fields.String()
    store_id = fields.String()
    order_id = fields.String()
    order_number = fields.String()
    visit_id = fields.String(allow_none=True)
    quote_id = fields.String(allow_none=True)
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    advisor_id = fields.String(allow_none=True)
    promised_at = fields.DateTime(allow_none=True)
    status = fields.String(metadata={"enum": list(STATES)})
    status_changed_at = fields.DateTime()
    version = fields.Integer(metadata={"description": "Send back as expected_version to refuse stale changes"})
    waiting_parts = fields.Boolean()
    overdue = fields.Boolean(metadata={"description": "Still in the workshop after the promised time"})
    comeback = fields.Boolean(metadata={"description": "返修: the vehicle back within 30 days of a completion for the "
                                                       "same repair operation (never a repeated maintenance)"})
    comeback_of_id = fields.String(allow_none=True)
    rework_count = fields.Integer()
    qc_passed = fields.Boolean()
    bay_id = fields.String(allow_none=True)
    scheduled_start = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    mileage_out_km = fields.Integer(allow_none=True)
    accepted_by = fields.String(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    satisfied = fields.Boolean(allow_none=True)
    customer_comment = fields.String(allow_none=True)
    opened_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    jobs = fields.List(fields.Nested(JobOut))
    parts = fields.List(fields.Nested(WorkOrderPartOut))
    history = fields.List(fields.Nested(StatusChangeOut))
    time_entries = fields.List(fields.Nested(TimeEntryOut))
    qc_results = fields.List(fields.Nested(QcResultOut))


class WorkOrderListQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(STATES))
    vehicle_id = fields.String()
    customer_id = fields.String()
    order_id = fields.String()
    bay_id = fields.String()
    waiting_parts = fields.Boolean()
    comeback = fields.Boolean()
