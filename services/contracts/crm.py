"""What crm publishes: its events' payloads, by fact and version; and the answer finance reads for the repair
health records (`vehicles_for_records`)."""
from marshmallow import fields

from .base import Contract


class CustomerRegistered(Contract):
    customer_id = fields.String(required=True)
    name = fields.String(required=True)
    home_store_id = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    marketing_consent = fields.Boolean(required=True)
    tags = fields.List(fields.String(), required=True)


class VehicleRegistered(Contract):
    vehicle_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    plate = fields.String(required=True)
    vin = fields.String(allow_none=True)
    make = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    year = fields.Integer(allow_none=True)
    mileage_km = fields.Integer(required=True)


class CustomerMerged(Contract):
    """`duplicate_id` was folded into `survivor_id`: references to the duplicate now mean the survivor."""
    survivor_id = fields.String(required=True)
    duplicate_id = fields.String(required=True)
    merged_at = fields.String(required=True)


class CustomerErased(Contract):
    """Personal data anonymised on request; drop any copies of the customer's name or phone."""
    customer_id = fields.String(required=True)
    erased_at = fields.String(required=True)


class ComplaintChanged(Contract):
    """A complaint was opened or moved (in progress, resolved, closed): the store's complaint list and the owner's
    phone follow it."""
    complaint_id = fields.String(required=True)
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["open", "in_progress", "resolved", "closed"]})
    changed_at = fields.String(required=True, metadata={"description": "ISO 8601 with offset"})


class RecordVehicleOut(Contract):
    """A car as finance's health-record upload reads it (crm.vehicles_for_records)."""
    vehicle_id = fields.String()
    plate = fields.String()
    vin = fields.String(allow_none=True)


class RecordVehiclesOut(Contract):
    items = fields.List(fields.Nested(RecordVehicleOut))


PUBLISHES = {("customer_registered", 1): CustomerRegistered, ("vehicle_registered", 1): VehicleRegistered,
             ("customer_merged", 1): CustomerMerged, ("customer_erased", 1): CustomerErased,
             ("complaint_changed", 1): ComplaintChanged}
