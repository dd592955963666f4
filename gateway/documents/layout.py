"""One A4 layout for every printed document: a page header (store, title, number) and footer
(number, 第 x 页 / 共 y 页) on every page, the document's facts beside a QR code of its id, line
tables whose header row repeats on each page, totals with the amount in capital numerals,
terms and signature lines.

Chinese text uses reportlab's built-in CID font STSong-Light: PDF viewers supply the glyphs,
so nothing is downloaded or embedded."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from io import BytesIO
from typing import Sequence
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .numerals import capital_amount

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
HEADER_HEIGHT = 18 * mm
FOOTER_HEIGHT = 10 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 26 * mm
GRID = colors.HexColor("#999999")
SHADE = colors.HexColor("#e8e8e8")

TEXT = ParagraphStyle("text", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")
NUMBER = ParagraphStyle("number", parent=TEXT, alignment=TA_RIGHT)
CAPTION = ParagraphStyle("caption", parent=TEXT, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=3)
TITLE = ParagraphStyle("title", parent=TEXT, fontSize=18, leading=24, alignment=TA_CENTER, spaceAfter=4)
WORDS = ParagraphStyle("words", parent=TEXT, fontSize=10.5, leading=15)


@dataclass(frozen=True)
class StoreHeader:
    name: str
    address: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class LineTable:
    """A captioned table; `widths` are fractions of the page's text width, `numeric` the columns
    aligned right."""
    caption: str
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    widths: tuple[float, ...]
    numeric: frozenset[int] = frozenset()


@dataclass(frozen=True)
class PrintedFinding:
    """An inspection finding on the printed findings page: its words and its photos (JPEG or PNG bytes)."""
    text: str
    photos: Sequence[bytes] = ()


PHOTOS_PER_ROW = 4


@dataclass(frozen=True)
class Sheet:
    """Everything printed on one document, already formatted as text (amounts as ¥ strings).
    The last of `totals` is the total (written out in capital numerals from `amount_fen`);
    `balance` follows it (deposit, paid, due)."""
    title: str
    number: str
    document_id: str
    store: StoreHeader
    facts: list[tuple[str, str]]
    tables: list[LineTable]
    totals: list[tuple[str, str]]
    amount_label: str
    amount_fen: int
    balance: list[tuple[str, str]] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    findings: list[PrintedFinding] = field(default_factory=list)
    """Printed on a page of their own after the document (检查发现), each with its photos."""


def render(sheet: Sheet) -> bytes:
    """The sheet as an A4 PDF."""
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + HEADER_HEIGHT,
        bottomMargin=MARGIN + FOOTER_HEIGHT, title=f"{sheet.title} {sheet.number}", author=sheet.store.name,
        subject=sheet.document_id)
    header = partial(_page_header, sheet)
    document.build(_story(sheet), onFirstPage=header, onLaterPages=header,
                   canvasmaker=partial(_NumberedCanvas, footer=f"{sheet.title}  {sheet.number}"))
    return buffer.getvalue()


def _story(sheet: Sheet) -> list:
    story = [Paragraph(escape(sheet.title), TITLE), _facts(sheet)]
    for table in sheet.tables:
        story += [Paragraph(escape(table.caption), CAPTION), _line_table(table)]
    story += [Spacer(1, 4 * mm), KeepTogether([_totals(sheet.totals, sheet.balance), Spacer(1, 2 * mm), Paragraph(
        f"{escape(sheet.amount_label)}（大写）：{capital_amount(sheet.amount_fen)}", WORDS)])]
    if sheet.terms:
        story += [Paragraph("条款", CAPTION)]
        story += [Paragraph(f"{n}. {escape(term)}", TEXT) for n, term in enumerate(sheet.terms, 1)]
    if sheet.signatures:
        story += [Spacer(1, 8 * mm), _signatures(sheet.signatures)]
    if sheet.findings:
        story += [PageBreak(), Paragraph("检查发现（附照片）", CAPTION)]
        story += [KeepTogether([Paragraph(f"{n}. {escape(finding.text)}", TEXT), _photos(finding.photos)])
                  for n, finding in enumerate(sheet.findings, 1)]
    return story


def _photos(photos: Sequence[bytes]) -> Table | Spacer:
    """The photos four to a row, each scaled into its square keeping its proportions."""
    if not photos:
        return Spacer(1, 3 * mm)
    side = FRAME_WIDTH / PHOTOS_PER_ROW - 3 * mm
    images = [Image(BytesIO(photo), width=side, height=side, kind="proportional") for photo in photos]
    rows = [images[i:i + PHOTOS_PER_ROW] for i in range(0, len(images), PHOTOS_PER_ROW)]
    rows[-1] += [""] * (PHOTOS_PER_ROW - len(rows[-1]))
    grid = Table(rows, colWidths=[FRAME_WIDTH / PHOTOS_PER_ROW] * PHOTOS_PER_ROW, hAlign="LEFT")
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return grid


def _cell(text: str, style: ParagraphStyle = TEXT) -> Paragraph:
    return Paragraph(escape(text), style)


def _facts(sheet: Sheet) -> Table:
    """Label/value pairs two to a row, the QR code of the document id beside them."""
    pairs = [(_cell(label + "："), _cell(value or "—")) for label, value in sheet.facts]
    rows = [[*pairs[i], *(pairs[i + 1] if i + 1 < len(pairs) else ("", ""))] for i in range(0, len(pairs), 2)]
    width = FRAME_WIDTH - QR_SIZE - 4 * mm
    grid = Table(rows, colWidths=[width * f for f in (0.14, 0.36, 0.14, 0.36)])
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 1),
                              ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    outer = Table([[grid, qr_code(sheet.document_id)]], colWidths=[width, QR_SIZE + 4 * mm])
    outer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return outer


def qr_code(value: str, size: float = QR_SIZE) -> Drawing:
    """A QR code of `value`, `size` points square."""
    widget = QrCodeWidget(value, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def _line_table(table: LineTable) -> Table:
    def row(cells, header=False):
        return [_cell(text, NUMBER if i in table.numeric and not header else TEXT) for i, text in enumerate(cells)]

    data = [row(table.header, header=True)] + [row(cells) for cells in table.rows]
    if not table.rows:
        data.append([_cell("（无）")] + [""] * (len(table.header) - 1))
    grid = Table(data, colWidths=[FRAME_WIDTH * f for f in table.widths], repeatRows=1)
    grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                              ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return grid


def _totals(totals: list[tuple[str, str]], balance: list[tuple[str, str]]) -> Table:
    grid = Table([[_cell(label), _cell(value, NUMBER)] for label, value in totals + balance],
                 colWidths=[FRAME_WIDTH * 0.2, FRAME_WIDTH * 0.2], hAlign="RIGHT")
    total = len(totals) - 1
    grid.setStyle(TableStyle([("LINEABOVE", (0, total), (-1, total), 0.8, colors.black),
                              ("LINEBELOW", (0, total), (-1, total), 0.8, colors.black),
                              ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return grid


def _signatures(labels: list[str]) -> Table:
    cells = [_cell(f"{label}：______________") for label in labels]
    rows = [cells[i:i + 2] + [""] * (2 - len(cells[i:i + 2])) for i in range(0, len(cells), 2)]
    grid = Table(rows, colWidths=[FRAME_WIDTH / 2] * 2)
    grid.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return KeepTogether([grid, Paragraph("日期：______年____月____日", TEXT)])


def _page_header(sheet: Sheet, canvas: Canvas, _document) -> None:
    top = PAGE_HEIGHT - MARGIN
    canvas.saveState()
    canvas.setFont(FONT, 13)
    canvas.drawString(MARGIN, top - 5 * mm, sheet.store.name)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, top - 5 * mm, sheet.title)
    canvas.setFont(FONT, 8.5)
    contact = "  ".join(part for part in (sheet.store.address, f"电话 {sheet.store.phone}" if sheet.store.phone
                                          else None) if part)
    canvas.drawString(MARGIN, top - 10 * mm, contact)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, top - 10 * mm, f"单号 {sheet.number}")
    canvas.setStrokeColor(GRID)
    canvas.line(MARGIN, top - 12.5 * mm, PAGE_WIDTH - MARGIN, top - 12.5 * mm)
    canvas.restoreState()


class _NumberedCanvas(Canvas):
    """Holds the pages back until the end so each footer can say how many there are."""

    def __init__(self, *args, footer: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for number, state in enumerate(self._pages, 1):
            self.__dict__.update(state)
            self.setFont(FONT, 8.5)
            self.drawString(MARGIN, MARGIN, self._footer)
            self.drawRightString(PAGE_WIDTH - MARGIN, MARGIN, f"第 {number} 页 / 共 {len(self._pages)} 页")
            super().showPage()
        super().save()
