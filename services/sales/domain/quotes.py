"""Quotes: lines of three kinds priced on the server (labour from the catalogue and the
store's rate, parts from inventory and the price list, fees), packages added in one step,
discounts with approval above the store's limit, price floors, presenting, the customer's
decision per line and new versions of a presented quote."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.ids import new_id as _new_id
from services.common.money import to_qty
from services.common.outbox import record_event
from services.common.periods import period_of, periods
from services.common.policy import MANAGERS
from services.common.schemas import page

from ..models import DeclinedWork, Quote, QuoteLine, StoreSettings, Visit
from . import catalogue, pricing
from .reception import get_visit, scoped
from .settings import discount_limit, next_number, settings_of

QuoteParts = Callable[[str, list[str]], dict]
"""`inventory.quote_parts(store_id, skus)` -> {"items": [...], "unknown": [...]}."""

OPEN_STATES = ("draft", "presented", "approved", "partially_approved", "declined")
DECIDED_STATES = ("approved", "partially_approved", "declined")
CONTRACTABLE = ("approved", "partially_approved")


def store_today(settings: StoreSettings) -> date:
    return utcnow().astimezone(ZoneInfo(settings.timezone)).date()


def require_state(quote: Quote, allowed: tuple[str, ...], action: str) -> None:
    if quote.state not in allowed:
        raise Conflict(f"The quote is {quote.state}; {action} needs it {' or '.join(allowed)}.",
                       fields={"state": [quote.state]}, code="quote_state", params={"status": quote.state})


def get_quote(session: Session, caller: Caller, quote_id: str, lock: bool = False) -> Quote:
    quote = session.get(Quote, quote_id, with_for_update=lock, populate_existing=lock)
    if quote is None:
        raise NotFound(f"No quote {quote_id}.")
    caller.require_store(quote.store_id)
    return quote


def versions_of(session: Session, group_ids: set[str]) -> dict[str, list[dict]]:
    """group id -> [{id, version, state}] of every version, oldest first (one query)."""
    groups: dict[str, list[dict]] = {}
    if not group_ids:
        return groups
    rows = session.execute(select(Quote.group_id, Quote.id, Quote.version, Quote.state)
                           .where(Quote.group_id.in_(sorted(group_ids))).order_by(Quote.version))
    for group_id, quote_id, version, state in rows:
        groups.setdefault(group_id, []).append({"id": quote_id, "version": version, "state": state})
    return groups


def list_quotes(session: Session, caller: Caller, filters: dict) -> dict:
    query = scoped(select(Quote), Quote, caller, filters)
    for column in ("visit_id", "customer_id", "state", "approval_status"):
        if filters.get(column):
            query = query.where(getattr(Quote, column) == filters[column])
    if filters.get("cursor"):
        query = query.where(Quote.id < filters["cursor"])
    rows = session.scalars(query.order_by(Quote.id.desc()).limit(filters["limit"] + 1)).all()
    return page(list(rows), filters["limit"], key=lambda row: row.id)


def open_quote(session: Session, caller: Caller, data: dict) -> Quote:
    visit: Visit = get_visit(session, caller, data["visit_id"])
    settings = settings_of(session, visit.store_id)
    today = store_today(settings)
    quote = Quote(
        store_id=visit.store_id, visit_id=visit.id, customer_id=visit.customer_id, vehicle_id=visit.vehicle_id,
        vehicle_class=visit.vehicle_class, state="draft", tax_rate=settings.vat_rate,
        tax_inclusive=settings.tax_inclusive, labour_rate_fen=settings.labour_rate_fen, notes=data.get("notes"),
        valid_until=utcnow() + timedelta(days=settings.quote_valid_days), advisor_id=caller.user_id,
        number=f"Q{today:%Y%m%d}-{next_number(session, visit.store_id, f'Q{today:%Y%m%d}'):04d}")
    quote.id = quote.group_id = _new_id()
    quote.version = 1
    quote.lines = []
    session.add(quote)
    session.flush()
    return quote


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


# -- lines ------------------------------------------------------------------------------------

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
                     description=data.get("description") or operation.name,
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


def _editable(session: Session, caller: Caller, quote_id: str) -> Quote:
    quote = get_quote(session, caller, quote_id, lock=True)
    if quote.state != "draft":
        raise Conflict(f"The quote is {quote.state}; only a draft changes. Revise it to make a new version "
                       "(POST /v1/quotes/{id}/revise).", fields={"state": [quote.state]}, code="quote_state",
                       params={"status": quote.state})
    return quote


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
    quote = _editable(session, caller, quote_id)
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
            _set_line_discount(line, data["discount"])
            _note_discounter(quote, caller)
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
    store_id, visit = peek.store_id, session.get(Visit, peek.visit_id)
    package = catalogue.get_package(session, data["package"])
    if not package.active:
        raise Conflict(f"The package {package.code} is no longer offered.",
                       code="package_inactive", params={"package": package.name})
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
    quote = _editable(session, caller, quote_id)  # locked only after inventory answered
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
    quote = _editable(session, caller, quote_id)
    line = next((line for line in quote.lines if line.id == line_id), None)
    if line is None:
        raise NotFound(f"The quote has no line {line_id}.")
    quote.lines.remove(line)
    reprice(session, quote, settings_of(session, quote.store_id))
    return quote


# -- discounts and approval -------------------------------------------------------------------

def _discount(kind: str | None, value) -> pricing.Discount | None:
    if not kind or value is None or Decimal(value) == 0:
        return None
    return pricing.Discount(kind, Decimal(value))


def _set_line_discount(line: QuoteLine, data: dict) -> None:
    line.discount_kind, line.discount_value = data["kind"], data["value"]
    line.discount_reason = data.get("reason")
    if not _discount(line.discount_kind, line.discount_value):
        line.discount_kind = line.discount_value = line.discount_reason = None


def _note_discounter(quote: Quote, caller: Caller) -> None:
    quote.discount_by, quote.discount_role = caller.user_id, caller.role


def set_discount(session: Session, caller: Caller, quote_id: str, data: dict) -> Quote:
    """A percent or amount off one line (`line_id`) or the whole quote, with a reason;
    a value of 0 removes it."""
    quote = _editable(session, caller, quote_id)
    before = {"discount_fen": quote.discount_fen, "total_fen": quote.total_fen}
    if data.get("line_id"):
        line = next((line for line in quote.lines if line.id == data["line_id"]), None)
        if line is None:
            raise NotFound(f"The quote has no line {data['line_id']}.")
        _set_line_discount(line, data)
    else:
        quote.discount_kind, quote.discount_value = data["kind"], data["value"]
        quote.discount_reason = data.get("reason")
        if not _discount(quote.discount_kind, quote.discount_value):
            quote.discount_kind = quote.discount_value = quote.discount_reason = None
    _note_discounter(quote, caller)
    quote.rejected_by = quote.rejected_at = quote.rejection_reason = None  # a new discount is a new request
    reprice(session, quote, settings_of(session, quote.store_id))
    record_audit(session, caller, "discount_set", "quote", quote.id, store_id=quote.store_id, details={
        "line_id": data.get("line_id"), "kind": data["kind"], "value": data["value"], "before": before,
        "after": {"discount_fen": quote.discount_fen, "total_fen": quote.total_fen},
        "approval_status": quote.approval_status})
    return quote


def _awaiting_decision(session: Session, caller: Caller, quote_id: str, action: str
                       ) -> tuple[Quote, StoreSettings, pricing.QuotePrice]:
    """The quote (locked and repriced) whose discount or below-cost price waits for a manager."""
    if caller.role not in MANAGERS:
        raise Forbidden("Only a store manager or HQ approves discounts and prices below cost.", code="needs_manager")
    quote = get_quote(session, caller, quote_id, lock=True)
    require_state(quote, ("draft", "presented", "approved", "partially_approved"), action)
    settings = settings_of(session, quote.store_id)
    price = reprice(session, quote, settings)
    if quote.approval_status != "pending":
        raise Conflict("Nothing on this quote waits for approval.", code="approval_not_pending",
                       params={"status": quote.approval_status})
    return quote, settings, price


def approve(session: Session, caller: Caller, quote_id: str, note: str | None) -> Quote:
    """A manager approves the discount as it stands and any line below cost, up to the
    manager's own limit (deeper discounts need HQ)."""
    quote, settings, price = _awaiting_decision(session, caller, quote_id, "approving a discount")
    limit = discount_limit(settings, caller.role)
    if price.max_negotiated_pct > limit:
        raise Forbidden(f"A discount of {_pct(price.max_negotiated_pct)}% is above your own limit of {limit}%; "
                        "HQ must approve it.", code="discount_above_own_limit",
                        params={"pct": _pct(price.max_negotiated_pct), "limit": str(limit)})
    quote.approved_pct = price.max_negotiated_pct.quantize(Decimal("0.001"), rounding="ROUND_CEILING")
    quote.approved_below_cost = list(price.below_cost)
    quote.approved_by, quote.approved_at, quote.approval_note = caller.user_id, utcnow(), note
    reprice(session, quote, settings)
    record_audit(session, caller, "discount_approved", "quote", quote.id, store_id=quote.store_id, details={
        "approved_pct": quote.approved_pct, "below_cost_lines": quote.approved_below_cost,
        "discount_fen": quote.discount_fen, "total_fen": quote.total_fen})
    return quote


