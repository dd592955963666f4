from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError

from services.common.fields import Fen, Quantity
from services.common.validators import (mask_mobile, normalize_mobile, normalize_plate, normalize_vin,
                                        vin_check_digit)


@pytest.mark.parametrize("raw", ["13812345678", "+86 138 1234 5678", "0086-138-1234-5678", "19912345678"])
def test_mainland_mobiles_are_normalised(raw):
    assert normalize_mobile(raw) in ("13812345678", "19912345678")


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "02012345678", "", "1381234567a"])
def test_other_numbers_are_refused(raw):
    with pytest.raises(ValueError):
        normalize_mobile(raw)


def test_masking_keeps_prefix_and_last_four():
    assert mask_mobile("13812345678") == "138****5678"


@pytest.mark.parametrize("raw, plate", [
    ("京A12345", "京A12345"), ("粤b·3k9x7", "粤B3K9X7"), ("沪AD12345", "沪AD12345"),  # small new-energy
    ("粤BF23456", "粤BF23456"), ("苏E12345D", "苏E12345D"),  # large new-energy: D/F last
    ("川A1234挂", "川A1234挂"), ("粤Z1234港", "粤Z1234港")])
def test_valid_plates(raw, plate):
    assert normalize_plate(raw) == plate


@pytest.mark.parametrize("raw", ["粤I12345", "粤O12345", "AB12345", "粤A1234", "粤A123456", "粤AD123", "港A12345"])
def test_invalid_plates(raw):
    with pytest.raises(ValueError):
        normalize_plate(raw)


def test_vin_check_digit_follows_iso_3779():
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert normalize_vin(" 1m8gdm9axkp042788 ") == "1M8GDM9AXKP042788"
    assert normalize_vin("LSVAU218XN2183294") == "LSVAU218XN2183294"


@pytest.mark.parametrize("raw, reason", [("1M8GDM9A1KP042788", "check digit"), ("1M8GDM9AXKP04278", "17"),
                                         ("1M8GDM9AXKP04278O", "except I, O and Q")])
def test_bad_vins_say_why(raw, reason):
    with pytest.raises(ValueError, match=reason):
        normalize_vin(raw)


class Line(Schema):
    price_fen = Fen(required=True)
    qty = Quantity(required=True)


def test_money_is_integer_fen_only():
    assert Line().load({"price_fen": 1999, "qty": 1.5}) == {"price_fen": 1999, "qty": pytest.approx(1.5)}
    for bad in (19.99, True, -1, "12"):
        with pytest.raises(ValidationError) as error:
            Line().load({"price_fen": bad, "qty": 1})
        assert "price_fen" in error.value.messages


def test_quantities_have_at_most_three_decimals():
    assert str(Line().load({"price_fen": 1, "qty": "2.125"})["qty"]) == "2.125"
    assert Line().dump({"price_fen": 1, "qty": Line().load({"price_fen": 1, "qty": 0.1})["qty"]})["qty"] == 0.1
    with pytest.raises(ValidationError):
        Line().load({"price_fen": 1, "qty": 1.0005})
