"""inventory's event contract (payload version 1)."""
from services.common.events import Fen, Quantity, Schema, fields


class ReservedLine(Schema):
    sku = fields.String(required=True)
    qty_requested = Quantity(required=True)
    qty_reserved = Quantity(required=True)
    qty_short = Quantity(required=True)


class StockReserved(Schema):
    """Every part line of the order is now fully reserved."""
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    lines = fields.List(fields.Nested(ReservedLine), required=True)


class StockShortage(Schema):
    """Some part lines could not be fully reserved (what there was is reserved)."""
    order_id = fields.String(required=True)
    store_id = fields.String(required=True)
    lines = fields.List(fields.Nested(ReservedLine), required=True)


class IssuedLine(Schema):
    sku = fields.String(required=True)
    qty = Quantity(required=True)
    unit_cost_fen = Fen(required=True, metadata={"description": "Moving average cost at issue"})
    cost_fen = Fen(required=True)
    qty_unissued = Quantity(metadata={"description": "optional: used by the workshop but not in stock"})


class StockIssued(Schema):
    order_id = fields.String(required=True)
    work_order_id = fields.String(allow_none=True)
    store_id = fields.String(required=True)
    lines = fields.List(fields.Nested(IssuedLine), required=True)
    cost_fen = Fen(required=True)


class StockLow(Schema):
    store_id = fields.String(required=True)
    sku = fields.String(required=True)
    available = Quantity(required=True)
    reorder_point = Quantity(required=True)
    reorder_qty = Quantity(allow_none=True)
    on_hand = Quantity(metadata={"description": "optional: on hand at the crossing"})
    on_order = Quantity(metadata={"description": "optional: already on order from suppliers"})


class ValuedLine(Schema):
    sku = fields.String(required=True)
    qty = Quantity(required=True, metadata={"description": "Signed: + in, − out"})
    value_fen = Fen(required=True, allow_negative=True, metadata={"description": "Signed, at moving average cost"})


class StockValued(Schema):
    """Stock value of a store changed (every movement kind but a work order's issue, which
    `stock_issued` carries): finance books it against the kind's counter-account."""
    store_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "A movement kind, or `opening` (the stock "
                                                                  "held when the books started following it)"})
    reference_type = fields.String(required=True)
    reference_id = fields.String(required=True)
    value_fen = Fen(required=True, allow_negative=True,
                    metadata={"description": "Signed change of the store's stock value"})
    lines = fields.List(fields.Nested(ValuedLine), required=True)
    from_store_id = fields.String(metadata={"description": "transfers: the sending store"})
    to_store_id = fields.String(metadata={"description": "transfers: the receiving store"})
    in_transit_fen = Fen(metadata={"description": "transfer_in and opening: value in transit to the store "
                                                  "that this event clears (transfer_in) or holds (opening)"})


PUBLISHES = {"stock_reserved": StockReserved, "stock_shortage": StockShortage, "stock_issued": StockIssued,
             "stock_low": StockLow, "stock_valued": StockValued}
HANDLES = (
    ("sales", "order_confirmed"),           # reserve the order's parts at its store
    ("sales", "order_cancelled"),           # release everything the order holds
    ("workshop", "work_order_completed"),   # issue what was used at moving average cost, release the rest
)
