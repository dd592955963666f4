"""marshmallow fields shared by every schema: money in fen, exact quantities, and the
Chinese identifiers of `validators.py`."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields

from . import validators
from .money import QTY_PLACES

MAX_FEN = 10**13
"""¥100 billion: far above any real amount, far below where sums overflow a BIGINT column."""
MAX_QUANTITY = Decimal(10**9)
"""Quantities and hours are stored as Numeric(12, 3): fewer than ten digits before the point."""


class Fen(fields.Integer):
    """An amount in integer fen. Refuses floats and booleans outright."""

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        super().__init__(strict=True, **kwargs)
        self.allow_negative = allow_negative
        self.metadata.setdefault("description", "Amount in fen (1/100 CNY), an integer.")

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Amounts are integers in fen.")
        amount = super()._deserialize(value, attr, data, **kwargs)
        if amount < 0 and not self.allow_negative:
            raise ValidationError("Must not be negative.")
        if abs(amount) > MAX_FEN:
            raise ValidationError(f"Must be at most {MAX_FEN} fen in size.")
        return amount


class Quantity(fields.Decimal):
    """An exact quantity with at most three decimals, serialised as a JSON number."""

    def __init__(self, **kwargs):
        super().__init__(places=3, as_string=False, allow_nan=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValidationError("Not a valid number.")
        try:
            exact = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError("Not a valid number.") from exc
        if not exact.is_finite():
            raise ValidationError("Not a valid number.")
        if abs(exact) >= MAX_QUANTITY:
            raise ValidationError(f"Must be less than {MAX_QUANTITY} in size.")
        if exact != exact.quantize(QTY_PLACES):
            raise ValidationError("At most 3 decimal places.")
        return super()._deserialize(str(exact), attr, data, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)


class _Normalized(fields.String):
    normalizer = staticmethod(lambda value: value)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.normalizer(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class Mobile(_Normalized):
    normalizer = staticmethod(validators.normalize_mobile)


class Plate(_Normalized):
    normalizer = staticmethod(validators.normalize_plate)


class Vin(_Normalized):
    normalizer = staticmethod(validators.normalize_vin)
