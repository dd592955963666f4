from __future__ import annotations

import pytest
from marshmallow import ValidationError

from services.common.context import Caller
from services.common.errors import Forbidden
from services.common.ids import new_id
from services.common.money import format_yuan, round_fen, to_qty
from services.common.schemas import ListQuery, encode_cursor, page


def test_ids_are_unique_and_time_ordered():
    ids = [new_id() for _ in range(1000)]
    assert len(set(ids)) == 1000 and all(len(i) == 26 for i in ids)
    assert ids[0][:10] <= ids[-1][:10]


def test_cursor_round_trip_and_garbage():
    assert ListQuery().load({"cursor": encode_cursor("01abc")})["cursor"] == "01abc"
    with pytest.raises(ValidationError):
        ListQuery().load({"cursor": "%%%"})
    with pytest.raises(ValidationError):
        ListQuery().load({"limit": 201})


def test_page_trims_the_lookahead_row():
    assert page([1, 2, 3], 2, key=str) == {"items": [1, 2], "next_cursor": encode_cursor("2")}
    assert page([1, 2], 2, key=str) == {"items": [1, 2], "next_cursor": None}


def test_money_helpers():
    from decimal import Decimal
    assert round_fen(Decimal("10.5")) == 11 and round_fen(Decimal("-10.5")) == -11
    assert format_yuan(123456) == "¥1,234.56" and format_yuan(-5) == "-¥0.05"
    assert to_qty(0.1) == Decimal("0.100")


def test_caller_scope():
    advisor = Caller.from_context({"user_id": "u", "role": "service_advisor", "store_ids": "s1,s2"})
    assert advisor.can_access_store("s2") and not advisor.can_access_store("s3")
    with pytest.raises(Forbidden):
        advisor.require_store("s3")
    assert Caller.from_context({"role": "hq_admin"}).can_access_store("s3")
    assert Caller.from_context({}).is_system and Caller.from_context({}).can_access_store("s3")
    assert not Caller.from_context({"role": "technician"}).sees_full_phone
