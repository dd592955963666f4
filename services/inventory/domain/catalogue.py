"""The parts catalogue and suppliers (chain-wide master data), and the store's view of its
stock: levels with their settings, the movement ledger, availability for quoting, manual
adjustments."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import unique_or_conflict
from services.common.errors import Conflict, Invalid, NotFound
from services.common.schemas import page
from services.common.search import contains, starts_with
from services.contracts.rpc.inventory import TAX_RATES

from . import ledger, postings
from ..models import PART_SEARCH, ZERO, Movement, Part, StockLevel, Supplier


def _keyset(query: Select, model, cursor: str | None, limit: int) -> Select:
    """Newest first by id (ids are time-ordered); the cursor is the last id seen."""
    if cursor:
        query = query.where(model.id < cursor)
    return query.order_by(model.id.desc()).limit(limit + 1)


TAKEN = {"sku": "sku_taken", "barcode": "barcode_taken", "code": "supplier_code_taken"}
"""A unique column of the catalogue already used: the code of its Conflict."""


# -- parts ----------------------------------------------------------------------------------------------
_PART_UNIQUE = {"sku": "A part with this SKU already exists in the chain.",
                "barcode": "Another part already has this barcode."}


def _ensure_unique_part(session: Session, column: str, value, exclude_id: str | None) -> None:
    if value is None:
        return
    query = select(Part.id).where(getattr(Part, column) == value)
    if exclude_id:
        query = query.where(Part.id != exclude_id)
    if session.execute(query.limit(1)).first():
        raise Conflict(_PART_UNIQUE[column], fields={column: [_PART_UNIQUE[column]]},
                       code=TAKEN[column])


def create_part(session: Session, data: dict) -> Part:
    data = {**data, "sku": ledger.norm_sku(data["sku"])}
    for column in ("sku", "barcode"):
        _ensure_unique_part(session, column, data.get(column), None)
    part = Part(**data)
    with unique_or_conflict(session, _PART_UNIQUE, TAKEN):
        session.add(part)
    return part


def update_part(session: Session, part_id: str, changes: dict) -> Part:
    part = ledger.get_part(session, part_id)
    if "barcode" in changes:
        _ensure_unique_part(session, "barcode", changes["barcode"], part.id)
    if "batch_tracked" in changes and changes["batch_tracked"] != part.batch_tracked:
        held = session.scalar(select(StockLevel.id).where(StockLevel.part_id == part.id,
                                                          StockLevel.on_hand != 0).limit(1))
        if held:
            raise Conflict("Batch tracking can only change while no store holds the part.",
                           fields={"batch_tracked": ["Stock of this part is on hand."]},
                           code="batch_tracking_locked", params={"sku": part.sku})
    with unique_or_conflict(session, _PART_UNIQUE, TAKEN):
        for key, value in changes.items():
            setattr(part, key, value)
    return part


def _part_matches(text: str):
    """Any part of the SKU, name, brand, OE number or the name's pinyin initials; the barcode whole."""
    text = text.strip()
    return or_(Part.barcode == text, *(contains(getattr(Part, column), text) for column in PART_SEARCH))


def search_parts(session: Session, filters: dict) -> dict:
    query = select(Part)
    if filters.get("sku"):
        query = query.where(Part.sku == ledger.norm_sku(filters["sku"]))
    if filters.get("oe_number"):
        query = query.where(Part.oe_number == filters["oe_number"].strip())
    if filters.get("barcode"):
        query = query.where(Part.barcode == filters["barcode"].strip())
    if filters.get("category"):
        query = query.where(Part.category == filters["category"])
    if "active" in filters:
        query = query.where(Part.active.is_(filters["active"]))
    if filters.get("q"):
        query = query.where(_part_matches(filters["q"]))
    rows = session.scalars(_keyset(query, Part, filters.get("cursor"), filters["limit"])).all()
    return page(list(rows), filters["limit"], key=lambda part: part.id)


# -- suppliers ------------------------------------------------------------------------------------------
_SUPPLIER_UNIQUE = {"code": "A supplier with this code already exists."}


def create_supplier(session: Session, data: dict) -> Supplier:
    data = {**data, "code": data["code"].strip().upper()}
    if session.scalar(select(Supplier.id).where(Supplier.code == data["code"])):
        raise Conflict(_SUPPLIER_UNIQUE["code"], fields={"code": [_SUPPLIER_UNIQUE["code"]]},
                       code=TAKEN["code"])
    supplier = Supplier(**data)
    with unique_or_conflict(session, _SUPPLIER_UNIQUE, TAKEN):
        session.add(supplier)
    return supplier


def get_supplier(session: Session, supplier_id: str) -> Supplier:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound(f"No supplier {supplier_id}.")
    return supplier


