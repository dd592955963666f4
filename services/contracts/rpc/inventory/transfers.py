"""Transfers of parts between stores: sending and receiving."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import Fen, Quantity
from services.common.schemas import ListQuery

from .shared import positive_qty, not_negative


TRANSFER_STATES = ("requested", "shipped", "partially_received", "received", "cancelled")


class TransferLineIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = positive_qty(required=True)


class TransferCreate(Schema):
    from_store_id = fields.String(required=True, metadata={"description": "The store that ships"})
    to_store_id = fields.String(required=True, metadata={"description": "The requesting store"})
    lines = fields.List(fields.Nested(TransferLineIn), required=True, validate=validate.Length(min=1, max=200))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _two_stores_one_line_per_sku(self, data, **_):
        if data.get("from_store_id") and data.get("from_store_id") == data.get("to_store_id"):
            raise ValidationError("A transfer goes between two different stores.", "to_store_id")
        skus = [line["sku"] for line in data.get("lines", [])]
        if len(skus) != len(set(skus)):
            raise ValidationError("Each SKU appears on one line only.", "lines")


class TransferQtyLine(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = Quantity(required=True, validate=not_negative)


class TransferShip(Schema):
    lines = fields.List(fields.Nested(TransferQtyLine), load_default=None, allow_none=True,
                        metadata={"description": "Quantities shipped; default everything requested"})


class TransferReceive(Schema):
    lines = fields.List(fields.Nested(TransferQtyLine), load_default=None, allow_none=True,
                        metadata={"description": "Quantities that arrived; default everything shipped"})
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class TransferLineOut(Schema):
    id = fields.String()
    part_id = fields.String()
    sku = fields.String()
    qty_requested = Quantity()
    qty_shipped = Quantity(allow_none=True)
    qty_received = Quantity(allow_none=True)
    unit_cost_fen = Fen(allow_none=True)
    shipped_value_fen = Fen(allow_none=True)
    discrepancy_qty = Quantity(allow_none=True)
    discrepancy_value_fen = Fen(allow_none=True, allow_negative=True)


class TransferOut(Schema):
    id = fields.String()
    number = fields.String()
    from_store_id = fields.String()
    to_store_id = fields.String()
    status = fields.String(metadata={"enum": list(TRANSFER_STATES)})
    notes = fields.String(allow_none=True)
    requested_by = fields.String(allow_none=True)
    shipped_by = fields.String(allow_none=True)
    received_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    shipped_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(TransferLineOut))


class TransferListQuery(ListQuery):
    store_id = fields.String(metadata={"description": "Transfers from or to this store (default: yours)"})
    status = fields.String(validate=validate.OneOf(TRANSFER_STATES))
