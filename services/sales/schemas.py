"""sales's contract: request and response schemas shared by the service and the gateway
(the gateway validates with them and builds its OpenAPI document from them)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.attachments import AttachmentOut
from services.common.signatures import SignatureOut
from services.common.policy import ROLES
from services.common.fields import MAX_FEN, ClockTime, Code, Fen, Name, Quantity, TimeZone
from services.common.schemas import ListQuery, patch_schema
from services.common.skills import ANY_SKILL, SKILL, SKILLS

LINE_KINDS = ("labour", "part", "fee")
CATEGORIES = ("maintenance", "repair", "inspection", "bodywork", "paint", "tyres", "car_care", "electrical",
              "diagnosis", "other")
PAYMENT_METHODS = ("cash", "card", "wechat", "alipay", "stored_value", "package", "transfer")
QUOTE_STATES = ("draft", "presented", "approved", "partially_approved", "declined", "contracted", "expired")
APPROVAL_STATES = ("not_required", "pending", "approved", "rejected")
ORDER_STATES = ("confirmed", "in_progress", "completed", "delivered", "closed", "cancelled")
APPOINTMENT_STATES = ("booked", "arrived", "cancelled", "no_show")
DISCOUNT_KINDS = ("percent", "amount")
PRICE_KINDS = ("labour_rate", "part", "package", "fee")


def json_numbers(mapping: dict) -> dict:
    """Decimals kept exactly in a JSON column: whole numbers as ints, others as strings."""
    return {key: int(value) if Decimal(value) == int(value) else str(value) for key, value in mapping.items()}


class Rate(fields.Field):
    """A tax rate as an exact decimal fraction (0.13), sent as a number or string, returned as a string
    (and declared as one)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata.update(type="string", pattern=r"^0(?:\.[0-9]{1,4})?$")

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValidationError("Not a valid rate.")
        try:
            rate = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError("Not a valid rate.") from exc
        if not rate.is_finite() or not Decimal(0) <= rate < Decimal(1) or rate != rate.quantize(Decimal("0.0001")):
            raise ValidationError("A fraction between 0 and 1 with at most 4 decimals, e.g. 0.13.")
        return rate

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(Decimal(value).quantize(Decimal("0.0001")).normalize())


# -- store settings ---------------------------------------------------------------------------

class SalesSettingsPut(Schema):
    """Only what is sent changes; limits are HQ's to set."""
    labour_rate_fen = Fen(metadata={"description": "Per hour, in the store's pricing mode"})
    vat_rate = Rate(metadata={"example": "0.13"})
    tax_inclusive = fields.Boolean(metadata={"description": "Prices include VAT (usual in China)"})
    discount_limits = fields.Dict(keys=fields.String(validate=validate.OneOf(ROLES)),
                                  values=Quantity(validate=validate.Range(min=0, max=100)),
                                  metadata={"description": "role -> deepest discount (percent) without approval"})
    slot_minutes = fields.Integer(strict=True, validate=validate.OneOf([15, 20, 30, 60, 90, 120, 180, 240]))
    slot_capacity = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))
    timezone = TimeZone()
    opens_at = ClockTime(metadata={
        "example": "08:30", "description": "Opening time (store time, every day): the first slot"})
    closes_at = ClockTime(metadata={
        "example": "18:00", "description": "Closing time: the last slot ends by then"})
    quote_valid_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=90))


class SalesSettingsOut(Schema):
    store_id = fields.String()
    labour_rate_fen = Fen()
    vat_rate = Rate()
    tax_inclusive = fields.Boolean()
    discount_limits = fields.Dict(keys=fields.String(), values=Quantity())
    slot_minutes = fields.Integer()
    slot_capacity = fields.Integer()
    timezone = fields.String()
    opens_at = fields.Time(format="%H:%M", metadata={"example": "08:30"})
    closes_at = fields.Time(format="%H:%M", metadata={"example": "18:00"})
    quote_valid_days = fields.Integer()
    updated_at = fields.DateTime(allow_none=True)


# -- catalogue --------------------------------------------------------------------------------

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
    items = fields.List(fields.Nested(PackageItemOut))
    created_at = fields.DateTime()


class PackageListQuery(ListQuery):
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    active = fields.Boolean()


