"""Customers and their vehicles: registering, changing and finding them; merging duplicates and the
audit of who read or changed personal data."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.common.fields import Mobile, Name, Plate, Vin
from services.common.schemas import ListQuery, patch_schema

from .shared import TIER_NAMES


GENDERS = ("male", "female", "unknown")
SOURCES = ("walk_in", "referral", "online", "phone", "partner", "campaign", "other")


class VehicleCreate(Schema):
    plate = Plate(required=True, metadata={"example": "粤B12345"})
    vin = Vin(load_default=None, allow_none=True, metadata={"example": "LSVAU218XN2183294"})
    make = Name(max_length=40, load_default=None, allow_none=True, metadata={"example": "大众"})
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
    name = Name(required=True, max_length=50, metadata={"example": "张三"})
    mobile = Mobile(required=True, metadata={"example": "13812345678"})
    gender = fields.String(load_default="unknown", validate=validate.OneOf(GENDERS))
    birthday = fields.Date(load_default=None, allow_none=True)
    home_store_id = fields.String(load_default=None, allow_none=True)
    source = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SOURCES))
    marketing_consent = fields.Boolean(load_default=False)
    wechat_openid = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[\w-]{6,64}$"),
                                  metadata={"description": "The customer's openid at the chain's official account "
                                                           "(公众号): messages go by WeChat, texts when refused."})
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list,
                       validate=validate.Length(max=30))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    referred_by_id = fields.String(load_default=None, allow_none=True,
                                   metadata={"description": "The customer who referred this one."})
    key_account_owner_id = fields.String(load_default=None, allow_none=True,
                                         metadata={"description": "Staff user who looks after this key account."})

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
    wechat_openid = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    notes = fields.String(allow_none=True)
    tier = fields.String(metadata={"enum": list(TIER_NAMES)})
    points = fields.Integer()
    spend_fen = fields.Integer(metadata={"description": "Lifetime paid spend in fen (invoices paid minus refunds)."})
    key_account_owner_id = fields.String(allow_none=True)
    referred_by_id = fields.String(allow_none=True)
    referral_count = fields.Integer(metadata={"description": "Customers this one referred (single reads only)."})
    last_visit_at = fields.DateTime(allow_none=True)
    merged_into_id = fields.String(allow_none=True, metadata={"description": "Set when merged into another record."})
    erased_at = fields.DateTime(allow_none=True)
    vehicles = fields.List(fields.Nested(VehicleOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CustomerListQuery(ListQuery):
    q = fields.String(validate=validate.Length(min=1, max=50),
                      metadata={"description": "Any part of a name, mobile number or plate (3 characters "
                                                "or more; shorter: the start of a name)."})
    phone = fields.String(validate=validate.Length(min=1, max=20))
    plate = fields.String(validate=validate.Length(min=1, max=12))
    tag = fields.String(validate=validate.Length(min=1, max=40))
    store_id = fields.String(metadata={"description": "Home store."})
    tier = fields.String(validate=validate.OneOf(TIER_NAMES))
    key_account_owner_id = fields.String()
    referred_by_id = fields.String()
    ids = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,40}(,[A-Za-z0-9_-]{1,40}){0,99}$"), metadata={
        "description": "These customers, by id, comma-separated (at most 100): a screen names the people of its rows "
                       "in one read; merged ones included."})


class VehicleListQuery(ListQuery):
    plate = fields.String(validate=validate.Length(min=1, max=12))
    vin = fields.String(validate=validate.Length(min=1, max=17))
    customer_id = fields.String()


class MergeRequest(Schema):
    duplicate_id = fields.String(required=True, metadata={"description": "Folded into the customer in the path."})


class AuditEntryOut(Schema):
    id = fields.String()
    customer_id = fields.String()
    action = fields.String(metadata={"enum": ["read_contact", "update", "erase", "merge"]})
    user_id = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields", allow_none=True)
    at = fields.DateTime()
