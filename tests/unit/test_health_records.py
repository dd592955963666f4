"""The repair health record (汽车维修电子健康档案) as finance builds and checks it: plain functions over facts
(services/finance/domain/health_records.py), no I/O."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from services.contracts.rpc.finance import HEALTH_RECORD_FAILURES
from services.finance.domain.health_records import PROBLEMS, after_error, build_record, problems

VIN = "LSVAU2180N2183294"


def facts(**changes) -> dict:
    base = {"settlement_no": "INV-GZTH-0001", "settled_at": datetime(2026, 12, 6, 17, 30, tzinfo=timezone.utc),
            "time_zone": "Asia/Shanghai", "company_name": "广州天河汽车服务有限公司",
            "vehicle": {"plate": "粤A12345", "vin": VIN.lower()},
            "visit": {"mileage_km": 30100, "needs": ["刹车异响", " 保养 "], "notes": None,
                      "checked_in_at": "2026-12-05T23:50:00+00:00"},
            "lines": [{"kind": "labour", "description": "更换刹车片", "sku": None, "hours": Decimal("1.500"),
                       "qty": Decimal("1")},
                      {"kind": "part", "description": "前刹车片", "sku": "BP-001", "hours": None,
                       "qty": Decimal("2.000")},
                      {"kind": "fee", "description": "环保处理费", "sku": None, "hours": None, "qty": Decimal("1")}]}
    base.update(changes)
    return base


def test_the_record_carries_every_field_of_the_interface_in_the_stores_days():
    record = build_record(facts())
    assert record["basicInfo"] == {
        "companyname": "广州天河汽车服务有限公司", "vehicleplatenumber": "粤A12345", "vin": VIN,
        "repairdate": "20261206",  # checked in 23:50 UTC = 07:50 on the 6th in Shanghai
        "repairmileage": "30100", "settledate": "20261207",  # paid 17:30 UTC = 01:30 on the 7th
        "faultdescription": "刹车异响；保养", "costlistcode": "INV-GZTH-0001"}
    assert record["repairprojectlist"] == [{"repairproject": "更换刹车片", "workinghours": 1.5}]
    assert record["vehiclepartslist"] == [{"partsname": "前刹车片", "partscode": "BP-001", "partsquantity": 2}]
    assert problems(record, "440106000123", True) == []


def test_the_receptions_need_codes_are_worded_and_typed_needs_kept():
    record = build_record(facts(visit={"mileage_km": 5, "needs": ["maintenance", "tyres", "空调不凉"]}))
    assert record["basicInfo"]["faultdescription"] == "保养；轮胎；空调不凉"


def test_a_fee_is_neither_an_item_nor_a_part_and_the_notes_stand_for_missing_needs():
    record = build_record(facts(visit={"mileage_km": 5, "needs": [], "notes": "客户说发动机抖动",
                                       "checked_in_at": None}))
    assert record["basicInfo"]["faultdescription"] == "客户说发动机抖动"
    assert record["basicInfo"]["repairdate"] == record["basicInfo"]["settledate"]  # no reception: the settlement day
    assert [item["repairproject"] for item in record["repairprojectlist"]] == ["更换刹车片"]


@pytest.mark.parametrize(("changes", "licence", "known", "expected"), [
    ({}, None, True, ["licence_missing"]),
    ({}, "许可 1", True, ["licence_invalid"]),
    ({"company_name": None}, "440106000123", True, ["company_name_missing"]),
    ({"vehicle": None}, "440106000123", False, ["vehicle_missing"]),
    ({"vehicle": {"plate": "粤A12345", "vin": None}}, "440106000123", True, ["vin_missing"]),
    ({"vehicle": {"plate": "粤A12345", "vin": "LSVAU2180N218329"}}, "440106000123", True, ["vin_invalid"]),
    ({"vehicle": {"plate": "粤A12345", "vin": "LSVAU2180N218329O"}}, "440106000123", True, ["vin_invalid"]),
    ({"visit": {"mileage_km": None, "needs": ["保养"]}}, "440106000123", True, ["mileage_missing"]),
    ({"visit": None}, "440106000123", True, ["mileage_missing", "fault_missing"]),
    ({"lines": [{"kind": "fee", "description": "停车费", "sku": None, "hours": None, "qty": 1}]}, "440106000123", True,
     ["items_missing"]),
    ({"vehicle": {"plate": "粤A12345", "vin": None}, "visit": {"mileage_km": 0, "needs": ["保养"]}}, None, True,
     ["licence_missing", "vin_missing", "mileage_missing"]),
])
def test_a_record_that_cannot_be_sent_says_every_reason_in_order(changes, licence, known, expected):
    assert problems(build_record(facts(**changes)), licence, known) == expected


def test_every_reason_is_a_declared_failure_code():
    assert set(PROBLEMS) <= set(HEALTH_RECORD_FAILURES)


def test_a_system_that_is_down_is_tried_again_later_each_wait_twice_the_last_and_a_refusal_fails(monkeypatch):
    monkeypatch.setenv("HEALTH_RECORD_RETRY_SECONDS", "30")
    now = datetime(2026, 12, 7, tzinfo=timezone.utc)
    first, third = after_error(0, True, "unavailable", "503", now), after_error(2, True, "unavailable", "503", now)
    assert first["attempts"] == 1 and (first["next_attempt_at"] - now).total_seconds() == 30
    assert third["attempts"] == 3 and (third["next_attempt_at"] - now).total_seconds() == 120
    assert (after_error(20, True, "x", "", now)["next_attempt_at"] - now).total_seconds() == 3600
    assert after_error(0, False, "rejected", "vin 车辆识别代号应为17位", now) == {
        "status": "failed", "failure_code": "rejected", "failure": "vin 车辆识别代号应为17位"}
    assert after_error(0, False, "login", "企业编码或密码错误", now)["failure_code"] == "login_refused"