class PriceEntryCreate(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(PRICE_KINDS),
                         metadata={"description": "labour_rate (key = skill), part (key = SKU), "
                                                  "package (key = package code), fee (key = fee code)"})
    key = fields.String(required=True, validate=validate.Length(min=1, max=60), metadata={
        "description": "For labour_rate one of the skills: " + ", ".join(SKILLS)})
    store_id = fields.String(load_default=None, allow_none=True,
                             metadata={"description": "A store's override; null = the chain's price (HQ)"})
    price_fen = Fen(required=True)
    min_fen = Fen(load_default=None, allow_none=True, metadata={"description": "Chain entries: lowest store price"})
    max_fen = Fen(load_default=None, allow_none=True, metadata={"description": "Chain entries: highest store price"})
    effective_from = fields.Date(required=True, metadata={"description": "Store-local date it applies from"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _rate_of_a_skill(self, data, **_):
        if data.get("kind") == "labour_rate" and data.get("key") not in SKILLS:
            raise ValidationError(f"A labour rate is the rate of a skill: one of {', '.join(SKILLS)}.", "key")


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


# -- appointments, visits, test drives --------------------------------------------------------

class AppointmentCreate(Schema):
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(load_default=None, allow_none=True)
    slot_start = fields.AwareDateTime(required=True, metadata={"example": "2026-12-01T10:00:00+08:00"})
    services = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list,
                           validate=validate.Length(max=20))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    override_capacity = fields.Boolean(load_default=False,
                                       metadata={"description": "A manager books a full slot on purpose"})


class AppointmentOut(Schema):
    id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    slot_start = fields.DateTime()
    slot_minutes = fields.Integer()
    services = fields.List(fields.String())
    notes = fields.String(allow_none=True)
    state = fields.String(metadata={"enum": list(APPOINTMENT_STATES)})
    overbooked = fields.Boolean()
    visit_id = fields.String(allow_none=True)
    created_at = fields.DateTime()


class AppointmentListQuery(ListQuery):
    store_id = fields.String()
    date = fields.Date(metadata={"description": "The store's local day (needs store_id)"})
    customer_id = fields.String()
    state = fields.String(validate=validate.OneOf(APPOINTMENT_STATES))


class ReasonIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class OptionalReasonIn(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class VisitCreate(Schema):
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(load_default=None, allow_none=True)
    appointment_id = fields.String(load_default=None, allow_none=True)
    mileage_km = fields.Integer(strict=True, load_default=None, allow_none=True,
                                validate=validate.Range(min=0, max=3_000_000))
    needs = fields.List(fields.String(validate=validate.Length(min=1, max=200)), required=True,
                        validate=validate.Length(min=1, max=20),
                        metadata={"example": ["maintenance", "左前轮异响"],
                                  "description": "maintenance, repair, inspection, bodywork, car_care … or free text"})
    budget_fen = Fen(load_default=None, allow_none=True)
    expectations = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    promised_at = fields.AwareDateTime(load_default=None, allow_none=True)
    vehicle_class = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=20),
                                  metadata={"description": "Overrides the class found from make/model"})


class DeclinedWorkOut(Schema):
    id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    visit_id = fields.String()
    quote_id = fields.String()
    quote_line_id = fields.String()
    kind = fields.String()
    description = fields.String()
    op_code = fields.String(allow_none=True)
    sku = fields.String(allow_none=True)
    qty = Quantity()
    total_fen = Fen()
    status = fields.String(metadata={"enum": ["open", "requoted"]})
    declined_at = fields.DateTime()


class DeclinedWorkQuery(ListQuery):
    customer_id = fields.String()
    vehicle_id = fields.String()
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(("open", "requoted")))


class VisitOut(Schema):
    id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    customer_name = fields.String(allow_none=True)
    vehicle_id = fields.String(allow_none=True)
    plate = fields.String(allow_none=True)
    make = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    vehicle_class = fields.String()
    appointment_id = fields.String(allow_none=True)
    mileage_km = fields.Integer(allow_none=True)
    needs = fields.List(fields.String())
    budget_fen = Fen(allow_none=True)
    expectations = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    promised_at = fields.DateTime(allow_none=True)
    advisor_id = fields.String(allow_none=True)
    checked_in_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the car left (delivered, or the store's day ended without an order under way); "
                       "until then checking the car in again gives this visit"})
    declined_work = fields.List(fields.Nested(DeclinedWorkOut),
                                metadata={"description": "Work declined on earlier visits, still open"})
    photos = fields.List(fields.Nested(AttachmentOut), metadata={
        "description": "Walk-around photos (position, damage marks), oldest first"})


