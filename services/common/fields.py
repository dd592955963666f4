"""marshmallow fields shared by every schema: money in fen, exact quantities, names, codes, phone
numbers and the Chinese identifiers of `validators.py`.

Each field declares what it enforces, so that the OpenAPI document (gateway/openapi.py) says exactly
what a request may hold: patterns through a `regex` validator (apispec's own convention), bounds and
other JSON Schema keywords through an `openapi` attribute on the field or on its validators."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from zoneinfo import available_timezones

from marshmallow import ValidationError, fields, validate

from . import validators
from .money import QTY_PLACES

MAX_FEN = 1_000_000_000
"""¥10,000,000: the most any one amount sent to the API may be (a price, a payment, a top-up, a
target). No store charges more for one thing; sums of many stay far from a BIGINT's limit."""
MAX_QUANTITY = Decimal(1_000_000)
"""The most a quantity, a number of hours or a percentage sent to the API may be (in size)."""


def with_metadata(kwargs: dict, **defaults) -> dict:
    """A field's keyword arguments with `defaults` under the caller's own `metadata`, in a new dict
    (marshmallow keeps the caller's dict as the field's metadata: a shared one must not be changed)."""
    return {**kwargs, "metadata": {**defaults, **(kwargs.get("metadata") or {})}}


class Pattern(validate.Validator):
    """The whole value matches `pattern`, which is written in the syntax Python and ECMAScript share;
    apispec declares a validator's `regex` as the field's `pattern`."""

    error: str

    def __init__(self, pattern: str, error: str):
        self.regex = re.compile(pattern)
        self.error = error

    def __call__(self, value: str) -> str:
        if not self.regex.fullmatch(value):
            raise ValidationError(self.error)
        return value


class Declared(validate.Validator):
    """A rule given as a predicate with the JSON Schema keywords that say the same (`openapi`)."""

    error: str

    def __init__(self, accepts, openapi: dict, error: str):
        self.accepts, self.openapi, self.error = accepts, openapi, error

    def __call__(self, value):
        if value is not None and not self.accepts(value):
            raise ValidationError(self.error)
        return value


POSITIVE = validate.Range(min=0, min_inclusive=False, error="Must be greater than zero.")
"""Declared as `minimum: 0, exclusiveMinimum: true` (gateway/openapi.py reads Range's inclusiveness)."""
NOT_ZERO = Declared(lambda value: value != 0, {"not": {"enum": [0]}}, "Must not be zero.")


class Years(validate.Range):
    """Dates (or, with `moments`, date-times with a zone) within the years first..last; declared as a
    pattern (the years of the date-times one inside, so no zone offset crosses a bound)."""

    def __init__(self, first: int, last: int, *, moments: bool = False):
        if moments:
            super().__init__(min=datetime(first, 1, 1, tzinfo=timezone.utc),
                             max=datetime(last, 12, 31, tzinfo=timezone.utc),
                             error=f"Between the years {first} and {last}.")
            self.openapi = {"pattern": validators.moment_pattern(first + 1, last - 1)}
        else:
            super().__init__(min=date(first, 1, 1), max=date(last, 12, 31),
                             error=f"Between {first}-01-01 and {last}-12-31.")
            self.openapi = {"pattern": f"^{validators.date_pattern(first, last)}$"}


class Fen(fields.Integer):
    """An amount in integer fen, at most MAX_FEN in size. Refuses floats and booleans outright."""

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        super().__init__(strict=True, **with_metadata(kwargs, description="Amount in fen (1/100 CNY), an integer."))
        self.allow_negative = allow_negative

    @property
    def openapi(self) -> dict:
        return {"minimum": -MAX_FEN if self.allow_negative else 0, "maximum": MAX_FEN}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Amounts are integers in fen.")
        amount = super()._deserialize(value, attr, data, **kwargs)
        if amount < 0 and not self.allow_negative:
            raise ValidationError("Must not be negative.")
        if abs(amount) > MAX_FEN:
            raise ValidationError(f"Must be at most {MAX_FEN} fen (¥{MAX_FEN // 100:,}) in size.")
        return amount