def reject(session: Session, caller: Caller, quote_id: str, reason: str) -> Quote:
    """A manager refuses the discount (or below-cost price) with a reason: the quote is neither
    presented nor signed until the advisor changes the discount, which asks again."""
    quote, _settings, _price = _awaiting_decision(session, caller, quote_id, "rejecting a discount")
    quote.rejected_by, quote.rejected_at, quote.rejection_reason = caller.user_id, utcnow(), reason
    quote.approval_status = "rejected"
    session.flush()
    record_audit(session, caller, "discount_rejected", "quote", quote.id, store_id=quote.store_id, details={
        "reason": reason, "needs": quote.approval_needs, "discount_fen": quote.discount_fen,
        "total_fen": quote.total_fen})
    return quote


def _pct(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding='ROUND_HALF_UP')}"


def reprice(session: Session, quote: Quote, settings: StoreSettings) -> pricing.QuotePrice:
    """Recompute every line and the totals, then what still needs approval."""
    inputs = [pricing.LineInput(
        key=line.id, qty=Decimal(line.qty), unit_price_fen=line.unit_price_fen,
        discount=_discount(line.discount_kind, line.discount_value),
        package_discount_fen=line.package_discount_fen or 0, unit_cost_fen=line.unit_cost_fen,
        included=line.decision != "declined") for line in quote.lines]
    quote_discount = _discount(quote.discount_kind, quote.discount_value)
    try:
        price = pricing.price_quote(inputs, tax_rate=Decimal(quote.tax_rate), tax_inclusive=quote.tax_inclusive,
                                    quote_discount=quote_discount)
    except pricing.PricingError as exc:
        if quote.state != "draft" and quote_discount and quote_discount.kind == pricing.AMOUNT:
            # an amount off the whole quote that is now more than the approved lines: all of them free
            price = pricing.price_quote(inputs, tax_rate=Decimal(quote.tax_rate), tax_inclusive=quote.tax_inclusive,
                                        quote_discount=pricing.Discount(pricing.PERCENT, Decimal(100)))
        else:
            raise Invalid(str(exc), fields={"value": [str(exc)]}, code="discount_invalid") from exc
    for line in quote.lines:
        amounts = price.lines[line.id]
        line.gross_fen, line.discount_fen, line.net_fen = amounts.gross_fen, amounts.discount_fen, amounts.net_fen
        line.tax_fen, line.excl_tax_fen, line.total_fen = amounts.tax_fen, amounts.excl_tax_fen, amounts.total_fen
    quote.subtotal_fen, quote.discount_fen, quote.tax_fen = price.subtotal_fen, price.discount_fen, price.tax_fen
    quote.total_excl_tax_fen, quote.total_fen = price.total_excl_tax_fen, price.total_fen

    reasons, needs = [], []
    limit = discount_limit(settings, quote.discount_role)
    approved_pct = Decimal(quote.approved_pct) if quote.approved_pct is not None else None
    if price.max_negotiated_pct > limit and (approved_pct is None or price.max_negotiated_pct > approved_pct):
        reasons.append(f"A discount of {_pct(price.max_negotiated_pct)}% is above the {limit}% "
                       f"a {quote.discount_role or 'user'} may give.")
        needs.append({"code": "discount_above_limit", "pct": _pct(price.max_negotiated_pct), "limit": str(limit),
                      "role": quote.discount_role})
    below = [key for key in price.below_cost if key not in (quote.approved_below_cost or [])]
    for line in quote.lines:
        if line.id in below:
            reasons.append(f"{line.description} is priced below its cost.")
            needs.append({"code": "below_cost", "line": line.description})
    quote.approval_reasons, quote.approval_needs = reasons, needs
    waiting = "rejected" if quote.rejected_by else "pending"
    quote.approval_status = waiting if reasons else ("approved" if quote.approved_by else "not_required")
    session.flush()
    return price


