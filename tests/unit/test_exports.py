"""Exports through the gateway (FakeRpc answers the services): a list asked as CSV walks every page of the
keyset cursor (200 rows a page) and streams rows with Chinese headers, amounts in yuan and times in the
store's zone; as xlsx the same rows with ¥-formatted numbers; a report's rows too; every exportable
endpoint of the API has Chinese headers for all its columns; JSON is untouched."""
from __future__ import annotations

import csv
import dataclasses
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from gateway import exports
from gateway.api import endpoint_of
from gateway.app import AREAS
from gateway.exports.labels import LABELS, VOCABULARIES
from gateway.words import WORDS
from services.common.schemas import encode_cursor

ROWS = 450


def invoice(n: int, store_id: str) -> dict:
    return {"id": f"inv-{n:04d}", "number": f"FP{n:05d}", "store_id": store_id, "status": "issued",
            "currency": "CNY", "total_fen": 12345 + n, "due_fen": 0, "billed_hours": 1.5,
            "issued_at": "2026-12-06T08:03:00+00:00", "business_date": "2026-12-06", "paid_at": None}


@pytest.fixture
def store_id(app):
    return app.simulate_post("/v1/stores", json={"code": "EX1", "name": "导出门店"}).json["id"]


@pytest.fixture
def invoices(app, store_id):
    """finance's list_invoices over ROWS invoices, newest first, paged by the id cursor as the service does."""
    everything = [invoice(n, store_id) for n in range(ROWS)]

    def list_invoices(query):
        app.asked.append(dict(query))  # as sent (the gateway reuses its query dict)
        after = {encode_cursor(i["id"]): n for n, i in enumerate(everything)}  # the service's own cursors
        start = after[query["cursor"]] + 1 if query.get("cursor") else 0
        limit = int(query.get("limit", 50))
        page = everything[start:start + limit]
        more = start + limit < len(everything)
        return {"items": page, "next_cursor": encode_cursor(page[-1]["id"]) if more else None}

    app.asked = []
    app.deps.rpc.behaviour[("finance", "list_invoices")] = list_invoices
    return everything


def pages_asked(app) -> list:
    return app.asked


def test_a_list_as_csv_walks_every_page_in_chinese_with_yuan_and_local_times(app, store_id, invoices):
    reply = app.simulate_get("/v1/invoices", params={"store_id": store_id}, headers={"Accept": "text/csv"})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    assert reply.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    header, rows = table[0], table[1:]
    assert header[:3] == ["编号", "单号", "门店"] and "合计" in header and "开具时间" in header
    assert len(rows) == ROWS and [r[0] for r in rows] == [i["id"] for i in invoices]
    first = dict(zip(header, rows[0], strict=True))
    assert first["合计"] == "123.45" and first["开具时间"] == "2026-12-06 16:03" and first["营业日"] == "2026-12-06"
    assert first["付款时间"] == ""
    assert [q.get("cursor") for q in pages_asked(app)] == [None, encode_cursor("inv-0199"), encode_cursor("inv-0399")]
    assert {q["limit"] for q in pages_asked(app)} == {str(exports.PAGE)} and "format" not in pages_asked(app)[0]


def test_a_list_the_gateway_pages_itself_decodes_each_cursor(app, store_id):
    app.deps.settings = dataclasses.replace(app.deps.settings, webhook_allow_private=True)
    hook = app.simulate_post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "store_ids": [store_id],
                                                   "event_types": ["crm.customer_registered"]}).json
    engine = create_engine(app.deps.settings.database_url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, body, "
                                "status, attempts, created_at) VALUES (:id, :hook, :event, 'crm.customer_registered', "
                                "'{}', :status, 1, '2026-12-06 08:00:00')"),
                           [{"id": f"{n:026d}", "hook": hook["id"], "event": f"evt-{n}",
                             "status": "failed" if n % 10 == 0 else "delivered"} for n in range(ROWS)])
    engine.dispose()
    url = f"/v1/webhooks/{hook['id']}/deliveries"
    every = list(csv.reader(io.StringIO(app.simulate_get(url, params={"format": "csv"}).text.lstrip("\ufeff"))))
    assert len(every) == ROWS + 1 and every[1][0] == f"{ROWS - 1:026d}" and every[-1][0] == f"{0:026d}"
    failed = app.simulate_get(url, params={"format": "csv", "status": "failed"}).text.lstrip("\ufeff")
    assert len(list(csv.reader(io.StringIO(failed)))) == ROWS // 10 + 1