class VisitListQuery(ListQuery):
    store_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String()


class TestDriveCreate(Schema):
    store_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    vehicle_id = fields.String(load_default=None, allow_none=True)
    visit_id = fields.String(load_default=None, allow_none=True)
    vehicle_description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    licence_number = fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z]{8,20}$",
                                   error="8-20 letters or digits (a driving licence number)."))
    planned_at = fields.AwareDateTime(load_default=None, allow_none=True)
    time_out = fields.AwareDateTime(load_default=None, allow_none=True)
    mileage_out_km = fields.Integer(strict=True, load_default=None, allow_none=True,
                                    validate=validate.Range(min=0, max=3_000_000))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _something_to_drive(self, data, **_):
        if not data.get("vehicle_id") and not data.get("vehicle_description"):
            raise ValidationError("Name the vehicle (vehicle_id or vehicle_description).", "vehicle_description")


class TestDriveStart(Schema):
    time_out = fields.AwareDateTime(load_default=None, allow_none=True)
    mileage_out_km = fields.Integer(strict=True, load_default=None, allow_none=True,
                                    validate=validate.Range(min=0, max=3_000_000))


class TestDriveReturn(Schema):
    time_in = fields.AwareDateTime(load_default=None, allow_none=True)
    mileage_in_km = fields.Integer(strict=True, load_default=None, allow_none=True,
                                   validate=validate.Range(min=0, max=3_000_000))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class TestDriveOut(Schema):
    id = fields.String()
    store_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    visit_id = fields.String(allow_none=True)
    vehicle_description = fields.String(allow_none=True)
    licence_number = fields.String()
    planned_at = fields.DateTime(allow_none=True)
    time_out = fields.DateTime(allow_none=True)
    time_in = fields.DateTime(allow_none=True)
    mileage_out_km = fields.Integer(allow_none=True)
    mileage_in_km = fields.Integer(allow_none=True)
    state = fields.String(metadata={"enum": ["booked", "out", "returned"]})
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()


class TestDriveListQuery(ListQuery):
    store_id = fields.String()
    customer_id = fields.String()


# -- quotes -----------------------------------------------------------------------------------

class DiscountValue(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DISCOUNT_KINDS))
    value = Quantity(required=True, max_size=MAX_FEN, validate=validate.Range(min=0),
                     metadata={"description": "percent (12.5 = 12.5%) or amount in fen; 0 removes the discount"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _shape(self, data, **_):
        if data["kind"] == "percent" and data["value"] > 100:
            raise ValidationError("At most 100 percent.", "value")
        if data["kind"] == "amount" and data["value"] != int(data["value"]):
            raise ValidationError("An amount is whole fen.", "value")
        if data["value"] > 0 and not data.get("reason"):
            raise ValidationError("Say why (the reason is kept with the quote).", "reason")


class QuoteLineCreate(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LINE_KINDS))
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    op_code = Code(load_default=None, allow_none=True, metadata={"description": "labour: operation code"})
    hours = Quantity(load_default=None, allow_none=True, validate=validate.Range(min=0, min_inclusive=False, max=200),
                     metadata={"description": "labour: billed hours (default: the operation's, for the vehicle class)"})
    flat_price_fen = Fen(load_default=None, allow_none=True, metadata={"description": "labour: a flat price"})
    skill = fields.String(load_default=None, allow_none=True, validate=SKILL,
                          metadata={"description": "labour: the skill a technician needs (default: the operation's)"})
    sku = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=60))
    qty = Quantity(load_default=None, allow_none=True, validate=validate.Range(min=0, min_inclusive=False, max=10000))
    fee_code = Code(load_default=None, allow_none=True)
    unit_price_fen = Fen(load_default=None, allow_none=True, metadata={"description": "fee: its price"})
    discount = fields.Nested(DiscountValue, load_default=None, allow_none=True)
    declined_work_id = fields.String(load_default=None, allow_none=True,
                                     metadata={"description": "Quoting again work declined on an earlier visit"})

    @validates_schema
    def _by_kind(self, data, **_):
        if data["kind"] == "part" and not data.get("sku"):
            raise ValidationError("A part line names its SKU.", "sku")
        if data["kind"] == "labour" and not (data.get("op_code") or data.get("description")):
            raise ValidationError("A labour line names an operation or has a description.", "op_code")
        if data["kind"] == "fee" and not (data.get("fee_code") or data.get("description")):
            raise ValidationError("A fee line has a fee_code or a description.", "description")
        if data["kind"] != "part" and data.get("sku"):
            raise ValidationError("Only part lines have a SKU.", "sku")


