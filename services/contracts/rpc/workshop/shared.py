"""Validators the workshop's requests share: dates and moments within sane bounds, a store id."""
from __future__ import annotations

from marshmallow import validate

from services.common.fields import Years


STORE_ID = validate.Length(min=1, max=26)
SANE_DATE = Years(2000, 2100)
SANE_MOMENT = Years(2000, 2100, moments=True)
