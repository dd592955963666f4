"""Bulk import of customers and their vehicles from CSV rows (the CLI is `services.crm.importer`).

Each row is one customer and, optionally, one vehicle; a customer with two cars appears on two
rows with the same mobile. Rows are checked with the same schemas as the API. Re-running a file
is safe: a mobile already registered reuses that customer (its data is not overwritten), a plate
or VIN already on that customer is skipped, and one registered to somebody else is a bad row.
Batches are written with bulk INSERTs and committed one by one; a batch that collides with
concurrent registrations is replayed row by row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from marshmallow import ValidationError
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.db import utcnow
from services.common.ids import new_id
from services.common.outbox import record_events
from services.contracts.rpc.crm import CustomerCreate, VehicleCreate

from ..models import Customer, CustomerTag, Vehicle

COLUMNS = ("name", "mobile", "gender", "birthday", "home_store_id", "source", "tags", "marketing_consent", "notes",
           "plate", "vin", "make", "model", "year", "color", "mileage_km")
REQUIRED_COLUMNS = ("name", "mobile")
CUSTOMER_COLUMNS = ("name", "mobile", "gender", "birthday", "home_store_id", "source", "tags", "marketing_consent",
                    "notes")
VEHICLE_COLUMNS = ("plate", "vin", "make", "model", "year", "color", "mileage_km")
_TRUE = {"1", "true", "yes", "y", "是", "同意", "t"}
_FALSE = {"0", "false", "no", "n", "否", "不同意", "f", ""}

_customer_schema = CustomerCreate()
_vehicle_schema = VehicleCreate()


@dataclass
class BadRow:
    line: int
    reason: str


@dataclass
class Totals:
    rows: int = 0
    customers_created: int = 0
    customers_existing: int = 0
    vehicles_created: int = 0
    vehicles_existing: int = 0
    bad: list[BadRow] = field(default_factory=list)


def _messages(error: ValidationError) -> str:
    messages = error.messages if isinstance(error.messages, dict) else {"row": error.messages}
    return "; ".join(f"{key}: {' '.join(map(str, value)) if isinstance(value, list) else value}"
                     for key, value in messages.items())


def parse_row(raw: dict[str, str], default_store_id: str | None) -> tuple[dict, dict | None]:
    """(customer data, vehicle data or None) checked by the API's schemas; ValueError names the problem."""
    text = {key: (raw.get(key) or "").strip() for key in COLUMNS}
    consent = text["marketing_consent"].lower()
    if consent not in _TRUE | _FALSE:
        raise ValueError(f"marketing_consent: {text['marketing_consent']!r} is not yes/no")
    customer_in = {"name": text["name"], "mobile": text["mobile"], "marketing_consent": consent in _TRUE,
                   "tags": [t.strip() for t in text["tags"].replace("|", ";").split(";") if t.strip()],
                   "home_store_id": text["home_store_id"] or default_store_id}
    for key in ("gender", "birthday", "source", "notes"):
        if text[key]:
            customer_in[key] = text[key]
    try:
        customer = _customer_schema.load(customer_in)
    except ValidationError as exc:
        raise ValueError(_messages(exc)) from exc
    if not text["plate"]:
        if any(text[key] for key in VEHICLE_COLUMNS):
            raise ValueError("plate: required when vehicle columns are filled")
        return customer, None
    vehicle_in: dict = {"plate": text["plate"]}
    for key in ("vin", "make", "model", "color"):
        if text[key]:
            vehicle_in[key] = text[key]
    for key in ("year", "mileage_km"):
        if text[key]:
            try:
                vehicle_in[key] = int(text[key].replace(",", ""))
            except ValueError as exc:
                raise ValueError(f"{key}: {text[key]!r} is not a whole number") from exc
    try:
        vehicle = _vehicle_schema.load(vehicle_in)
    except ValidationError as exc:
        raise ValueError(_messages(exc)) from exc
    return customer, vehicle


