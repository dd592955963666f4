"""Fields the inventory requests share: a store filter, a positive quantity, a non-negative number."""
from __future__ import annotations

from marshmallow import fields, validate

from services.common.fields import POSITIVE, Quantity


def store_filter() -> fields.String:
    """A store id a list or report is for, filled in at the gateway for a one-store account."""
    return fields.String(metadata={"description": "Required; defaults to your store when your account has one"})


not_negative = validate.Range(min=0, error="Must not be negative.")


def positive_qty(**kwargs) -> Quantity:
    """A quantity above zero unless `validate` says otherwise."""
    kwargs.setdefault("validate", POSITIVE)
    return Quantity(**kwargs)
