"""workshop's event contract (payload version 1)."""
from services.common.events import Quantity, Schema, fields


class TechnicianHours(Schema):
    technician_id = fields.String(required=True)
    user_id = fields.String(allow_none=True)
    hours = Quantity(required=True, metadata={"description": "Clocked hours on this job"})
    split_pct = Quantity(required=True, metadata={"description": "Share of the job for commission, sums to 100"})


class CompletedJob(Schema):
    job_id = fields.String(required=True)
    line_id = fields.String(allow_none=True, metadata={"description": "The order line it came from"})
    op_code = fields.String(allow_none=True)
    billed_hours = Quantity(required=True)
    technicians = fields.List(fields.Nested(TechnicianHours), required=True)


class PartUsed(Schema):
    sku = fields.String(required=True)
    qty = Quantity(required=True)
    line_id = fields.String(allow_none=True)


class WorkOrderCompleted(Schema):
    work_order_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(allow_none=True)
    jobs = fields.List(fields.Nested(CompletedJob), required=True)
    parts_used = fields.List(fields.Nested(PartUsed), required=True)
    comeback = fields.Boolean(required=True)
    completed_at = fields.String(required=True)


class WorkStarted(Schema):
    """The first technician clocked in: the car is being worked on (sales' order → in_progress)."""
    work_order_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    started_at = fields.String(required=True)


class VehicleDelivered(Schema):
    work_order_id = fields.String(required=True)
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(allow_none=True)
    mileage_out_km = fields.Integer(allow_none=True)
    satisfied = fields.Boolean(allow_none=True)
    delivered_at = fields.String(required=True)


PUBLISHES = {"work_started": WorkStarted, "work_order_completed": WorkOrderCompleted,
             "vehicle_delivered": VehicleDelivered}
HANDLES = (
    ("sales", "order_confirmed"),    # opens the work order (one per order): a job per labour line, the parts
    ("sales", "order_cancelled"),    # cancels it unless already completed
    ("inventory", "stock_shortage"),  # waiting_parts: true
    ("inventory", "stock_reserved"),  # waiting_parts: false
    ("crm", "customer_erased"),       # who took the car back and what they said go (domain/privacy.py)
)
