"""The service catalogue: labour operations with standard hours per vehicle class, canned
jobs (packages), the chain's price list with store overrides and effective dates, and the
vehicle classes that pick hours and prices."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import unique_or_conflict
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.policy import sees_every_store
from services.common.schemas import page

from ..models import LabourOperation, Package, PackageItem, PackageStore, PriceEntry, VehicleClassRule, json_numbers

DEFAULT_VEHICLE_CLASS = "sedan"
PRICE_KINDS = ("labour_rate", "part", "package", "fee")


def _keyset(query, model, filters: dict):
    if filters.get("cursor"):
        query = query.where(model.id < filters["cursor"])
    return query.order_by(model.id.desc()).limit(filters["limit"] + 1)


# -- labour operations ------------------------------------------------------------------------

def create_operation(session: Session, data: dict, parts: dict[str, dict]) -> LabourOperation:
    """`parts`: inventory's answer for the SKUs the operation needs (`require_sold`)."""
    _require_parts(data.get("parts") or [], parts)
    if session.scalars(select(LabourOperation.id).where(LabourOperation.code == data["code"])).first():
        raise Conflict(f"A labour operation {data['code']} exists already.", fields={"code": ["Already used."]},
                       code="operation_code_taken", params={"code": data["code"]})
    operation = LabourOperation(**{**data, "hours_by_class": json_numbers(data.get("hours_by_class") or {}),
                                   "parts": _parts_json(data.get("parts") or [])})
    with unique_or_conflict(session, {"code": f"A labour operation {data['code']} exists already."},
                            {"code": "operation_code_taken"}, {"code": data["code"]}):
        session.add(operation)
    return operation


def _require_parts(needed: list[dict], parts: dict[str, dict]) -> None:
    for index, part in enumerate(needed):
        require_sold(parts, part["sku"], ("parts", str(index), "sku"))


def _parts_json(parts: list[dict]) -> list[dict]:
    return [{"sku": part["sku"], **json_numbers({"qty": part["qty"]})} for part in parts]


def get_operation(session: Session, ref: str) -> LabourOperation:
    operation = session.get(LabourOperation, ref) or session.scalars(
        select(LabourOperation).where(LabourOperation.code == ref)).first()
    if operation is None:
        raise NotFound(f"No labour operation {ref}.")
    return operation


def operations_by_code(session: Session, codes: list[str]) -> list[LabourOperation]:
    """The catalogue's operations of these codes (those it knows), in one query."""
    if not codes:
        return []
    return list(session.scalars(select(LabourOperation).where(LabourOperation.code.in_(sorted(set(codes))))
                                .order_by(LabourOperation.code)))


def categories_of(session: Session, codes: list[str]) -> dict[str, str]:
    """operation code -> its category, for the codes the catalogue knows (one query)."""
    if not codes:
        return {}
    return dict(session.execute(select(LabourOperation.code, LabourOperation.category)
                                .where(LabourOperation.code.in_(sorted(set(codes))))).tuples().all())


def at(path: tuple[str, ...], message: str) -> dict:
    """Field errors at a nested path, shaped like marshmallow's: ("items", "0", "sku") -> {"items": {"0": …}}."""
    errors: Any = [message]
    for key in reversed(path):
        errors = {key: errors}
    return errors


def quotable_operation(session: Session, code: str, field: tuple[str, ...] = ("op_code",)) -> LabourOperation:
    """The operation a quote line or a package item names: known and still offered (422 otherwise)."""
    operation = session.get(LabourOperation, code) or session.scalars(
        select(LabourOperation).where(LabourOperation.code == code)).first()
    if operation is None:
        raise Invalid(f"No labour operation {code}.", fields=at(field, f"Unknown operation {code}."),
                      code="unknown_operation", params={"op_code": code})
    if not operation.active:
        raise Invalid(f"The labour operation {operation.code} ({operation.name}) is no longer offered.",
                      fields=at(field, f"Inactive operation {operation.code}."), code="operation_inactive",
                      params={"op_code": operation.code, "name": operation.name})
    return operation