def update_supplier(session: Session, supplier_id: str, changes: dict) -> Supplier:
    supplier = get_supplier(session, supplier_id)
    for key, value in changes.items():
        setattr(supplier, key, value)
    session.flush()
    return supplier


def search_suppliers(session: Session, filters: dict) -> dict:
    query = select(Supplier)
    if "active" in filters:
        query = query.where(Supplier.active.is_(filters["active"]))
    if filters.get("q"):
        text = filters["q"].strip()
        query = query.where(or_(Supplier.code == text.upper(), starts_with(Supplier.name, text)))
    rows = session.scalars(_keyset(query, Supplier, filters.get("cursor"), filters["limit"])).all()
    return page(list(rows), filters["limit"], key=lambda supplier: supplier.id)


# -- stock ----------------------------------------------------------------------------------------------
def list_stock(session: Session, filters: dict) -> dict:
    query = select(StockLevel).join(Part).where(StockLevel.store_id == filters["store_id"])
    if filters.get("sku"):
        query = query.where(Part.sku == ledger.norm_sku(filters["sku"]))
    if filters.get("category"):
        query = query.where(Part.category == filters["category"])
    if filters.get("q"):
        query = query.where(_part_matches(filters["q"]))
    if filters.get("below_reorder"):
        query = query.where(StockLevel.reorder_point.is_not(None),
                            StockLevel.on_hand - StockLevel.reserved < StockLevel.reorder_point)
    rows = session.scalars(_keyset(query, StockLevel, filters.get("cursor"), filters["limit"])).all()
    return page(list(rows), filters["limit"], key=lambda level: level.id)


def configure_stock(session: Session, data: dict) -> StockLevel:
    """A store's reorder point/quantity, price override and bin for one part."""
    part = ledger.part_by_sku(session, data["sku"])
    if part is None:
        raise Invalid("Unknown SKU.", fields={"sku": [f"No part with SKU {data['sku']} in the catalogue."]},
                      code="unknown_part", params={"skus": [data["sku"]]})
    level = ledger.lock_level(session, data["store_id"], part.id)
    for key, column in (("reorder_point", "reorder_point"), ("reorder_qty", "reorder_qty"),
                        ("price_override_fen", "price_fen"), ("bin_location", "bin_location")):
        if key in data:
            setattr(level, column, data[key])
    ledger.check_low(session, level)
    session.flush()
    return level


def list_movements(session: Session, filters: dict) -> dict:
    query = select(Movement).where(Movement.store_id == filters["store_id"])
    if filters.get("sku"):
        query = query.where(Movement.sku == ledger.norm_sku(filters["sku"]))
    if filters.get("kind"):
        query = query.where(Movement.kind == filters["kind"])
    if filters.get("reference_id"):
        query = query.where(Movement.reference_id == filters["reference_id"])
    rows = session.scalars(_keyset(query, Movement, filters.get("cursor"), filters["limit"])).all()
    return page(list(rows), filters["limit"], key=lambda movement: movement.id)


def availability(session: Session, store_id: str, skus: list[str]) -> list[dict]:
    """Price and stock of some SKUs at a store, for quoting (sales asks this over RPC)."""
    wanted = list(dict.fromkeys(ledger.norm_sku(s) for s in skus))
    parts = {p.sku: p for p in session.scalars(select(Part).where(Part.sku.in_(wanted)))}
    levels = {lvl.part_id: lvl for lvl in session.scalars(select(StockLevel).where(
        StockLevel.store_id == store_id, StockLevel.part_id.in_([p.id for p in parts.values()])))}
    result = []
    for sku in wanted:
        part = parts.get(sku)
        level = levels.get(part.id) if part else None
        result.append({
            "sku": sku, "known": part is not None, "part_id": part.id if part else None,
            "name": part.name if part else None, "unit": part.unit if part else None,
            "price_fen": (level.price_fen if level is not None and level.price_fen is not None
                          else part.list_price_fen) if part else None,
            "tax_class": part.tax_class if part else None,
            "tax_rate": TAX_RATES[part.tax_class] if part else None,
            "on_hand": level.on_hand if level else ZERO, "available": level.available if level else ZERO,
            "on_order": level.on_order if level else ZERO})
    return result


def _asked(session: Session, skus: list[str]) -> tuple[list[tuple[str, Part]], list[str]]:
    """The SKUs as asked (blank ones dropped, each once) with their parts, and those unknown."""
    asked = list(dict.fromkeys(s for s in skus if s and s.strip()))
    parts = {p.sku: p for p in session.scalars(select(Part).where(Part.sku.in_({ledger.norm_sku(s) for s in asked})))}
    found = [(sku, parts[ledger.norm_sku(sku)]) for sku in asked if ledger.norm_sku(sku) in parts]
    return found, [sku for sku in asked if ledger.norm_sku(sku) not in parts]