class QuoteCreate(Schema):
    visit_id = fields.String(required=True)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    lines = fields.List(fields.Nested(QuoteLineCreate), load_default=list, validate=validate.Length(max=100),
                        metadata={"description": "Lines to start with, priced as by POST /v1/quotes/{id}/lines "
                                                 "(inventory is asked once for all the parts)"})


class QuoteDiscountIn(DiscountValue):
    line_id = fields.String(load_default=None, allow_none=True,
                            metadata={"description": "One line; without it, the whole quote"})


class ApprovalIn(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class RejectionIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200),
                           metadata={"description": "Why the discount is refused (the advisor reads it)"})


class DecisionIn(Schema):
    approved_line_ids = fields.List(fields.String(), load_default=list)
    declined_line_ids = fields.List(fields.String(), load_default=list)


class AddPackageIn(Schema):
    package = fields.String(required=True, metadata={"description": "Package id or code"})
    part_choices = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                               metadata={"description": "item position -> chosen SKU (one of its sku_options)"})


class ContractIn(Schema):
    payment_method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    deposit_fen = Fen(load_default=0)
    deposit_reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    promised_at = fields.AwareDateTime(load_default=None, allow_none=True)
    terms = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    signed_by = fields.String(required=True, validate=validate.Length(min=1, max=50),
                              metadata={"description": "The customer's name as signed"})
    signed_at = fields.AwareDateTime(load_default=None, allow_none=True)


class QuoteLineOut(Schema):
    id = fields.String()
    position = fields.Integer()
    kind = fields.String(metadata={"enum": list(LINE_KINDS)})
    description = fields.String()
    op_code = fields.String(allow_none=True)
    skill = fields.String(allow_none=True)
    hours = Quantity(allow_none=True)
    sku = fields.String(allow_none=True)
    part_id = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    fee_code = fields.String(allow_none=True)
    qty = Quantity()
    unit_price_fen = Fen()
    price_source = fields.String(metadata={"enum": ["store_rate", "price_list", "inventory", "flat", "entered"]})
    available = fields.Boolean(allow_none=True, attribute="in_stock", metadata={
        "description": "parts: the store's free stock covers qty (false: the work order waits for parts)"})
    available_qty = Quantity(allow_none=True)
    package_code = fields.String(allow_none=True)
    discount_kind = fields.String(allow_none=True)
    discount_value = Quantity(allow_none=True)
    discount_reason = fields.String(allow_none=True)
    decision = fields.String(metadata={"enum": ["pending", "approved", "declined"]})
    gross_fen = Fen()
    discount_fen = Fen(metadata={"description": "package + line + share of the quote discount"})
    net_fen = Fen()
    tax_fen = Fen()
    excl_tax_fen = Fen()
    total_fen = Fen(metadata={"description": "After discount, tax included"})


class QuoteVersionOut(Schema):
    id = fields.String()
    version = fields.Integer()
    state = fields.String()


class TotalsOut(Schema):
    subtotal_fen = Fen()
    discount_fen = Fen()
    tax_fen = Fen()
    total_excl_tax_fen = Fen()
    total_fen = Fen(metadata={"description": "Tax included"})
    currency = fields.String()


