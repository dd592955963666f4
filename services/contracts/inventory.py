"""What inventory publishes: its events' payloads, by fact and version, and the answers of the RPCs
sales calls (`quote_parts`, `catalogue_parts`)."""
from marshmallow import fields

from services.common.fields import Fen, Quantity

from .base import Contract


class ReservedLine(Contract):
    sku = fields.String(required=True)
    qty_requested = Quantity(required=True)
    qty_reserved = Quantity(required=True)
    qty_short = Quantity(required=True)


class StockReserved(Contract):
    """Every part line of the order is now fully reserved."""
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    lines = fields.List(fields.Nested(ReservedLine), required=True)


class StockShortage(Contract):
    """Some part lines could not be fully reserved (what there was is reserved)."""
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    lines = fields.List(fields.Nested(ReservedLine), required=True)


class IssuedLine(Contract):
    sku = fields.String(required=True)
    qty = Quantity(required=True)
    unit_cost_fen = Fen(required=True, metadata={"description": "Moving average cost at issue"})
    cost_fen = Fen(required=True)
    qty_unissued = Quantity(metadata={"description": "optional: used by the workshop but not in stock"})


class StockIssued(Contract):
    order_id = fields.String(required=True)
    work_order_id = fields.String(allow_none=True)
    store_id = fields.String(required=True)
    lines = fields.List(fields.Nested(IssuedLine), required=True)
    cost_fen = Fen(required=True)


class StockLow(Contract):
    store_id = fields.String(required=True)
    sku = fields.String(required=True)
    available = Quantity(required=True)
    reorder_point = Quantity(required=True)
    reorder_qty = Quantity(allow_none=True)
    on_hand = Quantity(metadata={"description": "optional: on hand at the crossing"})
    on_order = Quantity(metadata={"description": "optional: already on order from suppliers"})


class ValuedLine(Contract):
    sku = fields.String(required=True)
    qty = Quantity(required=True, metadata={"description": "Signed: + in, − out"})
    value_fen = Fen(required=True, allow_negative=True, metadata={"description": "Signed, at moving average cost"})


class StockValued(Contract):
    """Stock value of a store changed (every movement kind but a work order's issue, which
    `stock_issued` carries): finance books it against the kind's counter-account."""
    store_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "A movement kind (`supplier_return`: goods "
                                                                  "received sent back), or `opening` (the stock "
                                                                  "held when the books started following it)"})
    reference_type = fields.String(required=True)
    reference_id = fields.String(required=True)
    value_fen = Fen(required=True, allow_negative=True,
                    metadata={"description": "Signed change of the store's stock value"})
    lines = fields.List(fields.Nested(ValuedLine), required=True)
    from_store_id = fields.String(metadata={"description": "transfers: the sending store"})
    to_store_id = fields.String(metadata={"description": "transfers: the receiving store"})
    purchase_order_id = fields.String(metadata={"description": "supplier_return: the purchase order received on"})
    supplier_id = fields.String(metadata={"description": "supplier_return: who the goods go back to"})
    in_transit_fen = Fen(metadata={"description": "transfer_in and opening: value in transit to the store "
                                                  "that this event clears (transfer_in) or holds (opening)"})


PUBLISHES = {("stock_reserved", 1): StockReserved, ("stock_shortage", 1): StockShortage,
             ("stock_issued", 1): StockIssued, ("stock_low", 1): StockLow, ("stock_valued", 1): StockValued}


# -- answers of the RPCs sales calls ----------------------------------------------------------------
class QuotePartOut(Contract):
    """One SKU priced for a quote (inventory.quote_parts, the RPC sales calls)."""
    sku = fields.String(metadata={"description": "As asked"})
    catalogue_sku = fields.String()
    part_id = fields.String()
    name = fields.String()
    brand = fields.String(allow_none=True)
    oe_number = fields.String(allow_none=True)
    unit = fields.String()
    category = fields.String()
    unit_price_fen = Fen(metadata={"description": "The store's selling price (override or list price)"})
    currency = fields.String()
    tax_class = fields.String()
    tax_rate = fields.String()
    cost_fen = Fen(metadata={"description": "Moving average cost at the store (last known cost when none on hand)"})
    on_hand = Quantity()
    available = Quantity()
    on_order = Quantity()
    active = fields.Boolean()
    hazardous = fields.Boolean()
    batch_tracked = fields.Boolean()


class CataloguePartOut(Contract):
    """One SKU as the chain's catalogue knows it (inventory.catalogue_parts)."""
    sku = fields.String(metadata={"description": "As asked"})
    catalogue_sku = fields.String()
    part_id = fields.String()
    name = fields.String()
    active = fields.Boolean()
    tax_code = fields.String(allow_none=True, metadata={"description": "税收分类编码 (finance's fapiao lines)"})


class CataloguePartsOut(Contract):
    items = fields.List(fields.Nested(CataloguePartOut))
    unknown = fields.List(fields.String())  # type: ignore[assignment]  # the wire's name; Schema.unknown is an option


class QuotePartsOut(Contract):
    items = fields.List(fields.Nested(QuotePartOut))
    unknown = fields.List(fields.String())  # type: ignore[assignment]  # the wire's name; Schema.unknown is an option