def update_operation(session: Session, ref: str, changes: dict, parts: dict[str, dict]) -> LabourOperation:
    operation = get_operation(session, ref)
    _require_parts(changes.get("parts") or [], parts)
    if "code" in changes and changes["code"] != operation.code:
        raise Invalid("The code of an operation never changes (quotes refer to it).",
                      fields={"code": ["Cannot change."]}, code="operation_code_fixed")
    if "hours_by_class" in changes:
        changes = {**changes, "hours_by_class": json_numbers(changes["hours_by_class"] or {})}
    if "parts" in changes:
        changes = {**changes, "parts": _parts_json(changes["parts"] or [])}
    for key, value in changes.items():
        setattr(operation, key, value)
    session.flush()
    return operation


def list_operations(session: Session, filters: dict) -> dict:
    query = select(LabourOperation)
    if filters.get("category"):
        query = query.where(LabourOperation.category == filters["category"])
    if filters.get("active") is not None:
        query = query.where(LabourOperation.active == filters["active"])
    if filters.get("q"):
        text = filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(LabourOperation.code.like(f"{text}%", escape="\\")
                            | LabourOperation.name.like(f"%{text}%", escape="\\"))
    rows = session.scalars(_keyset(query, LabourOperation, filters)).all()
    return page(list(rows), filters["limit"], key=lambda row: row.id)


def hours_for(operation: LabourOperation, vehicle_class: str) -> Decimal:
    by_class = operation.hours_by_class or {}
    if vehicle_class in by_class:
        return Decimal(str(by_class[vehicle_class]))
    return Decimal(operation.standard_hours)


# -- packages ---------------------------------------------------------------------------------

def package_skus(item: dict) -> list[str]:
    """Every part a package item may put on a quote: its SKU, the options and the fitting ones."""
    return [sku for sku in (item.get("sku"), *(item.get("sku_options") or []),
                            *(item.get("sku_by_vehicle") or {}).values()) if sku]


def require_sold(parts: dict[str, dict], sku: str, field: tuple[str, ...]) -> None:
    """A part a package item or an operation names: known to inventory's catalogue and still sold
    (`parts`: inventory's answer, SKU asked -> part)."""
    part = parts.get(sku)
    if part is None:
        raise Invalid(f"Inventory does not know the part {sku}.", code="unknown_part",
                      fields=at(field, f"Unknown SKU: {sku}."), params={"skus": [sku]})
    if part.get("active") is False:
        raise Invalid(f"{sku} ({part['name']}) is no longer sold.", code="part_inactive",
                      fields=at(field, "Inactive part."), params={"sku": sku, "name": part["name"]})


def create_package(session: Session, data: dict, parts: dict[str, dict]) -> Package:
    """`parts` is inventory's answer for every SKU the items name (`package_skus`): SKU asked ->
    the part, absent when the catalogue does not have it. Every operation must be offered and
    every part known and sold, so that a package never fails only when it is quoted."""
    if session.scalars(select(Package.id).where(Package.code == data["code"])).first():
        raise Conflict(f"A package {data['code']} exists already.", fields={"code": ["Already used."]},
                       code="package_code_taken", params={"code": data["code"]})
    items = data.pop("items")
    store_ids = data.pop("store_ids", None)
    _check_package(session, data["pricing"], data.get("fixed_price_fen"), items, parts)
    package = Package(**data)
    package.items = [PackageItem(position=index, **item) for index, item in enumerate(items)]
    package.stores = _offered_at(store_ids)
    with unique_or_conflict(session, {"code": f"A package {data['code']} exists already."},
                            {"code": "package_code_taken"}, {"code": data["code"]}):
        session.add(package)
    return package


def _check_package(session: Session, pricing: str, fixed_price_fen: int | None, items: list[dict],
                   parts: dict[str, dict]) -> None:
    if pricing == "fixed" and fixed_price_fen is None:
        raise Invalid("A fixed-price package needs fixed_price_fen (or a price list entry later).",
                      fields={"fixed_price_fen": ["Required when pricing is fixed."]}, code="fixed_price_required")
    for index, item in enumerate(items):
        if item["kind"] == "labour":
            quotable_operation(session, item["op_code"], field=("items", str(index), "op_code"))
        for sku in package_skus(item):
            require_sold(parts, sku, ("items", str(index), "sku"))


