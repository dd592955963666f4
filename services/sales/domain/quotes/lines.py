"""Building a quote's lines: labour from the catalogue and the store's rate, parts priced by inventory
and the price list, fees; a package added in one step; the lines inspection findings suggest."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Callable

from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.errors import Conflict, Invalid, NotFound
from services.common.ids import new_id as _new_id
from services.common.money import to_qty

from ...models import DeclinedWork, Quote, QuoteLine, Visit
from .. import catalogue, pricing
from ..settings import settings_of
from .base import editable, get_quote, store_today
from .negotiation import note_discounter, reprice, set_line_discount


QuoteParts = Callable[[str, list[str]], dict]
"""`inventory.quote_parts(store_id, skus)` -> {"items": [...], "unknown": [...]}."""


_CONDITION_WORDS = {"red": "红·需立即处理", "yellow": "黄·建议近期处理"}
_AREA_WORDS = {"exterior": "外观", "interior": "内饰", "lights": "灯光", "glass": "玻璃", "tyres": "轮胎",
               "brakes": "制动", "suspension": "悬挂", "steering": "转向", "engine": "发动机", "fluids": "油液",
               "battery": "电瓶", "electrical": "电气", "exhaust": "排气", "underbody": "底盘",
               "air_conditioning": "空调", "transmission": "变速箱", "other": "其他"}
"""workshop's inspection areas as the note (a zh-CN text the customer may see) names them."""


def findings_note(findings: list[dict]) -> str:
    """The inspection findings a follow-up quote was opened for, as the advisor reads them."""
    rows = [f"- {_AREA_WORDS.get(f['area'], f['area'])} · "
            f"{f['item']}（{_CONDITION_WORDS.get(f['condition'], f['condition'])}）"
            + (f"：{f['notes']}" if f.get("notes") else "") for f in findings]
    return "车检发现 (DVI):\n" + "\n".join(rows)


def _parts(quote_parts: QuoteParts, store_id: str, skus: list[str], field: str = "sku") -> dict[str, dict]:
    """One call to inventory for every SKU; an unknown SKU is a 422 naming it."""
    skus = list(dict.fromkeys(skus))
    if not skus:
        return {}
    answer = quote_parts(store_id, skus)
    if answer.get("unknown"):
        unknown = ", ".join(answer["unknown"])
        raise Invalid(f"Inventory does not know the part(s) {unknown}.", fields={field: [f"Unknown SKU: {unknown}."]},
                      code="unknown_part", params={"skus": answer["unknown"]})
    return {item["sku"]: item for item in answer["items"]}


def stock_covers(available: Decimal, qty: Decimal) -> bool:
    """A part line is available only when the store's free stock covers the quantity asked
    (5 asked with 2 free is short: the work order would wait for parts)."""
    return available >= qty


def _labour_rate(session: Session, quote: Quote, skill: str | None, today: date) -> tuple[int, str]:
    if skill:
        entry = catalogue.effective_price(session, "labour_rate", skill, quote.store_id, today)
        if entry is not None:
            return entry.price_fen, "price_list"
    return quote.labour_rate_fen, "store_rate"


def _part_line(session: Session, quote: Quote, part: dict, qty: Decimal, today: date) -> QuoteLine:
    if part.get("active") is False:
        raise Invalid(f"{part['sku']} ({part['name']}) is no longer sold.", fields={"sku": ["Inactive part."]},
                      code="part_inactive", params={"sku": part["sku"], "name": part["name"]})
    sku = part.get("catalogue_sku") or part["sku"]  # the catalogue's spelling travels on to the order
    listed = catalogue.effective_price(session, "part", sku, quote.store_id, today)
    available = to_qty(part.get("available") or 0)
    return QuoteLine(
        kind="part", description=part["name"], sku=sku, part_id=part.get("part_id"), unit=part.get("unit"),
        qty=qty, unit_price_fen=listed.price_fen if listed else int(part["unit_price_fen"]),
        price_source="price_list" if listed else "inventory", unit_cost_fen=part.get("cost_fen"),
        available_qty=available, in_stock=stock_covers(available, qty))