# -- presenting, the customer's decision, versions ---------------------------------------------

def require_approved_discount(quote: Quote, action: str) -> None:
    """A quote whose discount (or below-cost price) waits for a manager's approval is neither
    shown to the customer nor signed: the customer would see a price the store has not agreed to."""
    if quote.approval_status == "pending":
        raise Conflict(f"The quote waits for a manager's approval and cannot be {action}: "
                       + " ".join(quote.approval_reasons), fields={"approval_status": ["pending"]},
                       code="discount_approval_pending")
    if quote.approval_status == "rejected":
        raise Conflict(f"A manager rejected the discount ({quote.rejection_reason}); change it before the quote "
                       f"is {action}.", fields={"approval_status": ["rejected"]}, code="discount_rejected",
                       params={"reason": quote.rejection_reason})


def present(session: Session, caller: Caller, quote_id: str) -> Quote:
    quote = get_quote(session, caller, quote_id, lock=True)
    require_state(quote, ("draft",), "presenting")
    if not quote.lines:
        raise Conflict("A quote without lines cannot be presented.", code="quote_empty")
    require_approved_discount(quote, "presented")
    settings = settings_of(session, quote.store_id)
    quote.state, quote.presented_at = "presented", utcnow()
    quote.valid_until = quote.presented_at + timedelta(days=settings.quote_valid_days)
    record_event(session, "quote_presented", {
        "quote_id": quote.id, "quote_number": quote.number, "store_id": quote.store_id,
        "customer_id": quote.customer_id, "total_fen": quote.total_fen,
        "presented_at": quote.presented_at.isoformat()}, store_id=quote.store_id)
    return quote


