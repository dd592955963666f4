"""A store's sales settings (labour rates, tax, deposits) as the gateway and sales exchange them."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.policy import ROLES
from services.common.fields import ClockTime, Fen, Quantity, TimeZone

from .shared import Rate


class SalesSettingsPut(Schema):
    """Only what is sent changes; limits are HQ's to set."""
    labour_rate_fen = Fen(metadata={"description": "Per hour, in the store's pricing mode"})
    vat_rate = Rate(metadata={"example": "0.13"})
    tax_inclusive = fields.Boolean(metadata={"description": "Prices include VAT (usual in China)"})
    discount_limits = fields.Dict(keys=fields.String(validate=validate.OneOf(ROLES)),
                                  values=Quantity(validate=validate.Range(min=0, max=100)),
                                  metadata={"description": "role -> deepest discount (percent) without approval"})
    slot_minutes = fields.Integer(strict=True, validate=validate.OneOf([15, 20, 30, 60, 90, 120, 180, 240]))
    slot_capacity = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))
    timezone = TimeZone()
    opens_at = ClockTime(metadata={
        "example": "08:30", "description": "Opening time (store time, every day): the first slot"})
    closes_at = ClockTime(metadata={
        "example": "18:00", "description": "Closing time: the last slot ends by then"})
    quote_valid_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=90))


class SalesSettingsOut(Schema):
    store_id = fields.String()
    labour_rate_fen = Fen()
    vat_rate = Rate()
    tax_inclusive = fields.Boolean()
    discount_limits = fields.Dict(keys=fields.String(), values=Quantity())
    slot_minutes = fields.Integer()
    slot_capacity = fields.Integer()
    timezone = fields.String()
    opens_at = fields.Time(format="%H:%M", metadata={"example": "08:30"})
    closes_at = fields.Time(format="%H:%M", metadata={"example": "18:00"})
    quote_valid_days = fields.Integer()
    updated_at = fields.DateTime(allow_none=True)