def _labour_line(session: Session, quote: Quote, data: dict, today: date,
                 field: tuple[str, ...] = ("op_code",)) -> QuoteLine:
    operation = catalogue.quotable_operation(session, data["op_code"], field) if data.get("op_code") else None
    if operation is None and not data.get("description"):
        raise Invalid("A labour line names an operation (op_code) or has a description.",
                      fields={"description": ["Required without op_code."]}, code="labour_needs_description")
    skill = data.get("skill") or (operation.skill if operation else None)
    hours = data.get("hours")
    if hours is None and operation is not None:
        hours = catalogue.hours_for(operation, quote.vehicle_class) * Decimal(data.get("qty") or 1)
    line = QuoteLine(kind="labour", op_code=operation.code if operation else None, skill=skill,
                     description=data.get("description") or (operation.name if operation else ""),
                     hours=to_qty(hours) if hours is not None else None)
    if data.get("flat_price_fen") is not None:
        line.qty, line.unit_price_fen, line.price_source = Decimal(1), data["flat_price_fen"], "flat"
    elif hours is None:
        raise Invalid("A labour line without an operation needs hours or a flat price.",
                      fields={"hours": ["Required without op_code or flat_price_fen."]}, code="labour_needs_hours")
    else:
        line.qty = to_qty(hours)
        line.unit_price_fen, line.price_source = _labour_rate(session, quote, skill, today)
    return line


def _fee_line(session: Session, quote: Quote, data: dict, today: date) -> QuoteLine:
    listed = (catalogue.effective_price(session, "fee", data["fee_code"], quote.store_id, today)
              if data.get("fee_code") else None)
    price = listed.price_fen if listed else data.get("unit_price_fen")
    if price is None:
        raise Invalid("This fee has no price list entry; give unit_price_fen.",
                      fields={"unit_price_fen": ["Required."]}, code="fee_needs_price")
    if not data.get("description") and not data.get("fee_code"):
        raise Invalid("A fee line needs a description.", fields={"description": ["Required."]},
                      code="fee_needs_description")
    return QuoteLine(kind="fee", fee_code=data.get("fee_code"), description=data.get("description") or data["fee_code"],
                     qty=to_qty(data.get("qty") or 1), unit_price_fen=price,
                     price_source="price_list" if listed else "entered")


def _append(quote: Quote, lines: list[QuoteLine]) -> None:
    position = max((line.position for line in quote.lines), default=-1) + 1
    for offset, line in enumerate(lines):
        line.id = _new_id()
        line.position = position + offset
        line.decision = "pending"
        quote.lines.append(line)


def price_parts(quote_parts: QuoteParts, store_id: str, lines: list[dict]) -> dict[str, dict]:
    """The parts of `lines` priced by inventory in one call (sku -> item): asked before anything is
    written, so no transaction waits on inventory (`services/common/transactions.py`)."""
    return _parts(quote_parts, store_id, [data["sku"] for data in lines if data["kind"] == "part"])


def add_line(session: Session, caller: Caller, quote_id: str, data: dict, parts: dict[str, dict]) -> QuoteLine:
    return add_lines(session, caller, quote_id, [data], parts)[0]


def add_lines(session: Session, caller: Caller, quote_id: str, lines: list[dict],
              parts: dict[str, dict]) -> list[QuoteLine]:
    """Lines added to a draft quote in one step, their parts already priced (`price_parts`); the
    quote is locked and repriced once."""
    quote = editable(session, caller, quote_id)
    settings = settings_of(session, quote.store_id)
    today = store_today(settings)
    added = []
    for data in lines:
        if data["kind"] == "labour":
            line = _labour_line(session, quote, data, today)
        elif data["kind"] == "part":
            line = _part_line(session, quote, parts[data["sku"]], to_qty(data.get("qty") or 1), today)
        else:
            line = _fee_line(session, quote, data, today)
        if data.get("declined_work_id"):
            declined = session.get(DeclinedWork, data["declined_work_id"])
            if declined is None or declined.customer_id != quote.customer_id:
                raise Invalid("No such declined work for this customer.", fields={"declined_work_id": ["Unknown."]},
                              code="unknown_declined_work")
            line.declined_work_id = declined.id
        if data.get("discount"):
            set_line_discount(line, data["discount"])
            note_discounter(quote, caller)
        added.append(line)
    _append(quote, added)
    reprice(session, quote, settings)
    return added


