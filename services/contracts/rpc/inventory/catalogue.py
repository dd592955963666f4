"""Parts, suppliers, a store's stock and its movements, adjustments and availability."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.common.fields import NOT_ZERO, Code, Fen, Name, Phone, Quantity, TaxCode
from services.common.schemas import ListQuery, patch_schema

from .shared import store_filter, not_negative


UNITS = ("piece", "set", "pair", "litre", "millilitre", "kilogram", "gram", "metre", "bottle", "can", "box",
         "roll", "sheet")
TAX_CLASSES = ("standard", "reduced", "exempt")
TAX_RATES = {"standard": "0.13", "reduced": "0.09", "exempt": "0"}
"""VAT rates by tax class (goods 13 %, some items 9 %, exempt 0)."""
MOVEMENT_KINDS = ("receipt", "issue", "return", "transfer_out", "transfer_in", "adjustment", "stocktake_variance",
                  "supplier_return")
ADJUSTMENT_REASONS = ("damaged", "expired", "lost", "found", "correction", "sample", "customer_return")
_SKU = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,39}$",
                       error="1–40 letters, digits, '.', '_', '-' or '/', starting with a letter or digit.")


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
    tax_code = TaxCode(load_default=None, allow_none=True,
                       metadata={"description": "税收分类编码 (19 digits) its fapiao lines carry"})
    batch_tracked = fields.Boolean(load_default=False, metadata={"description": "Batch numbers and expiry dates"})
    hazardous = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PartPatch(patch_schema(PartCreate, "_PartPatchBase")):  # type: ignore[misc]  # built at import: mypy cannot see the base
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
    tax_code = fields.String(allow_none=True)
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
    store_id = store_filter()
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
    store_id = store_filter()
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


class SupplierPatch(patch_schema(SupplierCreate, "_SupplierPatchBase")):  # type: ignore[misc]  # built at import: mypy cannot see the base
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
