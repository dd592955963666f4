"""Inspections and their findings (the staff's and the customer's view), and quoting from them."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.attachments import AttachmentOut, QuotePhotoOut
from services.common.fields import Code


CONDITIONS = ("green", "yellow", "red")
AREAS = ("exterior", "interior", "lights", "glass", "tyres", "brakes", "suspension", "steering", "engine",
         "fluids", "battery", "electrical", "exhaust", "underbody", "air_conditioning", "transmission", "other")
"""What an inspection finds (area) and how it is (condition: the customer's traffic light)."""


class FindingIn(Schema):
    area = fields.String(required=True, validate=validate.OneOf(AREAS))
    item = fields.String(required=True, validate=validate.Length(min=1, max=100))
    condition = fields.String(required=True, validate=validate.OneOf(CONDITIONS))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    photo_refs = fields.List(fields.String(validate=validate.Length(min=1, max=300)), load_default=list,
                             validate=validate.Length(max=20), metadata={"description": "Keys/URLs of stored photos"})
    recommended_op_code = Code(load_default=None, allow_none=True)


class InspectionCreate(Schema):
    mileage_km = fields.Integer(load_default=None, allow_none=True, strict=True,
                                validate=validate.Range(min=0, max=3_000_000))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    findings = fields.List(fields.Nested(FindingIn), required=True, validate=validate.Length(min=1, max=200))


class FindingOut(Schema):
    id = fields.String()
    area = fields.String()
    item = fields.String()
    condition = fields.String()
    notes = fields.String(allow_none=True)
    photo_refs = fields.List(fields.String())
    recommended_op_code = fields.String(allow_none=True)
    quote_id = fields.String(allow_none=True)
    photos = fields.List(fields.Nested(AttachmentOut), metadata={"description": "Uploaded photos, oldest first"})


class CustomerFindingOut(Schema):
    """A finding as the car's owner sees it on the quote it led to (their own photos' URLs)."""
    id = fields.String()
    area = fields.String()
    item = fields.String()
    condition = fields.String()
    notes = fields.String(allow_none=True)
    photos = fields.List(fields.Nested(QuotePhotoOut))


class ConditionCounts(Schema):
    green = fields.Integer()
    yellow = fields.Integer()
    red = fields.Integer()


class InspectionOut(Schema):
    id = fields.String()
    work_order_id = fields.String()
    store_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    mileage_km = fields.Integer(allow_none=True)
    inspected_by = fields.String(allow_none=True)
    technician_id = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    findings = fields.List(fields.Nested(FindingOut))
    summary = fields.Nested(ConditionCounts)
    created_at = fields.DateTime()


class QuoteFindingsRequest(Schema):
    finding_ids = fields.List(fields.String(), load_default=None, allow_none=True, validate=validate.Length(max=200),
                              metadata={"description": "Red/yellow findings to quote (default: all not yet quoted)"})


class AttentionOut(FindingOut):
    inspection_id = fields.String()
    inspected_at = fields.DateTime()


class InspectionsOut(Schema):
    items = fields.List(fields.Nested(InspectionOut))
    attention = fields.List(fields.Nested(AttentionOut), metadata={
        "description": "Red, then yellow findings not yet turned into a quote: what to talk to the customer about"})
