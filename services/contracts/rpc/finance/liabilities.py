"""Membership card liabilities (储值卡负债): what the open cards each store issued hold, beside the ledger."""
from __future__ import annotations

from marshmallow import Schema, fields


class CardLiabilitiesQuery(Schema):
    store_id = fields.String(metadata={"description": "One issuing store; without it the caller's stores (HQ: the "
                                                     "chain)"})


class CardLiabilityOut(Schema):
    store_id = fields.String(allow_none=True, metadata={"description": "The issuing store (the total row: null)"})
    stored_value_cards = fields.Integer(metadata={"description": "Open stored-value cards"})
    paid_balance_fen = fields.Integer(metadata={"description": "Their paid balances (principal): the 2205 side"})
    bonus_balance_fen = fields.Integer(metadata={"description": "Their bonus balances: never paid for, so no "
                                                               "liability in the books (a discount when spent)"})
    package_cards = fields.Integer(metadata={"description": "Open service-package cards"})
    package_value_fen = fields.Integer(metadata={"description": "Their services' unredeemed value: the 2206 side"})
    liability_fen = fields.Integer(metadata={"description": "paid_balance_fen + package_value_fen"})
    ledger_fen = fields.Integer(metadata={"description": "The ledger's 2205 + 2206 (credit balance)"})
    difference_fen = fields.Integer(metadata={"description": "liability_fen − ledger_fen: 0 when they agree"})


class CardLiabilitiesOut(Schema):
    as_of = fields.Date(metadata={"description": "Today (the balances as they stand)"})
    items = fields.List(fields.Nested(CardLiabilityOut), metadata={"description": "A row per issuing store"})
    total = fields.Nested(CardLiabilityOut)
