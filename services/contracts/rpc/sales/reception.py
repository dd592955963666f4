"""Reception: visits (check-in), declined work and test drives."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.attachments import AttachmentOut
from services.common.fields import Fen, Quantity
from services.common.schemas import ListQuery


class ReasonIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class OptionalReasonIn(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class VisitCreate(Schema):
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(load_default=None, allow_none=True)
    appointment_id = fields.String(load_default=None, allow_none=True)
    mileage_km = fields.Integer(strict=True, load_default=None, allow_none=True,
                                validate=validate.Range(min=0, max=3_000_000))
    needs = fields.List(fields.String(validate=validate.Length(min=1, max=200)), required=True,
                        validate=validate.Length(min=1, max=20),
                        metadata={"example": ["maintenance", "左前轮异响"],
                                  "description": "maintenance, repair, inspection, bodywork, car_care … or free text"})
    budget_fen = Fen(load_default=None, allow_none=True)
    expectations = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    promised_at = fields.AwareDateTime(load_default=None, allow_none=True)
    vehicle_class = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=20),
                                  metadata={"description": "Overrides the class found from make/model"})


class DeclinedWorkOut(Schema):
    id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    visit_id = fields.String()
    quote_id = fields.String()
    quote_line_id = fields.String()
    kind = fields.String()
    description = fields.String()
    op_code = fields.String(allow_none=True)
    sku = fields.String(allow_none=True)
    qty = Quantity()
    total_fen = Fen()
    status = fields.String(metadata={"enum": ["open", "requoted"]})
    declined_at = fields.DateTime()


class DeclinedWorkQuery(ListQuery):
    customer_id = fields.String()
    vehicle_id = fields.String()
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(("open", "requoted")))


class VisitOut(Schema):
    id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    customer_name = fields.String(allow_none=True)
    vehicle_id = fields.String(allow_none=True)
    plate = fields.String(allow_none=True)
    make = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    vehicle_class = fields.String()
    appointment_id = fields.String(allow_none=True)
    mileage_km = fields.Integer(allow_none=True)
    needs = fields.List(fields.String())
    budget_fen = Fen(allow_none=True)
    expectations = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    promised_at = fields.DateTime(allow_none=True)
    advisor_id = fields.String(allow_none=True)
    checked_in_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the car left (delivered, or the store's day ended without an order under way); "
                       "until then checking the car in again gives this visit"})
    declined_work = fields.List(fields.Nested(DeclinedWorkOut),
                                metadata={"description": "Work declined on earlier visits, still open"})
    photos = fields.List(fields.Nested(AttachmentOut), metadata={
        "description": "Walk-around photos (position, damage marks), oldest first"})


class VisitListQuery(ListQuery):
    store_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String()


class TestDriveCreate(Schema):
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(load_default=None, allow_none=True)
    visit_id = fields.String(load_default=None, allow_none=True)
    vehicle_description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    licence_number = fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z]{8,20}$",
                                   error="8-20 letters or digits (a driving licence number)."))
    planned_at = fields.AwareDateTime(load_default=None, allow_none=True)
    time_out = fields.AwareDateTime(load_default=None, allow_none=True)
    mileage_out_km = fields.Integer(strict=True, load_default=None, allow_none=True,
                                    validate=validate.Range(min=0, max=3_000_000))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _something_to_drive(self, data, **_):
        if not data.get("vehicle_id") and not data.get("vehicle_description"):
            raise ValidationError("Name the vehicle (vehicle_id or vehicle_description).", "vehicle_description")


class TestDriveStart(Schema):
    time_out = fields.AwareDateTime(load_default=None, allow_none=True)
    mileage_out_km = fields.Integer(strict=True, load_default=None, allow_none=True,
                                    validate=validate.Range(min=0, max=3_000_000))


class TestDriveReturn(Schema):
    time_in = fields.AwareDateTime(load_default=None, allow_none=True)
    mileage_in_km = fields.Integer(strict=True, load_default=None, allow_none=True,
                                   validate=validate.Range(min=0, max=3_000_000))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class TestDriveOut(Schema):
    id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    visit_id = fields.String(allow_none=True)
    vehicle_description = fields.String(allow_none=True)
    licence_number = fields.String()
    planned_at = fields.DateTime(allow_none=True)
    time_out = fields.DateTime(allow_none=True)
    time_in = fields.DateTime(allow_none=True)
    mileage_out_km = fields.Integer(allow_none=True)
    mileage_in_km = fields.Integer(allow_none=True)
    state = fields.String(metadata={"enum": ["booked", "out", "returned"]})
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()


class TestDriveListQuery(ListQuery):
    store_id = fields.String()
    customer_id = fields.String()
