"""inventory's contract: request and response schemas shared by the service and the gateway
(the gateway validates with them and builds its OpenAPI document from them)."""
from __future__ import annotations


from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.common.fields import NOT_ZERO, POSITIVE, Code, Fen, Name, Phone, Quantity
from services.common.schemas import ListQuery, patch_schema

UNITS = ("piece", "set", "pair", "litre", "millilitre", "kilogram", "gram", "metre", "bottle", "can", "box",
         "roll", "sheet")
TAX_CLASSES = ("standard", "reduced", "exempt")
TAX_RATES = {"standard": "0.13", "reduced": "0.09", "exempt": "0"}
"""VAT rates by tax class (goods 13 %, some items 9 %, exempt 0)."""
PO_STATES = ("draft", "ordered", "partially_received", "received", "cancelled")
TRANSFER_STATES = ("requested", "shipped", "partially_received", "received", "cancelled")
STOCKTAKE_STATES = ("open", "posted", "cancelled")
MOVEMENT_KINDS = ("receipt", "issue", "return", "transfer_out", "transfer_in", "adjustment", "stocktake_variance",
                  "supplier_return")
ADJUSTMENT_REASONS = ("damaged", "expired", "lost", "found", "correction", "sample", "customer_return")

_SKU = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,39}$",
                       error="1–40 letters, digits, '.', '_', '-' or '/', starting with a letter or digit.")


def _store_filter() -> fields.String:
    return fields.String(metadata={"description": "Required; defaults to your store when your account has one"})


not_negative = validate.Range(min=0, error="Must not be negative.")


def _qty(**kwargs) -> Quantity:
    kwargs.setdefault("validate", POSITIVE)
    return Quantity(**kwargs)


# -- catalogue ------------------------------------------------------------------------------------------
class PartCreate(Schema):
    sku = fields.String(required=True, validate=_SKU, metadata={"example": "OIL-5W30-4L"})
    name = Name(required=True, max_length=120, metadata={"example": "全合成机油 5W-30 4L"})
    brand = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    oe_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=60),
                              metadata={"description": "OE / manufacturer part number"})
    barcode = fields.String(load_default=None, allow_none=True,
                            validate=validate.Regexp(r"^[0-9A-Za-z\-]{4,40}$", error="4–40 digits or letters."))
    category = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={"example": "oil"})
    unit = fields.String(load_default="piece", validate=validate.OneOf(UNITS))
    list_price_fen = Fen(required=True)
    currency = fields.String(load_default="CNY", validate=validate.OneOf(["CNY"]))
    tax_class = fields.String(load_default="standard", validate=validate.OneOf(TAX_CLASSES))
    batch_tracked = fields.Boolean(load_default=False, metadata={"description": "Batch numbers and expiry dates"})
    hazardous = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PartPatch(patch_schema(PartCreate, "_PartPatchBase")):
    sku = fields.String(metadata={"readOnly": True, "description": "Fixed: a new SKU is a new part."})

    @validates("sku")
    def _sku_is_fixed(self, value, **_):
        raise ValidationError("The SKU of a part cannot change; create a new part instead.")


class PartOut(Schema):
    id = fields.String()
    sku = fields.String()
    name = fields.String()
    brand = fields.String(allow_none=True)
    oe_number = fields.String(allow_none=True)
    barcode = fields.String(allow_none=True)
    category = fields.String()
    unit = fields.String()
    list_price_fen = Fen()
    currency = fields.String()
    tax_class = fields.String()
    tax_rate = fields.Function(lambda part: TAX_RATES[part.tax_class])
    batch_tracked = fields.Boolean()
    hazardous = fields.Boolean()
    active = fields.Boolean()
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PartListQuery(ListQuery):
    q = fields.String(validate=validate.Length(min=1, max=120),
                      metadata={"description": "Any part of the SKU, name, brand, OE number or the name's pinyin "
                                                 "initials (`scp` finds 刹车片), or the whole barcode"})
    sku = fields.String(validate=validate.Length(min=1, max=40))
    oe_number = fields.String(validate=validate.Length(min=1, max=60))
    barcode = fields.String(validate=validate.Length(min=1, max=40))
    category = fields.String(validate=validate.Length(min=1, max=40))
    active = fields.Boolean()