def decide(session: Session, caller: Caller, quote_id: str, data: dict) -> Quote:
    quote = get_quote(session, caller, quote_id, lock=True)
    require_state(quote, ("presented",), "recording the customer's decision")
    approved, declined = set(data["approved_line_ids"]), set(data["declined_line_ids"])
    ids = {line.id for line in quote.lines}
    problems = {}
    if approved & declined:
        problems["declined_line_ids"] = [f"Both approved and declined: {', '.join(sorted(approved & declined))}."]
    if (approved | declined) - ids:
        problems["approved_line_ids"] = [f"Not lines of this quote: {', '.join(sorted((approved | declined) - ids))}."]
    if ids - approved - declined:
        problems["_schema"] = [f"Decide every line; undecided: {', '.join(sorted(ids - approved - declined))}."]
    if problems:
        raise Invalid("The decision does not match the quote's lines.", fields=problems, code="decision_incomplete")
    now = utcnow()
    for line in quote.lines:
        line.decision = "approved" if line.id in approved else "declined"
    quote.state = ("approved" if not declined else "declined" if not approved else "partially_approved")
    quote.decided_at = now
    reprice(session, quote, settings_of(session, quote.store_id))
    # priced after the decision: a declined line's own price, without a share of the quote discount
    # (which is given for the work done), the one price the quote, reception and the API show
    for line in quote.lines:
        if line.decision == "declined":
            session.add(DeclinedWork(
                store_id=quote.store_id, customer_id=quote.customer_id, vehicle_id=quote.vehicle_id,
                visit_id=quote.visit_id, quote_id=quote.id, quote_line_id=line.id, kind=line.kind,
                description=line.description, op_code=line.op_code, sku=line.sku, qty=line.qty,
                total_fen=line.total_fen, declined_at=now))
    session.flush()
    return quote


