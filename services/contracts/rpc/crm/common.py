"""A store's crm settings: the delay of its follow-ups and the time zone its days are counted in."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import TimeZone


class StoreSettingsPatch(Schema):
    follow_up_delay_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=90))
    time_zone = TimeZone()


class StoreSettingsOut(Schema):
    store_id = fields.String()
    follow_up_delay_days = fields.Integer()
    time_zone = fields.String()