# -- stock ----------------------------------------------------------------------------------------------
class StockQuery(ListQuery):
    store_id = _store_filter()
    q = fields.String(validate=validate.Length(min=1, max=120),
                      metadata={"description": "Any part of the SKU, name, brand, OE number or the name's pinyin "
                                                 "initials (`scp` finds 刹车片), or the whole barcode"})
    sku = fields.String(validate=validate.Length(min=1, max=40))
    category = fields.String(validate=validate.Length(min=1, max=40))
    below_reorder = fields.Boolean(metadata={"description": "Only lines whose available is below the reorder point"})


class StockOut(Schema):
    id = fields.String()
    store_id = fields.String()
    part_id = fields.String()
    sku = fields.Function(lambda level: level.part.sku)
    name = fields.Function(lambda level: level.part.name)
    category = fields.Function(lambda level: level.part.category)
    unit = fields.Function(lambda level: level.part.unit)
    on_hand = Quantity()
    reserved = Quantity()
    available = Quantity()
    on_order = Quantity()
    reorder_point = Quantity(allow_none=True)
    reorder_qty = Quantity(allow_none=True)
    below_reorder = fields.Function(
        lambda level: level.reorder_point is not None and level.available < level.reorder_point)
    avg_cost_fen = Fen()
    value_fen = Fen()
    price_fen = fields.Function(lambda level: level.price_fen if level.price_fen is not None
                                else level.part.list_price_fen,
                                metadata={"description": "Selling price at this store (override or list price)"})
    price_override_fen = Fen(attribute="price_fen", allow_none=True)
    bin_location = fields.String(allow_none=True)
    last_receipt_at = fields.DateTime(allow_none=True)
    last_issue_at = fields.DateTime(allow_none=True)


class StockSettings(Schema):
    """A store's settings for one part: reorder point/quantity, price override, bin."""
    store_id = fields.String(required=True)
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    reorder_point = Quantity(allow_none=True, validate=not_negative)
    reorder_qty = Quantity(allow_none=True, validate=not_negative)
    price_override_fen = Fen(allow_none=True, metadata={"description": "null returns to the chain's list price"})
    bin_location = fields.String(allow_none=True, validate=validate.Length(max=30))


class MovementQuery(ListQuery):
    store_id = _store_filter()
    sku = fields.String(validate=validate.Length(min=1, max=40))
    kind = fields.String(validate=validate.OneOf(MOVEMENT_KINDS))
    reference_id = fields.String(validate=validate.Length(min=1, max=40))


class MovementOut(Schema):
    id = fields.String()
    store_id = fields.String()
    part_id = fields.String()
    sku = fields.String()
    kind = fields.String()
    qty = Quantity()
    unit_cost_fen = Fen()
    value_fen = Fen(allow_negative=True)
    on_hand_after = Quantity()
    batch_no = fields.String(allow_none=True)
    reference_type = fields.String()
    reference_id = fields.String()
    user_id = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class AdjustmentCreate(Schema):
    """A manual correction of on-hand (damage, loss, found goods, customer return)."""
    store_id = fields.String(required=True)
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = Quantity(required=True, validate=NOT_ZERO, metadata={"description": "Signed: + adds stock, − removes it"})
    reason = fields.String(required=True, validate=validate.OneOf(ADJUSTMENT_REASONS))
    unit_cost_fen = Fen(load_default=None, allow_none=True,
                        metadata={"description": "For additions; default the moving average cost"})
    batch_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40))
    expiry_date = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class ReservationQuery(ListQuery):
    store_id = _store_filter()
    order_id = fields.String()
    sku = fields.String()
    status = fields.String(validate=validate.OneOf(("open", "issued", "released")))
    waiting = fields.Boolean(metadata={"description": "Only reservations still short of stock"})