def revise(session: Session, caller: Caller, quote_id: str) -> Quote:
    """A new draft version with the same lines and recorded prices; the old one is kept,
    expired and pointing at its successor."""
    old = get_quote(session, caller, quote_id, lock=True)
    require_state(old, ("presented", "approved", "partially_approved", "declined"), "revising")
    latest = session.scalar(select(func.max(Quote.version)).where(Quote.group_id == old.group_id))
    new = Quote(**{column: getattr(old, column) for column in (
        "number", "group_id", "store_id", "visit_id", "customer_id", "vehicle_id", "vehicle_class", "tax_rate",
        "tax_inclusive", "labour_rate_fen", "discount_kind", "discount_value", "discount_reason", "discount_by",
        "discount_role", "approved_pct", "approved_by", "approved_at", "approval_note", "notes", "valid_until")})
    new.id, new.version, new.state, new.advisor_id = _new_id(), latest + 1, "draft", caller.user_id
    new.lines = []
    mapping = {}
    for line in old.lines:
        copy = QuoteLine(**{column: getattr(line, column) for column in (
            "position", "kind", "description", "op_code", "skill", "hours", "sku", "part_id", "unit", "fee_code",
            "qty", "unit_price_fen", "price_source", "unit_cost_fen", "available_qty", "in_stock", "package_code",
            "package_discount_fen", "discount_kind", "discount_value", "discount_reason", "declined_work_id")})
        copy.id, copy.decision = _new_id(), "pending"
        mapping[line.id] = copy.id
        new.lines.append(copy)
    new.approved_below_cost = [mapping[key] for key in (old.approved_below_cost or []) if key in mapping]
    session.add(new)
    session.flush()
    old.state, old.superseded_by_id, old.expired_at = "expired", new.id, utcnow()
    session.execute(delete(DeclinedWork).where(DeclinedWork.quote_id == old.id, DeclinedWork.status == "open"))
    reprice(session, new, settings_of(session, new.store_id))
    return new


def expire_overdue(session: Session) -> int:
    """Open quotes past their validity become `expired` (a timer runs this)."""
    result = session.execute(update(Quote).where(Quote.state.in_(OPEN_STATES), Quote.valid_until < utcnow())
                             .values(state="expired", expired_at=utcnow()))
    return result.rowcount or 0


APPROVED_STATES = ("approved", "partially_approved", "contracted")


def close_ratio(session: Session, caller: Caller, store_id: str, first: date, last: date, time_zone: str) -> dict:
    """Quotes presented over the store-local days, and how many the customer approved (a quote and
    its later versions count once)."""
    return close_ratios(session, caller, store_id, first, last, time_zone)[0]


def close_ratios(session: Session, caller: Caller, store_id: str, first: date, last: date, time_zone: str,
                 group: str | None = None) -> list[dict]:
    """`close_ratio` per day, ISO week or month of the range (`group`; none: one row for the range),
    a quote counted in the period it was presented in."""
    caller.require_store(store_id)
    zone = ZoneInfo(time_zone)
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(last + timedelta(days=1), time.min, zone)
    rows = session.execute(select(Quote.group_id, Quote.state, Quote.presented_at).where(
        Quote.store_id == store_id, Quote.presented_at >= start, Quote.presented_at < end)).all()
    presented: dict[str | None, set] = defaultdict(set)
    approved: dict[str | None, set] = defaultdict(set)
    for quote_group, state, presented_at in rows:
        period = period_of(presented_at.astimezone(zone).date(), group)
        presented[period].add(quote_group)
        if state in APPROVED_STATES:
            approved[period].add(quote_group)
    items = []
    for period, _first, _last in periods(first, last, group):
        shown, won = len(presented[period]), len(approved[period])
        ratio = (Decimal(won) * 100 / shown).quantize(Decimal("0.001")) if shown else None
        items.append({"store_id": store_id, "period": period, "presented": shown, "approved": won,
                      "close_ratio_pct": ratio})
    return items