def update_package(session: Session, ref: str, changes: dict, parts: dict[str, dict]) -> Package:
    """Change a package (HQ): its words, pricing, items (replaced whole) or whether it is offered; its code
    never changes (quotes refer to it). Quotes made before keep the lines they were given."""
    package = get_package(session, ref)
    if "code" in changes and changes["code"] != package.code:
        raise Invalid("The code of a package never changes (quotes refer to it).",
                      fields={"code": ["Cannot change."]}, code="package_code_fixed")
    changes = {key: value for key, value in changes.items() if key != "code"}
    items = changes.pop("items", None)
    if "store_ids" in changes:
        package.stores = _offered_at(changes.pop("store_ids"))
    pricing = changes.get("pricing", package.pricing)
    fixed = changes["fixed_price_fen"] if "fixed_price_fen" in changes else package.fixed_price_fen
    _check_package(session, pricing, fixed, items if items is not None else [], parts)  # (items unchanged: priced)
    for key, value in changes.items():
        setattr(package, key, value)
    if items is not None:
        package.items.clear()
        session.flush()
        package.items.extend(PackageItem(position=index, **item) for index, item in enumerate(items))
    session.flush()
    return package


def _offered_at(store_ids: list[str] | None) -> list[PackageStore]:
    return [PackageStore(store_id=store_id) for store_id in sorted(set(store_ids or []))]


def offered(package: Package, store_id: str) -> bool:
    """Whether the store offers the package (one with no stores named is offered everywhere)."""
    return package.store_ids is None or store_id in package.store_ids


def get_package(session: Session, ref: str) -> Package:
    package = session.get(Package, ref) or session.scalars(select(Package).where(Package.code == ref)).first()
    if package is None:
        raise NotFound(f"No package {ref}.")
    return package


def list_packages(session: Session, filters: dict) -> dict:
    query = select(Package)
    if filters.get("category"):
        query = query.where(Package.category == filters["category"])
    if filters.get("active") is not None:
        query = query.where(Package.active == filters["active"])
    if filters.get("store_id"):
        named = select(PackageStore.store_id).where(PackageStore.package_id == Package.id)
        query = query.where(or_(~named.exists(), named.where(PackageStore.store_id == filters["store_id"]).exists()))
    rows = session.scalars(_keyset(query, Package, filters)).all()
    return page(list(rows), filters["limit"], key=lambda row: row.id)


# -- price list -------------------------------------------------------------------------------

def effective_price(session: Session, kind: str, key: str, store_id: str | None, on: date) -> PriceEntry | None:
    """The price in force on `on`: the store's latest override from that date or before, else
    the chain's latest entry from that date or before."""
    def latest(store_clause):
        return session.scalars(
            select(PriceEntry).where(PriceEntry.kind == kind, PriceEntry.key == key, store_clause,
                                     PriceEntry.effective_from <= on)
            .order_by(PriceEntry.effective_from.desc()).limit(1)).first()

    if store_id is not None:
        override = latest(PriceEntry.store_id == store_id)
        if override is not None:
            return override
    return latest(PriceEntry.store_id.is_(None))


def effective_prices(session: Session, items: list[tuple[str, str]], store_id: str, on: date
                     ) -> dict[tuple[str, str], PriceEntry]:
    """`effective_price` of several (kind, key) items at a store in two reads: (kind, key) → the entry in force on
    `on`, the store's override before the chain's (items with neither are left out)."""
    if not items:
        return {}
    wanted = set(items)
    kinds, keys = sorted({kind for kind, _ in wanted}), sorted({key for _, key in wanted})
    in_force: dict[tuple[str, str], PriceEntry] = {}
    # the chain's entries, then the store's own over them (two index ranges: other stores' overrides not read);
    # within each, oldest first, a later entry replaces an earlier one
    for store_clause in (PriceEntry.store_id.is_(None), PriceEntry.store_id == store_id):
        for entry in session.scalars(select(PriceEntry).where(
                PriceEntry.kind.in_(kinds), PriceEntry.key.in_(keys), store_clause, PriceEntry.effective_from <= on)
                .order_by(PriceEntry.effective_from, PriceEntry.id)):
            if (entry.kind, entry.key) in wanted:
                in_force[(entry.kind, entry.key)] = entry
    return in_force


