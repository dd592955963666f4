"""Demo service catalogue for `make run` only (never production): labour operations with
standard hours per vehicle class, the canned jobs every store sells (小保养, 大保养, 四轮定位,
刹车片更换), vehicle classes and the chain's fees. Everything goes through the gateway's
public API, like the rest of deploy/demo.py; the parts are inventory's demo SKUs.

deploy/demo.py can call `seed(api, url, store_ids)` after inventory's demo seed."""
from __future__ import annotations

from datetime import date

import requests

from services.common import operations as ops

# code, name, English name, category, standard hours, hours by class, skill (services/common/skills.py)
OPERATIONS = [
    (ops.OIL_CHANGE, "更换机油机滤", "Oil and filter change", "maintenance", 0.5, {"suv": 0.6, "luxury": 0.8},
     "maintenance"),
    (ops.AIR_FILTER, "更换空气滤清器", "Air filter replacement", "maintenance", 0.2, {}, "maintenance"),
    (ops.CABIN_FILTER, "更换空调滤芯", "Cabin filter replacement", "maintenance", 0.3, {"luxury": 0.5}, "maintenance"),
    (ops.SPARK_PLUGS, "更换火花塞（4 缸）", "Spark plugs (4 cyl.)", "maintenance", 0.8, {"luxury": 1.2}, "engine"),
    (ops.BRAKE_FLUID, "更换刹车油", "Brake fluid change", "maintenance", 0.8, {"suv": 1.0}, "brakes"),
    (ops.COOLANT, "更换防冻液", "Coolant change", "maintenance", 0.6, {"suv": 0.8}, "maintenance"),
    (ops.AC_SERVICE, "空调系统保养", "A/C service", "maintenance", 0.8, {}, "air_conditioning"),
    (ops.TYRE_ROTATION, "轮胎换位", "Tyre rotation", "tyres", 0.4, {"suv": 0.5}, "tyres"),
    (ops.ALIGNMENT, "四轮定位", "Four-wheel alignment", "tyres", 1.0, {"suv": 1.2, "luxury": 1.5}, "alignment"),
    (ops.FRONT_BRAKE_PADS, "更换前刹车片", "Front brake pads", "repair", 1.0, {"suv": 1.2, "luxury": 1.5}, "brakes"),
    (ops.INSPECTION, "50 项安全检查", "50-point inspection", "inspection", 0.5, {}, "general"),
]
OPERATION_PARTS = {  # what each operation needs, quoted with it from an inspection finding (inventory's demo SKUs)
    ops.OIL_CHANGE: [("OIL-5W30-4L", 1), ("FLT-OIL-VW", 1)], ops.AIR_FILTER: [("FLT-AIR-TY", 1)],
    ops.CABIN_FILTER: [("FLT-CABIN", 1)], ops.SPARK_PLUGS: [("SPK-IRIDIUM", 4)],
    ops.BRAKE_FLUID: [("BRK-FLUID-DOT4", 1)], ops.COOLANT: [("CLT-RED-4L", 1)],
    ops.FRONT_BRAKE_PADS: [("BRK-PAD-FR", 1)],
}
VEHICLE_CLASSES = [("丰田", "汉兰达", "suv"), ("本田", "CR-V", "suv"), ("大众", "途观", "suv"),
                   ("宝马", "", "luxury"), ("奔驰", "", "luxury"), ("奥迪", "", "luxury")]
FEES = [("SHOP-SUPPLIES", 1500), ("HAZ-WASTE", 1000)]
LABOUR_RATES = [("engine", 16000), ("brakes", 16000)]
"""Rates per hour of a skill; other operations take the store's labour rate."""
# code, name, category, fixed price (fen) or None for the sum, items
PACKAGES = [
    ("PKG-MINOR", "小保养", "maintenance", 49900, [
        {"kind": "labour", "op_code": ops.OIL_CHANGE},
        {"kind": "part", "sku": "OIL-5W30-4L", "sku_options": ["OIL-0W20-1L"], "qty": 1},
        {"kind": "part", "sku": "FLT-OIL-VW"},
        {"kind": "fee", "fee_code": "HAZ-WASTE", "description": "废机油处理费", "unit_price_fen": 1000}]),
    ("PKG-MAJOR", "大保养", "maintenance", 129900, [
        {"kind": "labour", "op_code": ops.OIL_CHANGE}, {"kind": "labour", "op_code": ops.AIR_FILTER},
        {"kind": "labour", "op_code": ops.CABIN_FILTER},
        {"kind": "labour", "op_code": ops.SPARK_PLUGS},
        {"kind": "part", "sku": "OIL-5W30-4L", "sku_options": ["OIL-0W20-1L"]},
        {"kind": "part", "sku": "FLT-OIL-VW"}, {"kind": "part", "sku": "FLT-AIR-TY"},
        {"kind": "part", "sku": "FLT-CABIN"}, {"kind": "part", "sku": "SPK-IRIDIUM", "qty": 4},
        {"kind": "fee", "fee_code": "SHOP-SUPPLIES", "description": "辅料费", "unit_price_fen": 1500}]),
    ("PKG-ALIGN", "四轮定位", "tyres", None, [{"kind": "labour", "op_code": ops.ALIGNMENT}]),
    ("PKG-BRAKE-F", "前刹车片更换", "repair", None, [
        {"kind": "labour", "op_code": ops.FRONT_BRAKE_PADS}, {"kind": "part", "sku": "BRK-PAD-FR"},
        {"kind": "fee", "fee_code": "SHOP-SUPPLIES", "description": "辅料费", "unit_price_fen": 1500}]),
]


def seed(api: requests.Session, url: str, store_ids: list[str]) -> None:
    """Idempotent enough for a demo: skips when the first demo operation already exists."""
    if api.get(f"{url}/v1/labour-operations/{OPERATIONS[0][0]}").status_code == 200:
        return
    for code, name, name_en, category, hours, by_class, skill in OPERATIONS:
        api.post(f"{url}/v1/labour-operations", json={
            "code": code, "name": name, "name_en": name_en, "category": category, "standard_hours": hours,
            "hours_by_class": by_class, "skill": skill,
            "parts": [{"sku": sku, "qty": qty} for sku, qty in OPERATION_PARTS.get(code, [])]}).raise_for_status()
    for make, model, vehicle_class in VEHICLE_CLASSES:
        api.put(f"{url}/v1/vehicle-classes", json={"make": make, "model": model,
                                                    "vehicle_class": vehicle_class}).raise_for_status()
    today = date.today().isoformat()
    for code, price in FEES:
        api.post(f"{url}/v1/price-lists", json={"kind": "fee", "key": code, "price_fen": price,
                                                "effective_from": today}).raise_for_status()
    for skill, price in LABOUR_RATES:
        api.post(f"{url}/v1/price-lists", json={"kind": "labour_rate", "key": skill, "price_fen": price,
                                                "min_fen": price * 3 // 4, "max_fen": price * 5 // 4,
                                                "effective_from": today}).raise_for_status()
    for code, name, category, fixed, items in PACKAGES:
        api.post(f"{url}/v1/packages", json={
            "code": code, "name": name, "category": category, "pricing": "fixed" if fixed else "sum",
            "fixed_price_fen": fixed, "items": items}).raise_for_status()
