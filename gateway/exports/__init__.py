"""Exports: every list and report answers as CSV or Excel (xlsx) besides JSON, with one mechanism.

A GET endpoint is exportable when it is a list (`paginated`: the rows are its `items`) or a report (no path
parameter, and its response holds one list of nested rows). The client asks with `Accept: text/csv` or
`Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`, or `?format=csv|xlsx` (a
browser link). `api.endpoint` then runs the same responder as for JSON, page after page (the keyset
cursor, 200 rows a page), and writes the rows as they come: CSV is streamed to the client while the pages
are walked; xlsx, a zip whose directory ends the file, is written by XlsxWriter in constant-memory mode
(each row flushed to a temporary file) and then streamed. Either way memory stays flat however many rows
(tests/bench/exports.py measures it). Columns are the row schema's plain fields in their declared order,
headed in Chinese (`labels.py`); amounts (`*_fen`) become yuan, numbers with the `¥#,##0.00` format in
xlsx; times are written in the store's time zone in the one date format (`2026-12-06 14:03`)."""
from __future__ import annotations

import csv
import io
import itertools
import tempfile
import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import IO, Any, Callable, Iterable, Iterator
from zoneinfo import ZoneInfo

import falcon
import xlsxwriter
from marshmallow import Schema, fields
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ..models import Store

from ..words import WORDS
from .labels import LABELS, VOCABULARIES

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": CSV, "xlsx": XLSX}
PAGE = 200
"""Rows asked of the responder at a time (the API's largest page)."""
DEFAULT_TIMEZONE = "Asia/Shanghai"
CHUNK_ROWS = 500
"""CSV rows written to the client at a time."""
MONEY_FORMAT = "¥#,##0.00"
TIME_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str  # money, datetime, date, bool, number, text
    words: str | None = None
    """The dictionary's prefix for an enumerated field's values (`labels.VOCABULARIES`)."""


def rows_field(schema: type[Schema] | None) -> str | None:
    """The one list of nested rows a report's response holds, if it has exactly one, or the one its
    `Meta.export_rows` names."""
    if schema is None:
        return None
    named = _meta(schema, "export_rows")
    if named:
        return named
    lists = [name for name, field in schema().fields.items()
             if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested)]
    return lists[0] if len(lists) == 1 else None


@lru_cache(maxsize=None)
def row_schema(meta, has_path_params: bool) -> Schema | None:
    """The schema of an exportable endpoint's rows; None when it is no list or report."""
    if meta.response is None or meta.produces != "application/json":
        return None
    if meta.paginated:
        return meta.response()
    name = None if has_path_params else rows_field(meta.response)
    if name is None:
        return None
    nested = meta.response().fields[name].inner.nested
    return nested() if isinstance(nested, type) else nested


def _kind(name: str, field: fields.Field) -> str:
    if name.endswith("store_id"):
        return "store"
    if isinstance(field, fields.Integer) and name.endswith("_fen"):
        return "money"
    if isinstance(field, fields.DateTime):
        return "datetime"
    if isinstance(field, fields.Date):
        return "date"
    if isinstance(field, fields.Boolean):
        return "bool"
    if isinstance(field, (fields.Integer, fields.Float, fields.Decimal)):
        return "number"
    return "text"


def lines_field(schema: Schema) -> str | None:
    """The nested list a row's schema names in `Meta.export_lines`: the row is exported as one row per line (a
    journal entry as an accountant reads it: the entry's date, number and memo beside each account's debit and
    credit)."""
    return getattr(getattr(schema, "Meta", None), "export_lines", None)


def columns(schema: Schema) -> list[Column]:
    """Its plain fields in declared order (nested lists and objects do not fit a cell), then those of its
    `export_lines`."""
    plain = [Column(field.data_key or name, LABELS.get(field.data_key or name, field.data_key or name),
                    _kind(name, field), VOCABULARIES.get((type(schema).__name__, name)))
             for name, field in schema.fields.items()
             if not field.load_only and not isinstance(field, (fields.List, fields.Nested, fields.Dict))]
    lines = lines_field(schema)
    if lines is None:
        return plain
    listed = schema.fields[lines]
    assert isinstance(listed, fields.List) and isinstance(listed.inner, fields.Nested)
    return plain + columns(listed.inner.schema)


def flattened(schema: Schema, rows: Iterable[dict]) -> Iterator[dict]:
    """The rows as written: one per line of its `export_lines` (the row's own values repeated), else as they are."""
    lines = lines_field(schema)
    if lines is None:
        yield from rows
        return
    for row in rows:
        for line in row.get(lines) or [{}]:
            yield {**row, **line}


class UnknownFormat(ValueError):
    """`?format=` names no export format (the gateway answers 422 naming the field)."""


