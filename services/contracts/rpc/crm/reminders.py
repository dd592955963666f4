"""Service-due reminders and the service intervals they are counted from."""
from __future__ import annotations

from datetime import date, timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import Name
from services.common.schemas import ListQuery


def _in_30_days() -> date:
    return date.today() + timedelta(days=30)


class ReminderQuery(ListQuery):
    store_id = fields.String()
    due_before = fields.Date(load_default=_in_30_days, metadata={"description": "Inclusive; default in 30 days."})
    service_type = fields.String()
    customer_id = fields.String()


class ReminderOut(Schema):
    id = fields.String()
    vehicle_id = fields.String()
    plate = fields.String()
    customer_id = fields.String()
    customer_name = fields.String()
    marketing_consent = fields.Boolean()
    store_id = fields.String(allow_none=True)
    service_type = fields.String()
    service_name = fields.String()
    last_done_on = fields.Date()
    last_done_km = fields.Integer(allow_none=True)
    due_on = fields.Date(metadata={"description": "The earlier of due_by_date and due_by_km_on."})
    due_by_date = fields.Date(allow_none=True)
    due_km = fields.Integer(allow_none=True)
    due_by_km_on = fields.Date(allow_none=True, metadata={"description": "Estimated from the average daily km."})
    reason = fields.String(metadata={"enum": ["date", "mileage"]})
    mileage_km = fields.Integer()


class ServiceIntervalIn(Schema):
    name = Name(required=True, max_length=60)
    months = fields.Integer(strict=True, load_default=None, allow_none=True, validate=validate.Range(min=1, max=120))
    km = fields.Integer(strict=True, load_default=None, allow_none=True, validate=validate.Range(min=100, max=500_000))

    @validates_schema
    def _one_of_them(self, data, **_):
        if data.get("months") is None and data.get("km") is None:
            raise ValidationError("Give months, km or both.", "months")


class ServiceIntervalOut(Schema):
    service_type = fields.String()
    name = fields.String()
    months = fields.Integer(allow_none=True)
    km = fields.Integer(allow_none=True)