def create_price_entry(session: Session, caller: Caller, data: dict) -> PriceEntry:
    store_id = data.get("store_id")
    if store_id is None and not sees_every_store(caller):
        raise Forbidden("Only HQ sets the chain's prices; a store manager sets overrides for their store.",
                        code="needs_hq")
    caller.require_store(store_id)
    if store_id is not None:
        if data.get("min_fen") is not None or data.get("max_fen") is not None:
            raise Invalid("Limits belong on the chain's entry.", fields={"min_fen": ["Only on chain entries."]},
                          code="limits_on_chain_entry")
        chain = effective_price(session, data["kind"], data["key"], None, data["effective_from"])
        if chain is not None:
            low, high = chain.min_fen, chain.max_fen
            if (low is not None and data["price_fen"] < low) or (high is not None and data["price_fen"] > high):
                message = f"HQ allows this price between {low} and {high} fen for stores."
                if low is not None and data["price_fen"] < low:
                    raise Invalid(message, fields={"price_fen": [message]}, code="price_below_min",
                                  params={"min_fen": str(low)})
                raise Invalid(message, fields={"price_fen": [message]}, code="price_above_max",
                              params={"max_fen": str(high)})
    elif (data.get("min_fen") is not None and data.get("max_fen") is not None
          and data["min_fen"] > data["max_fen"]):
        raise Invalid("min_fen is above max_fen.", fields={"min_fen": ["Above max_fen."]}, code="min_above_max")
    entry = PriceEntry(created_by=caller.user_id, **data)
    taken = "There is already a price for this item, store and date."
    with unique_or_conflict(session, {"effective_from": taken}, {"effective_from": "price_exists"}):
        session.add(entry)
    return entry


def list_price_entries(session: Session, caller: Caller, filters: dict) -> dict:
    """The chain's prices and store overrides; outside HQ only the user's own stores' overrides."""
    query = select(PriceEntry)
    if not sees_every_store(caller):
        query = query.where(PriceEntry.store_id.is_(None) | PriceEntry.store_id.in_(sorted(caller.store_ids)))
    for column in ("kind", "key"):
        if filters.get(column):
            query = query.where(getattr(PriceEntry, column) == filters[column])
    if "store_id" in filters:
        query = query.where(PriceEntry.store_id == filters["store_id"] if filters["store_id"]
                            else PriceEntry.store_id.is_(None))
    rows = session.scalars(_keyset(query, PriceEntry, filters)).all()
    return page(list(rows), filters["limit"], key=lambda row: row.id)


# -- vehicle classes --------------------------------------------------------------------------

def set_vehicle_class(session: Session, data: dict) -> VehicleClassRule:
    model = data.get("model") or ""
    rule = session.scalars(select(VehicleClassRule).where(
        VehicleClassRule.make == data["make"], VehicleClassRule.model == model)).first()
    if rule is None:
        rule = VehicleClassRule(make=data["make"], model=model)
        session.add(rule)
    rule.vehicle_class = data["vehicle_class"]
    session.flush()
    return rule


def list_vehicle_classes(session: Session) -> list[VehicleClassRule]:
    return list(session.scalars(select(VehicleClassRule).order_by(VehicleClassRule.make, VehicleClassRule.model)))


def classify(session: Session, make: str | None, model: str | None) -> str:
    """make+model rule, else the make's rule, else sedan."""
    if not make:
        return DEFAULT_VEHICLE_CLASS
    rules = {rule.model: rule.vehicle_class for rule in session.scalars(
        select(VehicleClassRule).where(VehicleClassRule.make == make))}
    return rules.get(model or "", rules.get("", DEFAULT_VEHICLE_CLASS))