class QuoteOut(Schema):
    id = fields.String()
    number = fields.String()
    version = fields.Integer()
    group_id = fields.String()
    superseded_by_id = fields.String(allow_none=True)
    store_id = fields.String()
    visit_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    vehicle_class = fields.String()
    state = fields.String(metadata={"enum": list(QUOTE_STATES)})
    tax_rate = Rate()
    tax_inclusive = fields.Boolean()
    labour_rate_fen = Fen()
    discount_kind = fields.String(allow_none=True)
    discount_value = Quantity(allow_none=True)
    discount_reason = fields.String(allow_none=True)
    approval_status = fields.String(metadata={"enum": list(APPROVAL_STATES)})
    approval_reasons = fields.List(fields.String())
    approval_needs = fields.List(fields.Dict(), metadata={
        "description": "What waits for a manager, as `code` (discount_above_limit: pct, limit, role; "
                       "below_cost: line) with its params, for clients to word"})
    approved_by = fields.String(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    rejected_by = fields.String(allow_none=True)
    rejected_at = fields.DateTime(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    totals = fields.Nested(TotalsOut)
    lines = fields.List(fields.Nested(QuoteLineOut))
    versions = fields.List(fields.Nested(QuoteVersionOut))
    order_id = fields.String(allow_none=True)
    customer_signature = fields.Nested(SignatureOut, allow_none=True, metadata={
        "description": "The customer's drawn signature of their decision (on their phone), and whether the quote "
                       "still matches it (one quote only, not in lists)"})
    notes = fields.String(allow_none=True)
    valid_until = fields.DateTime()
    advisor_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    presented_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    contracted_at = fields.DateTime(allow_none=True)


class QuoteListQuery(ListQuery):
    store_id = fields.String()
    visit_id = fields.String()
    customer_id = fields.String()
    state = fields.String(validate=validate.OneOf(QUOTE_STATES))
    approval_status = fields.String(validate=validate.OneOf(APPROVAL_STATES),
                                    metadata={"description": "`pending`: the manager's approval queue"})


# -- orders -----------------------------------------------------------------------------------

class OrderLineOut(Schema):
    id = fields.String()
    position = fields.Integer()
    kind = fields.String()
    description = fields.String()
    op_code = fields.String(allow_none=True)
    skill = fields.String(allow_none=True)
    hours = Quantity(allow_none=True)
    sku = fields.String(allow_none=True)
    qty = Quantity()
    unit_price_fen = Fen()
    discount_fen = Fen()
    tax_fen = Fen()
    total_fen = Fen()


class OrderOut(Schema):
    id = fields.String()
    number = fields.String()
    store_id = fields.String()
    quote_id = fields.String()
    visit_id = fields.String(allow_none=True)
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    advisor_id = fields.String(allow_none=True)
    state = fields.String(metadata={"enum": list(ORDER_STATES)})
    status_line = fields.String(metadata={"description": "One line for the advisor"})
    totals = fields.Nested(TotalsOut)
    tax_rate = Rate()
    tax_inclusive = fields.Boolean()
    payment_method = fields.String()
    deposit_fen = Fen()
    deposit_reference = fields.String(allow_none=True)
    promised_at = fields.DateTime(allow_none=True)
    terms = fields.String(allow_none=True)
    signed_by = fields.String()
    signed_at = fields.DateTime()
    confirmed_at = fields.DateTime()
    work_order_id = fields.String(allow_none=True)
    invoice_id = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineOut))
    signature = fields.Nested(SignatureOut, allow_none=True, metadata={
        "description": "The customer's drawn signature of the contract, and whether the order still matches it "
                       "(one order only, not in lists)"})


class OrderListQuery(ListQuery):
    store_id = fields.String()
    state = fields.String(validate=validate.OneOf(ORDER_STATES))
    customer_id = fields.String()
    vehicle_id = fields.String()


class QuoteStatsQuery(Schema):
    store_id = fields.String(required=True)
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    time_zone = TimeZone(load_default="Asia/Shanghai")


class QuoteStatsOut(Schema):
    store_id = fields.String()
    period = fields.String(allow_none=True, metadata={"description": "Day, ISO week or month when grouped"})
    presented = fields.Integer(metadata={"description": "Quotes (all versions of one counted once) presented"})
    approved = fields.Integer(metadata={"description": "Of those, approved in whole or in part"})
    close_ratio_pct = Quantity(allow_none=True, metadata={"description": "approved / presented × 100"})
