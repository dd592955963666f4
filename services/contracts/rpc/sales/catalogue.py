"""The sales catalogue: labour operations, packages, price lists and vehicle classes."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import Code, Fen, Name, Quantity, TaxCode
from services.common.schemas import ListQuery, patch_schema
from services.common.skills import ANY_SKILL, SKILL, SKILLS
from services.contracts.sales import LINE_KINDS


CATEGORIES = ("maintenance", "repair", "inspection", "bodywork", "paint", "tyres", "car_care", "electrical",
              "diagnosis", "other")
PRICE_KINDS = ("labour_rate", "part", "package", "fee")


class OperationPart(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=60))
    qty = Quantity(load_default=lambda: Decimal(1), validate=validate.Range(min=0, min_inclusive=False, max=10000))


class LabourOperationCreate(Schema):
    code = Code(required=True, metadata={"example": "OIL-CHG"})
    name = Name(required=True, max_length=100, metadata={"example": "更换机油"})
    name_en = Name(load_default=None, allow_none=True, max_length=100)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    standard_hours = Quantity(required=True, validate=validate.Range(min=0, min_inclusive=False, max=200))
    hours_by_class = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=20)),
                                 values=Quantity(validate=validate.Range(min=0, min_inclusive=False, max=200)),
                                 load_default=dict, metadata={"example": {"suv": 1.2, "luxury": 1.5}})
    skill = fields.String(load_default=ANY_SKILL, validate=SKILL, metadata={
        "description": "The skill (工种, not a level) a technician needs to be dispatched to it; also picks the "
                       "labour rate (price list labour_rate/<skill>). One of: " + ", ".join(SKILLS)})
    parts = fields.List(fields.Nested(OperationPart), load_default=list, validate=validate.Length(max=20), metadata={
        "description": "The parts the operation needs (e.g. the pads of a brake job): quoted with it when an "
                       "inspection finding recommends it"})
    tax_code = TaxCode(load_default=None, allow_none=True,
                       metadata={"description": "税收分类编码 (19 digits) its fapiao lines carry"})
    active = fields.Boolean(load_default=True)


LabourOperationPatch = patch_schema(LabourOperationCreate, "LabourOperationPatch")


class LabourOperationOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    category = fields.String()
    standard_hours = Quantity()
    hours_by_class = fields.Dict(keys=fields.String(), values=Quantity())
    skill = fields.String()
    parts = fields.List(fields.Nested(OperationPart))
    tax_code = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class LabourOperationListQuery(ListQuery):
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    q = fields.String(validate=validate.Length(min=1, max=50), metadata={"description": "Code prefix or name part"})
    active = fields.Boolean()


class PackageItemIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LINE_KINDS))
    op_code = Code(load_default=None, allow_none=True)
    sku = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    sku_options = fields.List(fields.String(validate=validate.Length(min=1, max=60)), load_default=list,
                              metadata={"description": "Parts the advisor may choose instead (grade, fitment)"})
    sku_by_vehicle = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)),
                                 values=fields.String(validate=validate.Length(min=1, max=60)), load_default=dict,
                                 metadata={"description": "'make' or 'make model' -> the SKU that fits that car",
                                           "example": {"大众": "FLT-OIL-VW", "丰田 凯美瑞": "FLT-OIL-TY"}})
    fee_code = Code(load_default=None, allow_none=True)
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    qty = Quantity(load_default=lambda: Decimal(1), validate=validate.Range(min=0, min_inclusive=False, max=10000))
    unit_price_fen = Fen(load_default=None, allow_none=True)

    @validates_schema
    def _by_kind(self, data, **_):
        if data["kind"] == "labour" and not data.get("op_code"):
            raise ValidationError("A labour item names an operation.", "op_code")
        if data["kind"] == "part" and not (data.get("sku") or data.get("sku_options") or data.get("sku_by_vehicle")):
            raise ValidationError("A part item names a SKU or the SKUs to choose from.", "sku")
        if data["kind"] == "fee" and not (data.get("fee_code") or (data.get("description")
                                                                   and data.get("unit_price_fen") is not None)):
            raise ValidationError("A fee item has a fee_code or a description and unit_price_fen.", "fee_code")


class PackageCreate(Schema):
    code = Code(required=True, metadata={"example": "PKG-MINOR"})
    name = Name(required=True, max_length=100, metadata={"example": "小保养"})
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    category = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CATEGORIES))
    pricing = fields.String(load_default="sum", validate=validate.OneOf(("sum", "fixed")),
                            metadata={"description": "sum of its lines, or a fixed package price (the difference "
                                                     "shows as a package discount)"})
    fixed_price_fen = Fen(load_default=None, allow_none=True)
    items = fields.List(fields.Nested(PackageItemIn), required=True, validate=validate.Length(min=1, max=50))
    active = fields.Boolean(load_default=True)
    store_ids = fields.List(fields.String(validate=validate.Length(min=1, max=26)), load_default=None,
                            allow_none=True, validate=validate.Length(min=1, max=500), metadata={
                                "description": "The stores that offer it; null (or left out): every store"})


PackagePatch = patch_schema(PackageCreate, "PackagePatch")


class PackageItemOut(Schema):
    position = fields.Integer()
    kind = fields.String()
    op_code = fields.String(allow_none=True)
    sku = fields.String(allow_none=True)
    sku_options = fields.List(fields.String())
    sku_by_vehicle = fields.Dict(keys=fields.String(), values=fields.String())
    fee_code = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    qty = Quantity()
    unit_price_fen = Fen(allow_none=True)


class PackageOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    pricing = fields.String()
    fixed_price_fen = Fen(allow_none=True)
    active = fields.Boolean()
    store_ids = fields.List(fields.String(), allow_none=True, metadata={"description": "Null: every store"})
    items = fields.List(fields.Nested(PackageItemOut))
    created_at = fields.DateTime()


class PackageListQuery(ListQuery):
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    active = fields.Boolean()
    store_id = fields.String(metadata={"description": "Only what this store offers"})


class PricedItem(Schema):
    """An item of the price list: what a price entry, and a competitor's price, is the price of."""
    kind = fields.String(required=True, validate=validate.OneOf(PRICE_KINDS),
                         metadata={"description": "labour_rate (key = skill), part (key = SKU), "
                                                  "package (key = package code), fee (key = fee code)"})
    key = fields.String(required=True, validate=validate.Length(min=1, max=60), metadata={
        "description": "For labour_rate one of the skills: " + ", ".join(SKILLS)})

    @validates_schema
    def _rate_of_a_skill(self, data, **_):
        if data.get("kind") == "labour_rate" and data.get("key") not in SKILLS:
            raise ValidationError(f"A labour rate is the rate of a skill: one of {', '.join(SKILLS)}.", "key")