class Importer:
    """Feeds (line number, raw row) batches into the database."""

    def __init__(self, session: Session, *, default_store_id: str | None = None, events: bool = True):
        self.session = session
        session.info["service"] = "crm"
        self.default_store_id = default_store_id
        self.events = events
        self.totals = Totals()

    # -- one batch ------------------------------------------------------------------------------
    def parse_batch(self, rows: list[tuple[int, dict]]) -> tuple[list, list[BadRow]]:
        """Pure work (no database): may run in another thread than `apply_batch`."""
        parsed, bad = [], []
        for line, raw in rows:
            try:
                parsed.append((line, *parse_row(raw, self.default_store_id)))
            except ValueError as exc:
                bad.append(BadRow(line, str(exc)))
        return parsed, bad

    def import_batch(self, rows: list[tuple[int, dict]]) -> None:
        parsed, bad = self.parse_batch(rows)
        self.apply_batch(len(rows), parsed, bad)

    def apply_batch(self, row_count: int, parsed: list, bad: list[BadRow]) -> None:
        self.totals.rows += row_count
        self.totals.bad += bad
        if not parsed:
            return
        before = (self.totals.customers_created, self.totals.customers_existing, self.totals.vehicles_created,
                  self.totals.vehicles_existing, len(self.totals.bad))
        try:
            self._apply(parsed)
            self._commit()
        except IntegrityError:
            # somebody registered one of these meanwhile: replay the batch one row at a time
            self.session.rollback()
            (self.totals.customers_created, self.totals.customers_existing, self.totals.vehicles_created,
             self.totals.vehicles_existing) = before[:4]
            del self.totals.bad[before[4]:]
            for row in parsed:
                try:
                    self._apply([row])
                    self._commit()
                except IntegrityError as exc:
                    self.session.rollback()
                    self.totals.bad.append(BadRow(row[0], "conflicts with a concurrent registration "
                                                          f"({type(exc.orig).__name__})"))

    def _commit(self) -> None:
        """A batch is committed; its events wait in the outbox for the running crm service to relay
        (this process publishes nothing, so it keeps no list of them)."""
        self.session.commit()
        self.session.info.pop("outbox", None)
        self.session.info.pop("outbox_recorded", None)

    def _apply(self, parsed: list[tuple[int, dict, dict | None]]) -> None:
        session = self.session
        mobiles = {customer["mobile"] for _, customer, _ in parsed}
        plates = {vehicle["plate"] for _, _, vehicle in parsed if vehicle}
        vins = {vehicle["vin"] for _, _, vehicle in parsed if vehicle and vehicle.get("vin")}
        customer_by_mobile: dict[str, str] = dict(session.execute(
            select(Customer.mobile, Customer.id).where(Customer.mobile.in_(mobiles))).tuples().all()) if mobiles else {}
        owner_by_plate: dict[str, str] = dict(session.execute(select(Vehicle.plate, Vehicle.customer_id).where(
            Vehicle.plate.in_(plates))).tuples().all()) if plates else {}
        owner_by_vin: dict[str | None, str] = dict(session.execute(
            select(Vehicle.vin, Vehicle.customer_id).where(Vehicle.vin.in_(vins))).tuples().all()) if vins else {}
        now = utcnow()
        new_customers, new_tags, new_vehicles, events = [], [], [], []
        for line, customer, vehicle in parsed:
            customer_id = customer_by_mobile.get(customer["mobile"])
            if customer_id is None:
                if vehicle and (owner_by_plate.get(vehicle["plate"]) or owner_by_vin.get(vehicle.get("vin"))):
                    self.totals.bad.append(BadRow(line, "plate or VIN already registered to another customer"))
                    continue
                customer_id = new_id()
                tags = list(dict.fromkeys(customer.pop("tags")))
                new_customers.append({**customer, "id": customer_id, "tier": "standard", "points": 0, "spend_fen": 0,
                                      "created_at": now, "updated_at": now})
                new_tags += [{"customer_id": customer_id, "tag": tag} for tag in tags]
                customer_by_mobile[customer["mobile"]] = customer_id
                self.totals.customers_created += 1
                if self.events:
                    events.append(("customer_registered", {
                        "customer_id": customer_id, "name": customer["name"],
                        "home_store_id": customer["home_store_id"],
                        "source": customer.get("source"), "marketing_consent": customer["marketing_consent"],
                        "tags": tags}, customer["home_store_id"]))
            else:
                self.totals.customers_existing += 1
            if vehicle is None:
                continue
            plate_owner, vin_owner = owner_by_plate.get(vehicle["plate"]), owner_by_vin.get(vehicle.get("vin"))
            if plate_owner == customer_id and vin_owner in (None, customer_id):
                self.totals.vehicles_existing += 1
                continue
            if plate_owner is not None or vin_owner is not None:
                self.totals.bad.append(BadRow(line, "plate or VIN already registered to another customer"))
                continue
            vehicle_id = new_id()
            new_vehicles.append({**vehicle, "id": vehicle_id, "customer_id": customer_id, "created_at": now,
                                 "updated_at": now})
            owner_by_plate[vehicle["plate"]] = customer_id
            if vehicle.get("vin"):
                owner_by_vin[vehicle["vin"]] = customer_id
            self.totals.vehicles_created += 1
            if self.events:
                events.append(("vehicle_registered", {
                    "vehicle_id": vehicle_id, "customer_id": customer_id, "plate": vehicle["plate"],
                    "vin": vehicle.get("vin"), "make": vehicle.get("make"), "model": vehicle.get("model"),
                    "year": vehicle.get("year"), "mileage_km": vehicle["mileage_km"]}, None))
        for model, rows in ((Customer, new_customers), (CustomerTag, new_tags), (Vehicle, new_vehicles)):
            if rows:  # Core INSERTs of many rows (executemany), the customers first
                session.execute(insert(cast(Table, model.__table__)), rows)
        record_events(session, events)
