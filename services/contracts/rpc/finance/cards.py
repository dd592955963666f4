"""Member cards (stored value and packages): issuing, topping up, cancelling; and the settlement between
stores of what one store's cards paid at another."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import Code, Fen, Name
from services.common.schemas import ListQuery

from .shared import positive


MONEY_IN = ("cash", "card", "wechat", "alipay")
CARD_KINDS = ("stored_value", "package")


class TopUpCreate(Schema):
    amount_fen = positive(required=True, metadata={"description": "What the customer pays."})
    bonus_fen = Fen(load_default=0, metadata={"description": "Given on top (accounted apart)."})
    method = fields.String(required=True, validate=validate.OneOf(MONEY_IN))
    store_id = fields.String(load_default=None, allow_none=True,
                             metadata={"description": "Store taking the money (default: the card's)."})


class PackageItemIn(Schema):
    service_code = Code(required=True)
    name = Name(required=True, max_length=100)
    units = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=1000))


class CardCreate(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CARD_KINDS))
    customer_id = fields.String(required=True)
    store_id = fields.String(required=True)
    top_up = fields.Nested(TopUpCreate, load_default=None, allow_none=True,
                           metadata={"description": "stored_value: an opening top-up."})
    package_name = Name(max_length=100)
    items = fields.List(fields.Nested(PackageItemIn), validate=validate.Length(min=1, max=20))
    price_fen = Fen()
    method = fields.String(validate=validate.OneOf(MONEY_IN))
    expires_on = fields.Date(load_default=None, allow_none=True)
    valid_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=3660))

    @validates_schema
    def _package(self, data, **_):
        if data.get("kind") == "package":
            missing = [f for f in ("package_name", "items", "price_fen", "method") if data.get(f) in (None, [])]
            if missing:
                raise ValidationError({f: ["Required for a package."] for f in missing})
            codes = [item["service_code"] for item in data["items"]]
            if len(set(codes)) != len(codes):
                raise ValidationError("Each service once.", "items")


class CardCancel(Schema):
    method = fields.String(required=True, validate=validate.OneOf(MONEY_IN),
                           metadata={"description": "How the unused paid balance goes back."})


class PackageItemOut(Schema):
    service_code = fields.String()
    name = fields.String()
    units_total = fields.Integer()
    units_left = fields.Integer()
    value_left_fen = fields.Integer()


class CardTransactionOut(Schema):
    id = fields.String()
    store_id = fields.String()
    kind = fields.String()
    paid_delta_fen = fields.Integer()
    bonus_delta_fen = fields.Integer()
    service_code = fields.String(allow_none=True)
    units_delta = fields.Integer()
    payment_id = fields.String(allow_none=True)
    method = fields.String(allow_none=True)
    created_at = fields.DateTime()
    business_date = fields.Date()


class CardOut(Schema):
    id = fields.String()
    number = fields.String()
    kind = fields.String(metadata={"enum": list(CARD_KINDS)})
    status = fields.String()
    customer_id = fields.String()
    store_id = fields.String()
    currency = fields.String()
    paid_balance_fen = fields.Integer()
    bonus_balance_fen = fields.Integer()
    balance_fen = fields.Integer()
    package_name = fields.String(allow_none=True)
    price_fen = fields.Integer()
    expires_on = fields.Date(allow_none=True)
    items = fields.List(fields.Nested(PackageItemOut))
    transactions = fields.List(fields.Nested(CardTransactionOut), metadata={"description": "Single reads only."})
    created_at = fields.DateTime()
    cancelled_at = fields.DateTime(allow_none=True)


class CardQuery(ListQuery):
    customer_id = fields.String()
    store_id = fields.String(metadata={"description": "Issuing store."})
    number = fields.String()


class SettlementQuery(Schema):
    store_id = fields.String(required=True)


class SettlementPositionOut(Schema):
    store_id = fields.String(metadata={"description": "The other store."})
    receivable_fen = fields.Integer(metadata={"description": "It owes us: our service paid by its cards."})
    payable_fen = fields.Integer(metadata={"description": "We owe it: its service paid by our cards."})
    net_fen = fields.Integer()


class SettlementPositionsOut(Schema):
    store_id = fields.String()
    items = fields.List(fields.Nested(SettlementPositionOut))


class SettleRequest(Schema):
    debtor_store_id = fields.String(required=True)
    creditor_store_id = fields.String(required=True)


class SettlementOut(Schema):
    debtor_store_id = fields.String()
    creditor_store_id = fields.String()
    amount_fen = fields.Integer()
    records = fields.Integer()
    reference = fields.String()
