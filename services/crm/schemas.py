"""crm's contract: request and response schemas shared by the service and the gateway
(the gateway validates with them and builds its OpenAPI document from them)."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.common.fields import Mobile, Plate, Vin
from services.common.schemas import ListQuery, patch_schema

GENDERS = ("male", "female", "unknown")
SOURCES = ("walk_in", "referral", "online", "phone", "partner", "campaign", "other")


class VehicleCreate(Schema):
    plate = Plate(required=True, metadata={"example": "粤B12345"})
    vin = Vin(load_default=None, allow_none=True, metadata={"example": "LSVAU218XN2183294"})
    make = fields.String(validate=validate.Length(max=40), load_default=None, allow_none=True)
    model = fields.String(validate=validate.Length(max=60), load_default=None, allow_none=True)
    year = fields.Integer(strict=True, allow_none=True, load_default=None,
                          validate=validate.Range(min=1950, max=date.today().year + 1))
    color = fields.String(validate=validate.Length(max=20), load_default=None, allow_none=True)
    mileage_km = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=3_000_000))


VehiclePatch = patch_schema(VehicleCreate, "VehiclePatch")


class VehicleOut(Schema):
    id = fields.String()
    customer_id = fields.String()
    plate = fields.String()
    vin = fields.String(allow_none=True)
    make = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    year = fields.Integer(allow_none=True)
    color = fields.String(allow_none=True)
    mileage_km = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CustomerCreate(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    mobile = Mobile(required=True, metadata={"example": "13812345678"})
    gender = fields.String(load_default="unknown", validate=validate.OneOf(GENDERS))
    birthday = fields.Date(load_default=None, allow_none=True)
    home_store_id = fields.String(load_default=None, allow_none=True)
    source = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SOURCES))
    marketing_consent = fields.Boolean(load_default=False)
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list,
                       validate=validate.Length(max=30))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates("birthday")
    def _birthday_in_past(self, value, **_):
        if value and value > date.today():
            raise ValidationError("Birthday cannot be in the future.")


CustomerPatch = patch_schema(CustomerCreate, "CustomerPatch")


class CustomerOut(Schema):
    id = fields.String()
    name = fields.String()
    mobile = fields.String(metadata={"description": "Masked (138****5678) for roles that do not need it."})
    mobile_masked = fields.Boolean()
    gender = fields.String()
    birthday = fields.Date(allow_none=True)
    home_store_id = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    marketing_consent = fields.Boolean()
    tags = fields.List(fields.String())
    notes = fields.String(allow_none=True)
    vehicles = fields.List(fields.Nested(VehicleOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CustomerListQuery(ListQuery):
    q = fields.String(validate=validate.Length(min=1, max=50),
                      metadata={"description": "Name prefix, full mobile number or plate."})
    phone = fields.String(validate=validate.Length(min=1, max=20))
    plate = fields.String(validate=validate.Length(min=1, max=12))
    tag = fields.String(validate=validate.Length(min=1, max=40))
    store_id = fields.String(metadata={"description": "Home store."})


class VehicleListQuery(ListQuery):
    plate = fields.String(validate=validate.Length(min=1, max=12))
    vin = fields.String(validate=validate.Length(min=1, max=17))
    customer_id = fields.String()


class HistoryEntryOut(Schema):
    id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    store_id = fields.String(allow_none=True)
    kind = fields.String()
    reference_id = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    mileage_km = fields.Integer(allow_none=True)
    occurred_at = fields.DateTime()
