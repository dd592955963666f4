"""The gateway's own request/response schemas (identity, errors)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.context import ROLES
from services.common.fields import Code, Name, Phone, TimeZone
from services.common.schemas import ListQuery

ERROR_CODES: tuple[str, ...]  # grown below, one group of rules at a time
ERROR_CODES = ("malformed_json", "unauthorized", "forbidden", "not_found", "conflict", "payload_too_large",
               "unsupported_media_type", "validation_failed", "rate_limited", "service_unavailable", "internal_error",
               # the counter's rules (sales): which rule refused, for clients to word
               "slot_full", "already_booked", "slot_outside_opening_hours", "opening_hours_invalid",
               "visit_already_open", "unknown_operation", "operation_inactive", "unknown_part", "part_inactive",
               "not_a_part_item",
               # the quote's and the work order's lifecycle rules (sales, workshop)
               "discount_approval_pending", "delivery_balance_open", "delivery_override_needs_manager")

ERROR_CODES += ("request_in_progress", "idempotency_key_reused")  # the gateway's Idempotency-Key (idempotency.py)

ERROR_CODES += (  # the README walk's rules after the counter (workshop, quotes, the till, follow-ups)
    "job_needs_technician", "split_incomplete", "technician_twice", "split_share_out_of_range", "split_not_hundred",
    "unknown_technician", "technician_in_other_store", "technician_inactive", "technician_lacks_skill",
    "technician_clocked_in", "job_twice", "work_order_state", "work_order_changed", "account_not_a_technician",
    "clock_only_yourself", "name_the_technician", "technician_not_on_job", "technician_already_clocked_in",
    "technician_not_clocked_in", "qc_already_passed", "qc_by_own_technician", "qc_checklist_failed",
    "qc_reason_required", "unknown_job", "hours_for_technician_not_on_job", "qc_not_passed", "invoice_state",
    "card_state", "overpayment", "quote_state", "quote_empty", "decision_incomplete", "follow_up_state",
    "satisfaction_required", "mobile_taken", "plate_taken", "vin_taken")


class ErrorDetail(Schema):
    code = fields.String(metadata={"enum": list(ERROR_CODES)})
    message = fields.String()
    params = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={
        "description": "Names and values a client needs to word the error from its code"})
    field_errors = fields.Dict(keys=fields.String(), values=fields.Raw(), data_key="fields")  # `fields` is Schema's


class ErrorBody(Schema):
    error = fields.Nested(ErrorDetail)
    request_id = fields.String()


class LoginRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=50))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class UserOut(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    role = fields.String(metadata={"enum": list(ROLES)})
    store_ids = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()


class LoginResponse(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"enum": ["bearer"]})
    expires_in = fields.Integer(metadata={"description": "Seconds"})
    user = fields.Nested(UserOut)


class UserCreate(Schema):
    username = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_.\-]{3,50}$", error="3-50 letters, digits, dot, dash or underscore."))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    display_name = Name(load_default=None, allow_none=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    store_ids = fields.List(fields.String(), load_default=list)


class UserPatch(Schema):
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))
    display_name = Name(allow_none=True)
    role = fields.String(validate=validate.OneOf(ROLES))
    store_ids = fields.List(fields.String())
    active = fields.Boolean()


class StoreCreate(Schema):
    code = Code(required=True, min_length=2, max_length=20)
    name = Name(required=True, max_length=100)
    timezone = TimeZone(load_default="Asia/Shanghai")
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    phone = Phone(load_default=None, allow_none=True, metadata={"example": "020-88886666"})


class StoreOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    timezone = fields.String()
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    created_at = fields.DateTime()


class UserListQuery(ListQuery):
    store_id = fields.String()
    role = fields.String(validate=validate.OneOf(ROLES))


class StoreListQuery(ListQuery):
    pass


class HealthOut(Schema):
    status = fields.String()
    services = fields.Dict(keys=fields.String(), values=fields.String())
