"""Demo stock for `make run` only (never production): a small catalogue of common parts and
consumables, two suppliers, and a received purchase order with reorder points per store.
Everything goes through the gateway's public API, like the rest of deploy/demo.py.

deploy/demo.py can call `seed(api, url, store_ids)` after it has created the stores."""
from __future__ import annotations

from datetime import date, timedelta

import requests

SUPPLIERS = [("SUP-GZ-BOSCH", "广州博世汽配有限公司", "陈经理", "020-38881234", 2),
             ("SUP-FS-MOBIL", "佛山美孚润滑油经销部", "黄小姐", "0757-82223333", 3)]
# sku, name, brand, OE number, category, unit, list price (fen), cost (fen), batch-tracked, hazardous, stock
PARTS = [
    ("OIL-5W30-4L", "全合成机油 5W-30 4L", "美孚", None, "oil", "bottle", 42800, 29500, True, False, 24),
    ("OIL-0W20-1L", "全合成机油 0W-20 1L", "嘉实多", None, "oil", "bottle", 12800, 8200, True, False, 30),
    ("FLT-OIL-VW", "机油滤清器（大众 EA888）", "曼牌", "06L115562", "filter", "piece", 6800, 3100, False, False, 20),
    ("FLT-AIR-TY", "空气滤清器（丰田凯美瑞）", "博世", "17801-0V020", "filter", "piece", 9800, 4500, False, False, 12),
    ("FLT-CABIN", "空调滤芯 活性炭", "博世", None, "filter", "piece", 12800, 5200, False, False, 15),
    ("BRK-PAD-FR", "前刹车片（陶瓷）", "布雷博", "P85020", "brake", "set", 68000, 39000, False, False, 6),
    ("BRK-FLUID-DOT4", "刹车油 DOT4 1L", "博世", None, "fluid", "bottle", 9800, 4200, True, True, 10),
    ("CLT-RED-4L", "长效防冻液 -35℃ 4L", "壳牌", None, "fluid", "bottle", 15800, 7600, True, False, 8),
    ("SPK-IRIDIUM", "铱金火花塞", "NGK", "ILKAR7B11", "ignition", "piece", 9500, 4800, False, False, 16),
    ("BAT-12V-60AH", "免维护蓄电池 12V 60Ah", "瓦尔塔", None, "battery", "piece", 58000, 36000, False, True, 4),
    ("WPR-24", "无骨雨刮片 24 寸", "博世", None, "wiper", "piece", 8800, 3600, False, False, 10),
]


def seed(api: requests.Session, url: str, store_ids: list[str]) -> None:
    """Idempotent enough for a demo: skips when the first demo SKU already exists."""
    if api.get(f"{url}/v1/parts", params={"sku": PARTS[0][0]}).json().get("items"):
        return
    suppliers = []
    for code, name, contact, phone, lead_days in SUPPLIERS:
        reply = api.post(f"{url}/v1/suppliers", json={"code": code, "name": name, "contact_name": contact,
                                                       "phone": phone, "lead_time_days": lead_days})
        reply.raise_for_status()
        suppliers.append(reply.json()["id"])
    for sku, name, brand, oe, category, unit, price, _cost, batch, hazardous, _qty in PARTS:
        api.post(f"{url}/v1/parts", json={
            "sku": sku, "name": name, "brand": brand, "oe_number": oe, "category": category, "unit": unit,
            "list_price_fen": price, "batch_tracked": batch, "hazardous": hazardous}).raise_for_status()
    expiry = (date.today() + timedelta(days=540)).isoformat()
    for index, store_id in enumerate(store_ids):
        po = api.post(f"{url}/v1/purchase-orders", json={
            "store_id": store_id, "supplier_id": suppliers[index % len(suppliers)], "submit": True,
            "lines": [{"sku": p[0], "qty": p[10], "unit_cost_fen": p[7]} for p in PARTS]})
        po.raise_for_status()
        api.post(f"{url}/v1/purchase-orders/{po.json()['id']}/receipts", json={
            "delivery_note": f"DEMO-{index + 1:03d}",
            "lines": [{"sku": p[0], "qty": p[10], **({"batch_no": f"DEMO{index + 1}", "expiry_date": expiry}
                                                      if p[8] else {})} for p in PARTS]}).raise_for_status()
        for sku, *_rest, qty in PARTS:
            api.put(f"{url}/v1/stock/settings", json={
                "store_id": store_id, "sku": sku, "reorder_point": max(qty // 4, 1),
                "reorder_qty": max(qty // 2, 2)}).raise_for_status()