def wanted(req: falcon.Request) -> str | None:
    """`csv` or `xlsx` when the client asks for one (`?format=` first, then Accept), else None."""
    named = req.params.get("format")
    if named is not None:
        if not isinstance(named, str) or named not in FORMATS:  # repeated (`?format=a&format=b`): a list
            raise UnknownFormat(f"Must be one of: {', '.join(FORMATS)}.")
        return named
    accept = req.get_header("Accept") or ""
    if CSV not in accept and XLSX not in accept:
        return None
    best = req.client_prefers(["application/json", CSV, XLSX])
    return next((name for name, media in FORMATS.items() if media == best), None)


@dataclass(frozen=True)
class Place:
    """Where an export is read: the store's time zone, the chain's store names (a store is shown by its name), and
    whether the rows span the caller's stores (an xlsx then has a sheet per store besides the whole)."""
    zone: ZoneInfo
    stores: dict[str, str] = dataclasses.field(default_factory=dict)
    by_store: bool = False


def cell(column: Column, value: Any, place: Place) -> Any:
    """A row's value as a cell: yuan as Decimal, times as naive local datetimes, 是/否, a store's name, else as
    given."""
    if value is None or value == "":
        return None
    if column.kind == "store":
        return place.stores.get(value, value)
    zone = place.zone
    if column.kind == "money" and isinstance(value, int):
        return Decimal(value).scaleb(-2)
    if column.kind == "datetime" and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        return (moment.astimezone(zone) if moment.tzinfo else moment).replace(tzinfo=None)
    if column.kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if column.kind == "bool":
        return "是" if value else "否"
    if column.words is not None:
        return WORDS.get(f"{column.words}_{value}", (value,))[0]
    return value


def _csv_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def csv_chunks(cols: list[Column], rows: Iterable[dict], place: Place) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (Excel opens Chinese CSV right only with it), a chunk every CHUNK_ROWS."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([c.label for c in cols])
    count = 0
    for row in rows:
        writer.writerow([_csv_text(cell(c, row.get(c.name), place)) for c in cols])
        count += 1
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


SHEET_NAME_LIMIT = 31
"""Excel's longest sheet name."""


def sheet_name(title: str, taken: set[str]) -> str:
    """`title` as Excel takes a sheet's name: without []:*?/\\, not starting or ending with an apostrophe, at most
    SHEET_NAME_LIMIT UTF-16 units, and unique ignoring case among `taken` (case-folded names) by a (n) after it."""
    def fitted(text: str, limit: int) -> str:
        while len(text.encode("utf-16-le")) > 2 * limit:
            text = text[:-1]
        return text.strip("'")

    base = fitted("".join(ch for ch in title if ch not in "[]:*?/\\"), SHEET_NAME_LIMIT) or "门店"
    name, number = base, 1
    while name.casefold() in taken:
        suffix = f"({number})"
        name, number = fitted(base, SHEET_NAME_LIMIT - len(suffix)) + suffix, number + 1
    return name


class _Sheets:
    """A workbook's sheets written row by row (constant memory): the whole, and one per store when asked."""

    def __init__(self, book: xlsxwriter.Workbook, cols: list[Column]):
        self.book, self.cols = book, cols
        self.formats = {"money": book.add_format({"num_format": MONEY_FORMAT}),
                        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
                        "date": book.add_format({"num_format": "yyyy-mm-dd"})}
        self.header = book.add_format({"bold": True})
        self.next_row: dict[Any, int] = {}
        self.names: set[str] = set()

    def sheet(self, title: str) -> Any:
        """A new sheet headed by the columns (its name made legal and unique)."""
        name = sheet_name(title, self.names)
        self.names.add(name.casefold())
        sheet = self.book.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for index, column in enumerate(self.cols):
            sheet.write_string(0, index, column.label, self.header)
            sheet.set_column(index, index, 20 if column.kind in ("datetime", "text", "store") else 14)
        self.next_row[sheet] = 1
        return sheet

    def write(self, sheet: Any, values: list[Any]) -> None:
        number = self.next_row[sheet]
        self.next_row[sheet] = number + 1
        for index, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, Decimal):
                sheet.write_number(number, index, float(value), self.formats["money"])
            elif isinstance(value, datetime):
                sheet.write_datetime(number, index, value, self.formats["datetime"])
            elif isinstance(value, date):
                sheet.write_datetime(number, index, datetime.combine(value, datetime.min.time()), self.formats["date"])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(number, index, value)
            else:
                sheet.write_string(number, index, str(value))