class Quantity(fields.Decimal):
    """An exact quantity with at most three decimals, at most `max_size` (MAX_QUANTITY) in size,
    serialised as a JSON number."""

    def __init__(self, *, max_size: int | Decimal = MAX_QUANTITY, **kwargs):
        super().__init__(places=3, as_string=False, allow_nan=False, **kwargs)
        self.max_size = Decimal(max_size)

    @property
    def openapi(self) -> dict:
        return {"minimum": -int(self.max_size), "maximum": int(self.max_size), "multipleOf": float(QTY_PLACES)}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValidationError("Not a valid number.")
        try:
            exact = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError("Not a valid number.") from exc
        if not exact.is_finite():
            raise ValidationError("Not a valid number.")
        if abs(exact) > self.max_size:
            raise ValidationError(f"Must be at most {self.max_size} in size.")
        if exact != exact.quantize(QTY_PLACES):
            raise ValidationError("At most 3 decimal places.")
        return super()._deserialize(str(exact), attr, data, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)


class Name(fields.String):
    """The name of a person, a company, a store or a vehicle make: trimmed, at most `max_length`
    characters, with a letter or CJK character in it (`0`, `00000`, `---` are refused)."""

    def __init__(self, *, max_length: int = 50, **kwargs):
        rules = [validate.Length(min=1, max=max_length),
                 Pattern(validators.NAME_PATTERN, "A name needs a letter or a Chinese character "
                                                  "(and no control characters).")]
        super().__init__(validate=rules, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Code(fields.String):
    """A code (of a store, a supplier, a labour operation, a package): letters, digits, dot, dash and
    underscore, starting with a letter or digit."""

    def __init__(self, *, min_length: int = 1, max_length: int = 40, **kwargs):
        rules = [validate.Length(min=min_length, max=max_length),
                 Pattern(validators.CODE_PATTERN, f"{min_length}-{max_length} letters, digits, dot, dash or "
                                                  "underscore, starting with a letter or digit.")]
        super().__init__(validate=rules, **kwargs)


class TimeZone(fields.String):
    """An IANA time zone name (Asia/Shanghai), declared as the enum of the zones this host knows."""

    ZONES = sorted(available_timezones())

    def __init__(self, **kwargs):
        super().__init__(validate=validate.OneOf(self.ZONES, error="Not an IANA time zone, e.g. Asia/Shanghai."),
                         **kwargs)


class ClockTime(fields.Time):
    """A local time of day, hh:mm (24 hours)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **with_metadata(kwargs, pattern=r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"))


class _Normalized(fields.String):
    """A string put into its canonical form by a `validators.normalize_*` function; `pattern` is
    the canonical form, declared (other spellings are accepted too)."""
    pattern: str | None = None

    def __init__(self, **kwargs):
        super().__init__(**with_metadata(kwargs, pattern=self.pattern) if self.pattern else kwargs)

    @staticmethod
    def normalizer(raw: str) -> str:
        return raw

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.normalizer(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class Mobile(_Normalized):
    normalizer = staticmethod(validators.normalize_mobile)
    pattern = validators.MOBILE_PATTERN


class Phone(_Normalized):
    """A mobile, a landline with its area code, or a 400/800 number."""
    normalizer = staticmethod(validators.normalize_phone)
    pattern = validators.PHONE_PATTERN


class Plate(_Normalized):
    normalizer = staticmethod(validators.normalize_plate)
    pattern = validators.PLATE_PATTERN


class Vin(_Normalized):
    normalizer = staticmethod(validators.normalize_vin)
    pattern = validators.VIN_PATTERN


class CreditCode(_Normalized):
    """A unified social credit code (a company's tax number), check character verified."""
    normalizer = staticmethod(validators.normalize_credit_code)
    pattern = validators.CREDIT_CODE_PATTERN


class TaxCode(fields.String):
    """A 税收分类编码 (the tax classification code a fapiao line carries): 19 digits."""

    def __init__(self, **kwargs):
        super().__init__(validate=Pattern(validators.TAX_CODE_PATTERN, "19 digits (税收分类编码)."), **kwargs)