class ReservationOut(Schema):
    id = fields.String()
    store_id = fields.String()
    order_id = fields.String()
    part_id = fields.String()
    sku = fields.String()
    qty_requested = Quantity()
    qty_reserved = Quantity()
    qty_short = Quantity()
    qty_issued = Quantity()
    promised_at = fields.DateTime(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class AvailabilityQuery(Schema):
    store_id = fields.String(required=True)
    skus = fields.List(fields.String(validate=validate.Length(min=1, max=40)), required=True,
                       validate=validate.Length(min=1, max=200))


class AvailabilityHttpQuery(Schema):
    store_id = fields.String()
    skus = fields.String(required=True, validate=validate.Length(min=1, max=8000),
                         metadata={"description": "Comma-separated SKUs", "example": "OIL-5W30-4L,FLT-OIL-VW"})


class AvailabilityOut(Schema):
    sku = fields.String()
    part_id = fields.String(allow_none=True)
    known = fields.Boolean()
    name = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    price_fen = Fen(allow_none=True)
    tax_class = fields.String(allow_none=True)
    tax_rate = fields.String(allow_none=True)
    on_hand = Quantity()
    available = Quantity()
    on_order = Quantity()


class ExpiringQuery(ListQuery):
    store_id = _store_filter()
    days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=3650))


class BatchOut(Schema):
    id = fields.String()
    store_id = fields.String()
    part_id = fields.String()
    sku = fields.Function(lambda batch: batch.part.sku)
    name = fields.Function(lambda batch: batch.part.name)
    batch_no = fields.String()
    expiry_date = fields.Date(allow_none=True)
    qty_on_hand = Quantity()
    received_at = fields.DateTime()


class ValuationQuery(Schema):
    store_id = fields.String(metadata={"description": "One store; HQ may omit it for every store"})
    category = fields.String(validate=validate.Length(min=1, max=40))


class ValuationCategory(Schema):
    category = fields.String()
    lines = fields.Integer()
    on_hand = Quantity()
    value_fen = Fen()


class ValuationStore(Schema):
    store_id = fields.String()
    lines = fields.Integer()
    value_fen = Fen()
    in_transit_fen = Fen(metadata={"description": "Transfers shipped to this store, not yet received"})
    currency = fields.String()
    categories = fields.List(fields.Nested(ValuationCategory))


class ValuationOut(Schema):
    stores = fields.List(fields.Nested(ValuationStore))
    value_fen = Fen()
    in_transit_fen = Fen()
    currency = fields.String()


class ReorderQuery(ListQuery):
    store_id = _store_filter()


class ReorderSuggestionOut(Schema):
    part_id = fields.String()
    sku = fields.String()
    name = fields.String()
    available = Quantity()
    on_order = Quantity()
    reorder_point = Quantity()
    reorder_qty = Quantity(allow_none=True)
    suggested_qty = Quantity()
    last_supplier_id = fields.String(allow_none=True)
    last_unit_cost_fen = Fen(allow_none=True)


class SlowMoverQuery(ListQuery):
    store_id = _store_filter()
    days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=3650))


class SlowMoverOut(Schema):
    part_id = fields.String()
    sku = fields.String()
    name = fields.String()
    category = fields.String()
    on_hand = Quantity()
    value_fen = Fen()
    last_issue_at = fields.DateTime(allow_none=True)
    last_receipt_at = fields.DateTime(allow_none=True)


class LedgerCheckQuery(Schema):
    store_id = fields.String()


class LedgerProblem(Schema):
    store_id = fields.String()
    sku = fields.String()
    problem = fields.String()
    expected = fields.String()
    actual = fields.String()


class LedgerCheckOut(Schema):
    ok = fields.Boolean()
    stock_levels = fields.Integer()
    movements = fields.Integer()
    problems = fields.List(fields.Nested(LedgerProblem))


