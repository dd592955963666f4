"""The tax rate field quotes, orders and the settings share."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields

from services.common.fields import with_metadata


class Rate(fields.Field):
    """A tax rate as an exact decimal fraction (0.13), sent as a number or string, returned as a string
    (and declared as one)."""

    def __init__(self, **kwargs):
        super().__init__(**with_metadata(kwargs, type="string", pattern=r"^0(?:\.[0-9]{1,4})?$"))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValidationError("Not a valid rate.")
        try:
            rate = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError("Not a valid rate.") from exc
        if not rate.is_finite() or not Decimal(0) <= rate < Decimal(1) or rate != rate.quantize(Decimal("0.0001")):
            raise ValidationError("A fraction between 0 and 1 with at most 4 decimals, e.g. 0.13.")
        return rate

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(Decimal(value).quantize(Decimal("0.0001")).normalize())