def catalogue_parts(session: Session, skus: list[str]) -> dict:
    """Which of these SKUs the chain's catalogue has and whether they are still sold (sales
    checks a package's parts with this when the package is created)."""
    found, unknown = _asked(session, skus)
    return {"items": [{"sku": sku, "catalogue_sku": part.sku, "part_id": part.id, "name": part.name,
                       "active": part.active, "tax_code": part.tax_code} for sku, part in found],
            "unknown": unknown}


def quote_parts(session: Session, store_id: str, skus: list[str]) -> dict:
    """What sales needs to price quote lines: one answer for all the SKUs of a request.
    `items` echo each SKU as asked (the catalogue's spelling is `catalogue_sku`); `unknown`
    lists the SKUs the catalogue does not have. Whether the stock covers a line depends on the
    quantity asked, which sales knows: `available` is given, not a yes/no."""
    found, unknown = _asked(session, skus)
    levels = {lvl.part_id: lvl for lvl in session.scalars(select(StockLevel).where(
        StockLevel.store_id == store_id, StockLevel.part_id.in_([part.id for _sku, part in found])))}
    items = []
    for sku, part in found:
        level = levels.get(part.id)
        available = level.available if level is not None else ZERO
        cost = (level.avg_cost_fen if level is not None and level.on_hand else 0) or ledger.last_unit_cost(
            session, store_id, part.id)
        items.append({
            "sku": sku, "catalogue_sku": part.sku, "part_id": part.id, "name": part.name, "brand": part.brand,
            "oe_number": part.oe_number, "unit": part.unit, "category": part.category,
            "unit_price_fen": level.price_fen if level is not None and level.price_fen is not None
            else part.list_price_fen,
            "currency": part.currency, "tax_class": part.tax_class, "tax_rate": TAX_RATES[part.tax_class],
            "cost_fen": cost, "on_hand": level.on_hand if level is not None else ZERO, "available": available,
            "on_order": level.on_order if level is not None else ZERO,
            "active": part.active, "hazardous": part.hazardous, "batch_tracked": part.batch_tracked})
    return {"items": items, "unknown": unknown}


def adjust_stock(session: Session, data: dict, caller: Caller) -> list[Movement]:
    """A manual correction: damaged, lost, found, customer return …; + adds, − removes."""
    part = ledger.part_by_sku(session, data["sku"])
    if part is None:
        raise Invalid("Unknown SKU.", fields={"sku": [f"No part with SKU {data['sku']} in the catalogue."]},
                      code="unknown_part", params={"skus": [data["sku"]]})
    level = ledger.lock_level(session, data["store_id"], part.id)
    qty = data["qty"]
    kind = "return" if data["reason"] == "customer_return" else "adjustment"
    number = ledger.document_number("ADJ")
    ref: dict[str, Any] = {"reference_type": "adjustment", "reference_id": number, "user_id": caller.user_id,
                           "note": f"{data['reason']}: {data['note']}" if data.get("note") else data["reason"]}
    if qty > 0:
        if part.batch_tracked and not (data.get("batch_no") and data.get("expiry_date")):
            raise Invalid("Batch-tracked part.", fields={
                "batch_no": ["Give the batch number and expiry date of what is added."]},
                          code="batch_required", params={"skus": [part.sku]})
        unit_cost = data.get("unit_cost_fen")
        if unit_cost is None:
            unit_cost = level.avg_cost_fen or ledger.last_unit_cost(session, level.store_id, part.id)
        movements = ledger.stock_in(session, level, kind, qty, ledger.fen(qty * unit_cost),
                                    batch_no=data.get("batch_no"), expiry_date=data.get("expiry_date"), **ref)
        ledger.after_stock_in(session, [level])
    else:
        if -qty > level.available:
            raise Conflict(f"Only {level.available} of {part.sku} is free (the rest is reserved for orders).",
                           fields={"qty": [f"At most {level.available} can be taken out."]},
                           code="stock_reserved",
                           params={"sku": part.sku, "name": part.name, "available": str(level.available)})
        movements = ledger.stock_out(session, level, kind, -qty, batch_no=data.get("batch_no"), **ref)
        ledger.check_low(session, level)
    record_audit(session, caller, "stock_adjusted", "stock_adjustment", number, store_id=level.store_id,
                 details={"sku": part.sku, "qty": qty, "reason": data["reason"],
                          "value_fen": sum(m.value_fen for m in movements)})
    postings.announce(session)
    session.flush()
    return movements