class PriceEntryCreate(PricedItem):
    store_id = fields.String(load_default=None, allow_none=True,
                             metadata={"description": "A store's override; null = the chain's price (HQ)"})
    price_fen = Fen(required=True)
    min_fen = Fen(load_default=None, allow_none=True, metadata={"description": "Chain entries: lowest store price"})
    max_fen = Fen(load_default=None, allow_none=True, metadata={"description": "Chain entries: highest store price"})
    effective_from = fields.Date(required=True, metadata={"description": "Store-local date it applies from"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class PriceEntryOut(Schema):
    id = fields.String()
    kind = fields.String()
    key = fields.String()
    store_id = fields.String(allow_none=True)
    price_fen = Fen()
    min_fen = Fen(allow_none=True)
    max_fen = Fen(allow_none=True)
    effective_from = fields.Date()
    note = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()


class PriceListQuery(ListQuery):
    kind = fields.String(validate=validate.OneOf(PRICE_KINDS))
    key = fields.String()
    store_id = fields.String(allow_none=True, metadata={"description": "A store's overrides; empty = chain"})


class VehicleClassRuleIn(Schema):
    make = Name(required=True, max_length=40, metadata={"example": "宝马"})
    model = fields.String(load_default="", validate=validate.Length(max=60),
                          metadata={"description": "Empty: every model of the make"})
    vehicle_class = fields.String(required=True, validate=validate.Length(min=1, max=20),
                                  metadata={"example": "luxury"})


class VehicleClassRuleOut(Schema):
    id = fields.String()
    make = fields.String()
    model = fields.String()
    vehicle_class = fields.String()
