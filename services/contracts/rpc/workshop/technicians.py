"""Technicians: skills, level, shifts, certifications and training."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import ClockTime, Fen, Name, Quantity, TimeZone, Years
from services.common.schemas import ListQuery, patch_schema
from services.common.skills import LEVELS, SKILL, SKILLS

from .shared import SANE_DATE, STORE_ID


TRAINING_KINDS = ("onboarding", "on_the_job", "external", "manufacturer")
PAST_DATE = Years(1950, 2100)
"""When a certificate was issued or a training completed (older records are kept too)."""


class ShiftIn(Schema):
    weekday = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=6),
                             metadata={"description": "0 = Monday … 6 = Sunday"})
    start = ClockTime(required=True, metadata={"example": "08:30"})
    end = ClockTime(required=True, metadata={
        "example": "18:00", "description": "Store-local; an end not after the start runs past midnight"})

    @validates_schema
    def _not_empty(self, data, **_):
        if data.get("start") == data.get("end"):
            raise ValidationError("A shift cannot start and end at the same time.", "end")


class ShiftOut(Schema):
    weekday = fields.Integer()
    start = fields.Time(format="%H:%M", attribute="starts_at")
    end = fields.Time(format="%H:%M", attribute="ends_at")


class TechnicianCreate(Schema):
    store_id = fields.String(required=True, validate=STORE_ID)
    name = Name(required=True, max_length=50)
    user_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=26),
                            metadata={"description": "The staff account that clocks as this technician"})
    employee_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    hourly_cost_fen = Fen(required=True, validate=validate.Range(max=10_000_000),
                          metadata={"description": "Labour cost per hour, in fen"})
    skills = fields.List(fields.String(validate=SKILL), load_default=list, validate=validate.Length(max=30),
                         metadata={"description": "The chain's skill vocabulary (a level is not a skill): "
                                                        + ", ".join(SKILLS)})
    shifts = fields.List(fields.Nested(ShiftIn), load_default=list, validate=validate.Length(max=21))
    days_off = fields.List(fields.Date(validate=SANE_DATE), load_default=list, validate=validate.Length(max=400),
                           metadata={"description": "Store-local dates off (leave); replaces the list on PATCH"})
    time_zone = TimeZone(load_default="Asia/Shanghai",
                         metadata={"description": "The store's time zone (shifts are local times)"})
    active = fields.Boolean(load_default=True)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


TechnicianPatch = patch_schema(TechnicianCreate, "TechnicianPatch")


class CertificationCreate(Schema):
    name = Name(required=True, max_length=100)
    skill = fields.String(load_default=None, allow_none=True, validate=SKILL,
                          metadata={"description": "The skill it qualifies for (added to the technician's skills)"})
    issuer = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    certificate_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    issued_on = fields.Date(load_default=None, allow_none=True, validate=PAST_DATE)
    expires_on = fields.Date(load_default=None, allow_none=True, validate=SANE_DATE)

    @validates_schema
    def _order(self, data, **_):
        if data.get("issued_on") and data.get("expires_on") and data["expires_on"] < data["issued_on"]:
            raise ValidationError("Expires before it was issued.", "expires_on")


class CertificationOut(Schema):
    id = fields.String()
    name = fields.String()
    skill = fields.String(allow_none=True)
    issuer = fields.String(allow_none=True)
    certificate_no = fields.String(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    expires_on = fields.Date(allow_none=True)


class TrainingCreate(Schema):
    course = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(TRAINING_KINDS),
                         metadata={"description": "岗前 onboarding, 在职 on_the_job, external, manufacturer"})
    completed_on = fields.Date(required=True, validate=PAST_DATE)
    hours = Quantity(load_default=None, allow_none=True, validate=validate.Range(min=0, max=10000))
    result = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class TrainingOut(Schema):
    id = fields.String()
    course = fields.String()
    kind = fields.String()
    completed_on = fields.Date()
    hours = Quantity(allow_none=True)
    result = fields.String(allow_none=True)


class TechnicianOut(Schema):
    id = fields.String()
    store_id = fields.String()
    user_id = fields.String(allow_none=True)
    name = fields.String()
    employee_no = fields.String(allow_none=True)
    level = fields.String()
    hourly_cost_fen = Fen(allow_none=True, metadata={"description": "Shown to managers only (null otherwise)"})
    skills = fields.List(fields.String())
    shifts = fields.List(fields.Nested(ShiftOut))
    days_off = fields.List(fields.Date())
    time_zone = fields.String()
    active = fields.Boolean()
    notes = fields.String(allow_none=True)
    certifications = fields.List(fields.Nested(CertificationOut))
    trainings = fields.List(fields.Nested(TrainingOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class TechnicianListQuery(ListQuery):
    store_id = fields.String()
    skill = fields.String(validate=SKILL)
    level = fields.String(validate=validate.OneOf(LEVELS))
    active = fields.Boolean()