def finding_lines(session: Session, findings: list[dict]) -> list[dict]:
    """What a quote for inspection findings starts with: each recommended operation with the parts
    the catalogue says it needs (a brake job with its pads), as a package would bring them."""
    lines = []
    for index, finding in enumerate(findings):
        if finding.get("recommended_op_code"):
            operation = catalogue.quotable_operation(session, finding["recommended_op_code"],
                                                     ("findings", str(index), "recommended_op_code"))
            lines.append({"kind": "labour", "op_code": operation.code})
            lines += [{"kind": "part", "sku": part["sku"], "qty": part["qty"]} for part in operation.parts or []]
    return lines


def add_package(session: Session, caller: Caller, quote_id: str, data: dict,
                quote_parts: QuoteParts) -> list[QuoteLine]:
    """Every line of a canned job, priced from today's catalogue and stock; a fixed package
    price shows as a package discount spread over its lines."""
    peek = get_quote(session, caller, quote_id)
    store_id, visit = peek.store_id, session.get_one(Visit, peek.visit_id)
    package = catalogue.get_package(session, data["package"])
    if not package.active:
        raise Conflict(f"The package {package.code} is no longer offered.",
                       code="package_inactive", params={"package": package.name})
    if not catalogue.offered(package, store_id):
        raise Conflict(f"The package {package.code} is not offered by this store.",
                       code="package_not_offered_here", params={"package": package.name})
    choices = {str(k): v for k, v in (data.get("part_choices") or {}).items()}
    stray = sorted(set(choices) - {str(item.position) for item in package.items if item.kind == "part"})
    if stray:
        raise Invalid(f"part_choices names items of {package.code} that are not parts: {', '.join(stray)}.",
                      fields={"part_choices": {key: ["Not a part item of this package."] for key in stray}},
                      code="not_a_part_item", params={"package": package.code, "positions": stray})
    wanted = {}
    for item in package.items:
        if item.kind != "part":
            continue
        fitting = item.sku_by_vehicle or {}
        default = (fitting.get(f"{visit.make} {visit.model}") or fitting.get(visit.make or "") or item.sku)
        chosen = choices.get(str(item.position), default)
        allowed = {item.sku, *(item.sku_options or []), *fitting.values()} - {None}
        if chosen not in allowed:
            raise Invalid(f"{chosen} is not one of the parts this package allows for item {item.position}.",
                          fields={"part_choices": {str(item.position): ["Not an allowed part."]}},
                          code="part_not_allowed",
                          params={"package": package.name, "position": str(item.position), "sku": chosen})
        if not chosen:
            raise Invalid(f"Choose a part for item {item.position}.",
                          fields={"part_choices": {str(item.position): ["Required."]}},
                          code="part_choice_required", params={"package": package.name, "position": str(item.position)})
        wanted[item.position] = chosen
    parts = _parts(quote_parts, store_id, list(wanted.values()), field="part_choices")
    quote = editable(session, caller, quote_id)  # locked only after inventory answered
    settings = settings_of(session, quote.store_id)
    today = store_today(settings)
    lines = []
    for item in package.items:
        if item.kind == "labour":
            line = _labour_line(session, quote, {"op_code": item.op_code, "qty": item.qty,
                                                 "description": item.description}, today, ("package",))
        elif item.kind == "part":
            line = _part_line(session, quote, parts[wanted[item.position]], to_qty(item.qty), today)
        else:
            line = _fee_line(session, quote, {"fee_code": item.fee_code, "description": item.description,
                                              "unit_price_fen": item.unit_price_fen, "qty": item.qty}, today)
        line.package_code = package.code
        lines.append(line)
    if package.pricing == "fixed":
        listed = catalogue.effective_price(session, "package", package.code, quote.store_id, today)
        fixed = listed.price_fen if listed else package.fixed_price_fen
        grosses = [pricing.gross_fen(line.qty, line.unit_price_fen) for line in lines]
        difference = sum(grosses) - fixed if fixed is not None else 0
        if difference > 0:  # a package dearer than its lines is sold at the sum of its lines
            for line, share in zip(lines, pricing.allocate(difference, grosses), strict=True):
                line.package_discount_fen = share
    _append(quote, lines)
    reprice(session, quote, settings)
    return lines


def remove_line(session: Session, caller: Caller, quote_id: str, line_id: str) -> Quote:
    quote = editable(session, caller, quote_id)
    line = next((line for line in quote.lines if line.id == line_id), None)
    if line is None:
        raise NotFound(f"The quote has no line {line_id}.")
    quote.lines.remove(line)
    reprice(session, quote, settings_of(session, quote.store_id))
    return quote