# -- suppliers ------------------------------------------------------------------------------------------
class SupplierCreate(Schema):
    code = Code(required=True, max_length=40, metadata={"example": "SUP-BOSCH-GZ"})
    name = Name(required=True, max_length=120, metadata={"example": "博世汽车配件广州分销中心"})
    contact_name = Name(load_default=None, allow_none=True, max_length=50)
    phone = Phone(load_default=None, allow_none=True, metadata={"example": "020-88886666"})
    email = fields.Email(load_default=None, allow_none=True)
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    tax_id = fields.String(load_default=None, allow_none=True,
                           validate=validate.Regexp(r"^[0-9A-HJ-NPQRTUWXY]{18}$",
                                                    error="A unified social credit code has 18 characters."))
    lead_time_days = fields.Integer(strict=True, load_default=None, allow_none=True,
                                    validate=validate.Range(min=0, max=365))
    payment_terms = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    active = fields.Boolean(load_default=True)


class SupplierPatch(patch_schema(SupplierCreate, "_SupplierPatchBase")):
    code = fields.String(metadata={"readOnly": True, "description": "Fixed once created."})

    @validates("code")
    def _code_is_fixed(self, value, **_):
        raise ValidationError("A supplier's code cannot change.")


class SupplierOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    contact_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    tax_id = fields.String(allow_none=True)
    lead_time_days = fields.Integer(allow_none=True)
    payment_terms = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()


class SupplierListQuery(ListQuery):
    q = fields.String(validate=validate.Length(min=1, max=120), metadata={"description": "Code or name prefix"})
    active = fields.Boolean()


# -- purchase orders ------------------------------------------------------------------------------------
class PurchaseOrderLineIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = _qty(required=True)
    unit_cost_fen = Fen(required=True, metadata={"description": "Agreed purchase price per unit, tax included"})


class PurchaseOrderCreate(Schema):
    store_id = fields.String(required=True)
    supplier_id = fields.String(required=True)
    lines = fields.List(fields.Nested(PurchaseOrderLineIn), required=True, validate=validate.Length(min=1, max=200))
    expected_on = fields.Date(load_default=None, allow_none=True)
    allow_over_receipt = fields.Boolean(load_default=False,
                                        metadata={"description": "Accept deliveries above the ordered quantity"})
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    submit = fields.Boolean(load_default=False, metadata={"description": "Place the order at once (→ ordered)"})

    @validates_schema
    def _one_line_per_sku(self, data, **_):
        skus = [line["sku"] for line in data.get("lines", [])]
        if len(skus) != len(set(skus)):
            raise ValidationError("Each SKU appears on one line only.", "lines")


class PurchaseOrderLineOut(Schema):
    id = fields.String()
    part_id = fields.String()
    sku = fields.String()
    qty_ordered = Quantity()
    qty_received = Quantity()
    qty_returned = Quantity(metadata={"description": "Sent back to the supplier after receipt"})
    qty_outstanding = Quantity()
    unit_cost_fen = Fen()
    line_total_fen = Fen()


class ReceiptLineOut(Schema):
    id = fields.String()
    purchase_order_line_id = fields.String()
    sku = fields.String()
    qty = Quantity()
    unit_cost_fen = Fen()
    batch_no = fields.String(allow_none=True)
    expiry_date = fields.Date(allow_none=True)


class ReceiptOut(Schema):
    id = fields.String()
    purchase_order_id = fields.String()
    store_id = fields.String()
    delivery_note = fields.String(allow_none=True)
    received_by = fields.String(allow_none=True)
    received_at = fields.DateTime()
    lines = fields.List(fields.Nested(ReceiptLineOut))


class PurchaseOrderOut(Schema):
    id = fields.String()
    number = fields.String()
    store_id = fields.String()
    supplier_id = fields.String()
    supplier_name = fields.Function(lambda po: po.supplier.name)
    status = fields.String(metadata={"enum": list(PO_STATES)})
    currency = fields.String()
    total_fen = Fen()
    expected_on = fields.Date(allow_none=True)
    allow_over_receipt = fields.Boolean()
    notes = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    ordered_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(PurchaseOrderLineOut))
    receipts = fields.List(fields.Nested(ReceiptOut))


