"""What workshop publishes: its events' payloads, by fact and version."""
from marshmallow import fields

from services.common.fields import Quantity

from .base import Contract


class TechnicianHours(Contract):
    technician_id = fields.String(required=True)
    user_id = fields.String(allow_none=True)
    hours = Quantity(required=True, metadata={"description": "Clocked hours on this job"})
    split_pct = Quantity(required=True, metadata={"description": "Share of the job for commission, sums to 100"})


class CompletedJob(Contract):
    job_id = fields.String(required=True)
    line_id = fields.String(allow_none=True, metadata={"description": "The order line it came from"})
    op_code = fields.String(allow_none=True)
    billed_hours = Quantity(required=True)
    technicians = fields.List(fields.Nested(TechnicianHours), required=True)


class PartUsed(Contract):
    sku = fields.String(required=True)
    qty = Quantity(required=True)
    line_id = fields.String(allow_none=True)


class WorkOrderCompleted(Contract):
    work_order_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(allow_none=True)
    jobs = fields.List(fields.Nested(CompletedJob), required=True)
    parts_used = fields.List(fields.Nested(PartUsed), required=True)
    comeback = fields.Boolean(required=True)
    completed_at = fields.String(required=True)


class WorkStarted(Contract):
    """The first technician clocked in: the car is being worked on (sales' order → in_progress)."""
    work_order_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    started_at = fields.String(required=True)


class VehicleDelivered(Contract):
    work_order_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(allow_none=True)
    mileage_out_km = fields.Integer(allow_none=True)
    satisfied = fields.Boolean(allow_none=True)
    delivered_at = fields.String(required=True)


class WorkOrderStatusChanged(Contract):
    """A work order moved on the board (opened, dispatched, started, to QC, back from QC, completed,
    delivered, cancelled): what the live screens follow."""
    work_order_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(allow_none=True, metadata={
        "description": "The car's owner (the phone app's live timeline follows it); added within version 1"})
    vehicle_id = fields.String(allow_none=True)
    from_status = fields.String(allow_none=True, metadata={"description": "None when it was opened"})
    to_status = fields.String(required=True)
    changed_at = fields.String(required=True, metadata={"description": "ISO 8601 with offset"})


PUBLISHES = {("work_started", 1): WorkStarted, ("work_order_completed", 1): WorkOrderCompleted,
             ("vehicle_delivered", 1): VehicleDelivered, ("work_order_status_changed", 1): WorkOrderStatusChanged}
