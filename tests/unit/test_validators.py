from __future__ import annotations

import re

import pytest
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields

from gateway.openapi import _enforced
from services.common.fields import (MAX_FEN, MAX_QUANTITY, ClockTime, Code, Fen, Mobile, Name, Phone, Plate, Quantity,
                                    TimeZone, Years)
from services.common.schemas import NOT_A_CURSOR, Cursor
from services.common.validators import (credit_code_check_character, date_pattern, mask_mobile, normalize_credit_code,
                                        normalize_mobile, normalize_plate, normalize_vin, valid_credit_code,
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


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_unified_social_credit_codes_are_valid(code):
    assert valid_credit_code(code) and credit_code_check_character(code) == code[17]


@pytest.mark.parametrize("code", ["91350100M000100Y44", "91350100M000100Y4", "91350100M000100Y433",
                                  "9135010OM000100Y43", "91350100m000100y43", "91350100M0001 0Y43", "", None, 91350100])
def test_codes_with_a_wrong_check_character_alphabet_length_or_case_are_not_valid(code):
    assert valid_credit_code(code) is False


def test_a_credit_code_is_normalised_and_a_wrong_one_says_why():
    assert normalize_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    with pytest.raises(ValueError, match="should be 3, not 4"):
        normalize_credit_code("91350100M000100Y44")
    with pytest.raises(ValueError, match="18 digits"):
        normalize_credit_code("91350100I000100Y43")


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


# -- names, codes, phones: what is refused, and what the OpenAPI document declares -------------------
class Master(Schema):
    name = Name(max_length=50)
    code = Code(min_length=2, max_length=20)
    phone = Phone()


@pytest.mark.parametrize("field, value", [
    ("name", "0"), ("name", "00000"), ("name", "---"), ("name", " "), ("name", "张\x01三"), ("name", "x" * 51),
    ("code", "0"), ("code", "-GZ"), ("code", "广州"), ("code", "GZ 01"),
    ("phone", "0"), ("phone", "00000"), ("phone", "12345678"), ("phone", "010-0888888"), ("phone", "400-12-3456"),
    ("phone", "02088888888888")])
def test_junk_names_codes_and_phones_are_refused(field, value):
    with pytest.raises(ValidationError) as error:
        Master().load({field: value})
    assert list(error.value.messages) == [field]


@pytest.mark.parametrize("field, value, stored", [
    ("name", " 张三 ", "张三"), ("name", "Li Wei", "Li Wei"), ("name", "3号工位", "3号工位"), ("name", "BMW", "BMW"),
    ("name", "阿卜杜·热合曼", "阿卜杜·热合曼"), ("code", "GZ-01", "GZ-01"), ("code", "OIL.5W30_4L", "OIL.5W30_4L"),
    ("phone", "020-88886666", "020-88886666"), ("phone", "(0755) 8600 1234", "075586001234"),
    ("phone", "0571-8888888-801", "0571-8888888-801"), ("phone", "400-820-8820", "400-820-8820"),
    ("phone", "8008208820", "8008208820"), ("phone", "+86 138 1234 5678", "13812345678")])
def test_real_names_codes_and_phones_are_kept(field, value, stored):
    assert Master().load({field: value}) == {field: stored}


def test_amounts_are_capped_at_ten_million_yuan_and_quantities_at_a_million():
    assert MAX_FEN == 1_000_000_000
    assert Line().load({"price_fen": MAX_FEN, "qty": int(MAX_QUANTITY)})["price_fen"] == MAX_FEN
    for bad in ({"price_fen": MAX_FEN + 1, "qty": 1}, {"price_fen": 1, "qty": int(MAX_QUANTITY) + 1},
                {"price_fen": 10**12, "qty": 1}):
        with pytest.raises(ValidationError):
            Line().load(bad)


@pytest.mark.parametrize("raw", ["2000-02-29", "2024-02-29", "2100-12-31", "2026-04-30"])
def test_the_date_pattern_knows_the_calendar(raw):
    assert re.fullmatch(date_pattern(2000, 2100), raw)


@pytest.mark.parametrize("raw", ["1999-12-31", "2101-01-01", "2100-02-29", "2023-02-29", "2026-04-31", "2026-13-01"])
def test_the_date_pattern_refuses_what_is_no_date_or_out_of_span(raw):
    assert not re.fullmatch(date_pattern(2000, 2100), raw)


class Declared(Schema):
    name = Name(max_length=50)
    code = Code(max_length=40)
    phone = Phone()
    mobile = Mobile()
    plate = Plate()
    day = fields.Date(validate=Years(2000, 2100))
    moment = fields.AwareDateTime(validate=Years(2000, 2100, moments=True))
    clock = ClockTime()
    zone = TimeZone()
    cursor = Cursor()


def _property(field: str) -> dict:
    """The field's declaration as the gateway's OpenAPI document has it."""
    plugin = MarshmallowPlugin()
    APISpec(title="t", version="1", openapi_version="3.0.3", plugins=[plugin])
    plugin.converter.add_attribute_function(_enforced({Declared}))
    return plugin.converter.schema2jsonschema(Declared())["properties"][field]


@pytest.mark.parametrize("field", ["name", "code", "phone", "mobile", "plate", "day", "moment", "clock", "cursor"])
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_value_the_declared_pattern_admits_is_accepted(field, data):
    """The declaration cannot drift from the check: strings drawn from the declared pattern (and length)
    load; a cursor of the declared form may still be one the API did not issue (said in its description)."""
    declared = _property(field)
    value = data.draw(st.from_regex(declared["pattern"], fullmatch=True).filter(
        lambda text: declared.get("minLength", 0) <= len(text) <= declared.get("maxLength", 10**6)))
    try:
        Declared().load({field: value})
    except ValidationError as error:
        assert error.messages == {"cursor": [NOT_A_CURSOR]}


def test_time_zones_are_declared_as_their_enum():
    assert "Asia/Shanghai" in _property("zone")["enum"]
    with pytest.raises(ValidationError):
        Declared().load({"zone": "Asia/Beijing"})


def test_a_unified_social_credit_code_is_checked_by_its_18th_character():
    from services.common.validators import valid_credit_code
    assert valid_credit_code("91350100M000100Y43") and valid_credit_code("91110108MA01AB2C3T")
    assert not valid_credit_code("91350100M000100Y44")  # the check character of another code
    assert not valid_credit_code("91350100M000100Y4")  # 17 characters
    assert not valid_credit_code("91350100M00O100Y43")  # O is not in the alphabet
    assert not valid_credit_code("")
