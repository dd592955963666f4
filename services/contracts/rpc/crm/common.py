"""A store's crm settings: the delay of its follow-ups, the time zone its days are counted in, and its quiet hours
(marketing messages — reminders and campaigns — wait from `quiet_from` until `quiet_until`, local time)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import ClockTime, TimeZone


class StoreSettingsPatch(Schema):
    follow_up_delay_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=90))
    time_zone = TimeZone()
    quiet_from = ClockTime(metadata={
        "example": "21:00", "description": "Marketing messages wait from this local time (HH:MM) …"})
    quiet_until = ClockTime(metadata={
        "example": "08:00", "description": "… until this one (over midnight when earlier); equal: no quiet hours"})


class StoreSettingsOut(Schema):
    store_id = fields.String()
    follow_up_delay_days = fields.Integer()
    time_zone = fields.String()
    quiet_from = fields.Time(format="%H:%M", metadata={"example": "21:00"})
    quiet_until = fields.Time(format="%H:%M", metadata={"example": "08:00"})