def test_a_list_as_xlsx_has_numbers_formatted_in_yuan(app, store_id, invoices):
    reply = app.simulate_get("/v1/invoices", params={"store_id": store_id, "format": "xlsx"})
    assert reply.status_code == 200 and reply.headers["content-type"] == exports.XLSX
    sheet = load_workbook(io.BytesIO(reply.content), read_only=False).active
    header = [c.value for c in sheet[1]]
    total = header.index("合计") + 1
    assert sheet.max_row == ROWS + 1
    assert sheet.cell(2, total).value == pytest.approx(123.45) and sheet.cell(2, total).number_format == "¥#,##0.00"
    assert sheet.cell(ROWS + 1, total).value == pytest.approx(127.94)
    assert sheet.cell(2, header.index("开具时间") + 1).value == datetime(2026, 12, 6, 16, 3)


def test_a_chain_wide_xlsx_has_a_sheet_per_store_and_shows_stores_by_name(app, store_id):
    """Rows spanning the caller's stores: 全部, then each store's own sheet named after it; a store is its name in
    every cell (CSV too), never its id. A list of one named store stays one sheet."""
    other = app.simulate_post("/v1/stores", json={"code": "EX2", "name": "导出二店"}).json["id"]
    rows = [invoice(n, store_id if n % 3 else other) for n in range(9)]
    app.deps.rpc.behaviour[("finance", "list_invoices")] = {"items": rows, "next_cursor": None}
    book = load_workbook(io.BytesIO(app.simulate_get("/v1/invoices", params={"format": "xlsx"}).content))
    assert book.sheetnames == ["全部", "导出二店", "导出门店"]
    header = [c.value for c in book["全部"][1]]
    store, number = header.index("门店"), header.index("单号")
    assert [r[store].value for r in book["全部"].iter_rows(min_row=2)] == [
        "导出二店" if n % 3 == 0 else "导出门店" for n in range(9)]
    assert [r[number].value for r in book["导出二店"].iter_rows(min_row=2)] == ["FP00000", "FP00003", "FP00006"]
    assert book["导出门店"].max_row == 1 + 6
    table = list(csv.reader(io.StringIO(app.simulate_get("/v1/invoices", params={"format": "csv"}).content
                                        .decode("utf-8-sig"))))
    assert {row[table[0].index("门店")] for row in table[1:]} == {"导出门店", "导出二店"}
    one = load_workbook(io.BytesIO(app.simulate_get("/v1/invoices", params={
        "store_id": store_id, "format": "xlsx"}).content))
    assert one.sheetnames == ["导出"]


def test_a_report_exports_its_rows(app, store_id):
    row = {"store_id": store_id, "current_fen": 10000, "days_1_30_fen": 250, "days_31_60_fen": 0,
           "days_61_90_fen": 0, "over_90_fen": 99, "total_fen": 10349}
    schema = endpoint_of(dict(exports_routes(app))["/v1/reports/receivables-ageing"], "get").response
    key = exports.rows_field(schema)
    app.deps.rpc.behaviour[("finance", "receivables_ageing")] = {key: [row, row]}
    reply = app.simulate_get("/v1/reports/receivables-ageing", params={"format": "csv"})
    table = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert reply.status_code == 200 and len(table) == 3
    assert dict(zip(table[0], table[1], strict=True))["逾期90天以上"] == "0.99"


def test_the_journal_exports_a_row_per_account_line_beside_its_entry(app, store_id):
    """An accountant's journal: each entry's date, source and memo on every one of its lines; debits = credits."""
    entry = {"id": "je-1", "store_id": store_id, "business_date": "2026-12-06", "source_type": "payment",
             "source_id": "pay-1", "memo": "收款 FP00001", "currency": "CNY", "posted_at": "2026-12-06T08:03:00+00:00",
             "lines": [{"account": "1001", "debit_fen": 12345, "credit_fen": 0},
                       {"account": "1122", "debit_fen": 0, "credit_fen": 12345}]}
    app.deps.rpc.behaviour[("finance", "journal")] = {"items": [entry, {**entry, "id": "je-2"}],
                                                           "next_cursor": None}
    reply = app.simulate_get("/v1/ledger/entries", params={"store_id": store_id, "format": "csv"})
    header, *rows = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert reply.status_code == 200, reply.text
    table = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(r["科目"], r["借方金额"], r["贷方金额"], r["摘要"]) for r in table[:2]] == [
        ("1001", "123.45", "0.00", "收款 FP00001"), ("1122", "0.00", "123.45", "收款 FP00001")]
    assert len(table) == 4 and sum(float(r["借方金额"]) for r in table) == sum(float(r["贷方金额"]) for r in table)


