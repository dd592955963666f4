"""Field types shared by event payload schemas (`services/<name>/events.py`).

Each service's `events.py` is its event contract: `PUBLISHES` maps a fact (routing key on
`<service>.events`) to the marshmallow schema of its version-1 payload; `HANDLES` lists the
`(source, fact)` pairs its handlers consume. tests/unit/test_event_contracts.py keeps the two
sides and the `@event_handler`s consistent.
"""
from marshmallow import Schema, fields

from .fields import Fen, Quantity


class Totals(Schema):
    subtotal_fen = Fen(required=True, metadata={"description": "Before discount, tax included as priced"})
    discount_fen = Fen(required=True)
    tax_fen = Fen(required=True)
    total_fen = Fen(required=True, metadata={"description": "What the customer owes, tax included"})
    currency = fields.String(load_default="CNY")


__all__ = ["Fen", "Quantity", "Totals", "Schema", "fields"]