class PurchaseOrderListQuery(ListQuery):
    store_id = _store_filter()
    status = fields.String(validate=validate.OneOf(PO_STATES))
    supplier_id = fields.String()


class ReceiptLineIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = _qty(required=True)
    unit_cost_fen = Fen(load_default=None, allow_none=True,
                        metadata={"description": "Actual cost per unit; default the PO line's price"})
    batch_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40))
    expiry_date = fields.Date(load_default=None, allow_none=True)


class ReceiptCreate(Schema):
    lines = fields.List(fields.Nested(ReceiptLineIn), required=True, validate=validate.Length(min=1, max=200))
    delivery_note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))


class SupplierReturnLineIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = _qty(required=True)


class SupplierReturnCreate(Schema):
    lines = fields.List(fields.Nested(SupplierReturnLineIn), required=True, validate=validate.Length(min=1, max=200))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SupplierReturnLineOut(Schema):
    sku = fields.String()
    qty = Quantity()
    value_fen = Fen(metadata={"description": "Taken out of stock at what it cost as received on the order"})


class SupplierReturnOut(Schema):
    """Goods received on a purchase order sent back to its supplier (退货): stock leaves at what it
    cost as received; finance reverses goods received not invoiced by that value."""
    id = fields.String()
    purchase_order_id = fields.String()
    purchase_order_number = fields.String()
    store_id = fields.String()
    supplier_id = fields.String()
    reason = fields.String()
    value_fen = Fen()
    lines = fields.List(fields.Nested(SupplierReturnLineOut))


# -- transfers ------------------------------------------------------------------------------------------
class TransferLineIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = _qty(required=True)


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


# -- stocktakes -----------------------------------------------------------------------------------------
class StocktakeCreate(Schema):
    store_id = fields.String(required=True)
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40),
                             metadata={"description": "Count one category only; default the whole store"})
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class StocktakeCountIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    qty = Quantity(required=True, validate=not_negative)
    location = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))


class StocktakeCounts(Schema):
    counts = fields.List(fields.Nested(StocktakeCountIn), required=True, validate=validate.Length(min=1, max=500))
    counter = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40),
                            metadata={"description": "Who counted; default the caller"})


class StocktakePost(Schema):
    uncounted = fields.String(load_default="keep", validate=validate.OneOf(("keep", "zero")),
                              metadata={"description": "Lines nobody counted: keep book stock, or count as zero"})


class StocktakeCountOut(Schema):
    counter_id = fields.String()
    location = fields.String(allow_none=True)
    qty = Quantity()
    qty_book = Quantity(allow_none=True, metadata={"description": "null for counters (blind count)"})
    counted_at = fields.DateTime()


class StocktakeLineOut(Schema):
    part_id = fields.String()
    sku = fields.String()
    qty_at_open = Quantity(allow_none=True, metadata={"description": "Book stock when opened; null for counters"})
    qty_counted = Quantity(allow_none=True)
    qty_book_at_count = Quantity(allow_none=True)
    variance_qty = Quantity(allow_none=True)
    variance_value_fen = Fen(allow_none=True, allow_negative=True)
    counts = fields.List(fields.Nested(StocktakeCountOut))


class StocktakeOut(Schema):
    id = fields.String()
    number = fields.String()
    store_id = fields.String()
    category = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(STOCKTAKE_STATES)})
    notes = fields.String(allow_none=True)
    opened_by = fields.String(allow_none=True)
    posted_by = fields.String(allow_none=True)
    opened_at = fields.DateTime()
    posted_at = fields.DateTime(allow_none=True)
    blind = fields.Boolean(metadata={"description": "Book quantities hidden: the caller counts blind"})
    variance_value_fen = fields.Function(
        lambda st: sum(line.variance_value_fen or 0 for line in st.lines))
    lines = fields.List(fields.Nested(StocktakeLineOut))


class StocktakeListQuery(ListQuery):
    store_id = _store_filter()
    status = fields.String(validate=validate.OneOf(STOCKTAKE_STATES))
