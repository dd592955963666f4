"""Appointments: booking, the list and the answer."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.schemas import ListQuery


APPOINTMENT_STATES = ("booked", "arrived", "cancelled", "no_show")


class AppointmentCreate(Schema):
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(load_default=None, allow_none=True)
    slot_start = fields.AwareDateTime(required=True, metadata={"example": "2026-12-01T10:00:00+08:00"})
    services = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list,
                           validate=validate.Length(max=20))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    override_capacity = fields.Boolean(load_default=False,
                                       metadata={"description": "A manager books a full slot on purpose"})


class AppointmentOut(Schema):
    id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    slot_start = fields.DateTime()
    slot_minutes = fields.Integer()
    services = fields.List(fields.String())
    notes = fields.String(allow_none=True)
    state = fields.String(metadata={"enum": list(APPOINTMENT_STATES)})
    overbooked = fields.Boolean()
    visit_id = fields.String(allow_none=True)
    created_at = fields.DateTime()


class AppointmentListQuery(ListQuery):
    store_id = fields.String()
    date = fields.Date(metadata={"description": "The store's local day (needs store_id)"})
    customer_id = fields.String()
    state = fields.String(validate=validate.OneOf(APPOINTMENT_STATES))