def test_json_stays_and_an_unknown_format_is_refused(app, store_id, invoices):
    assert app.simulate_get("/v1/invoices", params={"store_id": store_id}).json["items"][0]["total_fen"] == 12345
    refused = app.simulate_get("/v1/invoices", params={"store_id": store_id, "format": "pdf"})
    assert refused.status_code == 422 and list(refused.json["error"]["fields"]) == ["format"], refused.text
    twice = app.simulate_get("/v1/invoices", query_string=f"store_id={store_id}&format=csv&format=csv")
    assert twice.status_code == 422 and list(twice.json["error"]["fields"]) == ["format"], twice.text  # was a 500
    wildcard = app.simulate_get("/v1/invoices", params={"store_id": store_id}, headers={"Accept": "*/*"})
    assert wildcard.headers["content-type"].startswith("application/json")


def exports_routes(app) -> list[tuple[str, object]]:
    return [route for area in AREAS for route in area.routes(app.deps)]


def test_every_exportable_column_is_headed_in_chinese(app):
    missing = {}
    exportable = 0
    for path, resource in exports_routes(app):
        meta = endpoint_of(resource, "get")
        schema = meta and exports.row_schema(meta, "{" in path)
        if schema is None:
            continue
        exportable += 1
        unlabelled = [c.name for c in exports.columns(schema) if c.name not in LABELS]
        if unlabelled:
            missing[path] = unlabelled
    assert exportable > 60 and missing == {}


def test_every_enumerated_value_a_staff_export_shows_is_worded_in_chinese(app):
    """A file staff open says 已付清, not `paid`: each enumerated field of a staff list or report has the console's
    words for every value it may take (`VOCABULARIES`)."""
    unworded = {}
    for path, resource in exports_routes(app):
        meta = endpoint_of(resource, "get")
        schema = meta and exports.row_schema(meta, "{" in path)
        if schema is None or path.startswith("/c/"):
            continue
        for name, field in schema.fields.items():
            for value in field.metadata.get("enum") or []:
                prefix = VOCABULARIES.get((type(schema).__name__, name))
                if prefix is None or f"{prefix}_{value}" not in WORDS:
                    unworded.setdefault(f"{type(schema).__name__}.{name}", []).append(value)
    assert unworded == {}


def test_a_status_is_exported_in_words(app, store_id, invoices):
    reply = app.simulate_get("/v1/invoices", params={"store_id": store_id, "format": "csv"})
    header, first, *_ = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert dict(zip(header, first, strict=True))["状态"] == "待付款"  # `issued`, as the console words it


def test_the_openapi_document_offers_csv_and_xlsx_on_lists_and_reports_only(app):
    document = app.simulate_get("/openapi.json").json
    listing = document["paths"]["/v1/invoices"]["get"]
    assert {exports.CSV, exports.XLSX} <= set(listing["responses"]["200"]["content"])
    assert any(p["name"] == "format" and p["schema"]["enum"] == ["csv", "xlsx"] for p in listing["parameters"])
    one = document["paths"]["/v1/invoices/{invoice_id}"]["get"]
    assert exports.CSV not in one["responses"]["200"]["content"]


def test_a_sheet_per_store_whatever_the_stores_are_called():
    # names Excel refuses as they are: forbidden characters, apostrophes at the ends, the same but for case, longer
    # than 31 UTF-16 units (a character outside the BMP counts twice), nothing left after cleaning
    names = ["Store A", "store a", "'引号'", "a/b:c*d?[e]", "😀" * 20, "门店" * 20, "[]", "STORE A"]
    stores = {f"s{index}": name for index, name in enumerate(names)}
    cols = [exports.Column("store_id", "门店", "store"), exports.Column("amount_fen", "金额", "money")]
    rows = [{"store_id": store_id, "amount_fen": 100} for store_id in stores]
    book = load_workbook(exports.xlsx_file(cols, rows, exports.Place(exports.ZoneInfo("Asia/Shanghai"), stores,
                                                                      by_store=True)))
    assert len(book.sheetnames) == 1 + len(names)
    assert len({name.casefold() for name in book.sheetnames}) == len(book.sheetnames)
    assert all(len(name.encode("utf-16-le")) <= 62 and not name.startswith("'") for name in book.sheetnames)
