"""Exports from the console alone: a store manager downloads the stock list as Excel (Chinese headers, the
received part with its value a number in ¥) and the dashboard's KPIs as CSV (one row per day of the trend)."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from playwright.sync_api import expect


def test_the_manager_downloads_the_stock_as_excel_and_the_kpis_as_csv(console, stack, shop, part):
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/inventory")
    expect(manager.locator(f"tr[data-sku='{part}']")).to_be_visible()
    with manager.expect_download() as download:
        manager.locator("#stock-filter [data-export=xlsx]").click()
    assert download.value.suggested_filename == "库存.xlsx"
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["编号", "门店", "配件编号", "配件编码"]
    assert {r[1].value for r in sheet.iter_rows(min_row=2)} == {shop.store["name"]}  # the store by its name
    row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("配件编码")].value == part)
    value = row[header.index("金额")]
    assert value.value == 800 and value.number_format == "¥#,##0.00"  # 20 received at ¥40
    assert row[header.index("在库数量")].value == 20

    manager.goto(f"{stack.url}/console/#/dashboard")
    expect(manager.locator("#kpis .tile").first).to_be_visible()
    with manager.expect_download() as download:
        manager.locator("#period [data-export=csv]").click()
    assert download.value.suggested_filename == "经营指标.csv"
    with open(download.value.path(), encoding="utf-8-sig") as handle:
        table = list(csv.reader(io.StringIO(handle.read())))
    assert table[0][:4] == ["门店", "期间", "车辆数", "销售额"]
    assert len(table) == 1 + 30 and {r[0] for r in table[1:]} == {shop.store["name"]}  # 30 days, zero days too