def xlsx_file(cols: list[Column], rows: Iterable[dict], place: Place) -> IO[bytes]:
    """The workbook in a temporary file (rewound): a bold frozen header, amounts in ¥; the sheet 全部 with every
    row and, for rows that span the caller's stores and name theirs, a sheet per store (named after it) with its
    rows, in the order they came."""
    out = tempfile.TemporaryFile()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheets = _Sheets(book, cols)
    whole = sheets.sheet("全部" if place.by_store else "导出")
    store_column = next((c.name for c in cols if c.name == "store_id"), None) if place.by_store else None
    per_store: dict[str, Any] = {}
    for row in rows:
        values = [cell(column, row.get(column.name), place) for column in cols]
        sheets.write(whole, values)
        store_id = row.get(store_column) if store_column else None
        if store_id:
            if store_id not in per_store:
                per_store[store_id] = sheets.sheet(place.stores.get(store_id, store_id))
            sheets.write(per_store[store_id], values)
    book.close()
    out.seek(0)
    return out


def place_of(sessions: sessionmaker, store_id: str | None) -> Place:
    """The export's place: the named store's time zone (the chain's default without one), every store's name (one
    read of the chain's stores), and a sheet per store when no one store is named."""
    with sessions() as session:
        stores = session.execute(select(Store.id, Store.name, Store.timezone)).all()
    zones = {row.id: row.timezone for row in stores}
    return Place(ZoneInfo(zones.get(store_id or "") or DEFAULT_TIMEZONE), {row.id: row.name for row in stores},
                 by_store=not store_id)


TOTAL_WORD = "合计"


def _meta(schema: type[Schema] | None, name: str) -> Any:
    return getattr(getattr(schema, "Meta", None), name, None)


def closing(response: type[Schema] | None, first: Any, cols: list[Column], rows: Iterable[dict]) -> Iterable[dict]:
    """The rows, then a report's total row when its response names one in `Meta.export_total` (its first text cell
    saying 合计 where the row has none)."""
    name = _meta(response, "export_total")
    total = first.get(name) if name and isinstance(first, dict) else None
    if not total:
        return rows
    label = next((c.name for c in cols if c.kind == "text"), None)
    return itertools.chain(rows, [{**total, **({label: total.get(label) or TOTAL_WORD} if label else {})}])


def filled(response: type[Schema] | None, cols: list[Column],
           rows: Iterable[dict]) -> tuple[list[Column], Iterable[dict]]:
    """A report whose response says `Meta.export_filled_only` (rows of one kind or another, each with its own
    fields) leaves out the columns no row fills; its rows are one answer's, already in memory."""
    if not _meta(response, "export_filled_only"):
        return cols, rows
    rows = list(rows)
    return [c for c in cols if any(row.get(c.name) is not None for row in rows)], rows


def walk(first: Any, paginated: bool, rows_key: str | None, next_page: Callable[[str], Any]) -> Iterator[dict]:
    """Every row: a report's list, or a list's items page after page while a cursor comes back."""
    if not paginated:
        yield from first.get(rows_key) or []
        return
    page = first
    while True:
        yield from page.get("items") or []
        if not page.get("next_cursor"):
            return
        page = next_page(page["next_cursor"])


def respond(req: falcon.Request, resp: falcon.Response, meta, schema: Schema, kind: str, run: Callable[[], Any],
            place: Place) -> None:
    """Answer the export: the first page taken now (its refusal is answered as JSON would be), the rest
    walked while the answer is written."""
    def ask(**changes: str) -> None:
        """The query as the client would send it for that page, loaded again (a cursor is decoded by its schema)."""
        req.context.query_json.update(changes)
        req.context.query = meta.query().load(req.context.query_json)

    if meta.paginated and meta.query is not None and "limit" in meta.query().fields:
        ask(limit=str(PAGE))

    def next_page(cursor: str):
        if cursor == req.context.query_json.get("cursor"):
            raise RuntimeError(f"{req.path}: the cursor did not move")  # never loop over one page
        ask(cursor=cursor)
        return run()

    first = run()
    rows: Iterable[dict] = flattened(schema, walk(first, meta.paginated,
                                                  None if meta.paginated else rows_field(meta.response), next_page))
    cols = columns(schema)
    if not meta.paginated:
        cols, rows = filled(meta.response, cols, closing(meta.response, first, cols, rows))
    name = req.path.strip("/").replace("/", "-").removeprefix("v1-") or "export"
    resp.downloadable_as = f"{name}.{kind}"
    resp.content_type = FORMATS[kind] + ("; charset=utf-8" if kind == "csv" else "")
    if kind == "csv":
        resp.stream = csv_chunks(cols, rows, place)
    else:
        out = xlsx_file(cols, rows, place)
        out.seek(0, io.SEEK_END)
        resp.content_length = out.tell()
        out.seek(0)
        resp.stream = out
