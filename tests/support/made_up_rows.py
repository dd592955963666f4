"""Made-up rows for every table of a database, generated from its reflected schema (whatever revision
it is at), and the check that none of them is lost: the data the migration tests upgrade and
downgrade. A row's foreign keys point at a row of its parent made in the same round (parents are
filled first) or any row already there; every number of a row is the same positive number (within
the narrowest numeric column's range), so checks such as `reserved >= 0 AND reserved <= on_hand`
hold, except numbers that must be unique; strings, dates and times are unique per row."""
from __future__ import annotations

import itertools
import uuid
import warnings
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, MetaData, Table, exc, func, select

from gateway.config import webhook_secret_keys
from gateway.partners.vault import Vault

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
SKIPPED = frozenset({"alembic_version"})
SEALED = frozenset({("webhook_subscriptions", "secret")})
"""Columns that hold Fernet tokens under the configured keys (gateway/partners/vault.py), which a revision
opens (gateway f1c6a8d2e937's downgrade): a made-up row holds one too (100 characters for a short text)."""


def _base36(n: int) -> str:
    text = ""
    while True:
        n, digit = divmod(n, 36)
        text = _DIGITS[digit] + text
        if not n:
            return text


def _capacity(column: sa.Column) -> int | None:
    """How many whole numbers a numeric column holds (None: not numeric, or as many as we need)."""
    kind = column.type
    if isinstance(kind, sa.SmallInteger):
        return 30_000
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Integer):
        return 10 ** ((kind.precision or 18) - (kind.scale or 0))
    return None


def _distinct(table: Table) -> set[str]:
    """The columns of the table's key and its unique constraints and indexes."""
    names = {column.name for column in table.primary_key.columns}
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            names |= {column.name for column in constraint.columns}
    for index in table.indexes:
        if index.unique:
            names |= {column.name for column in index.columns}
    return names


def made_up_value(column: sa.Column, n: int, number: int | None = None) -> Any:
    """A value of `column`'s type, distinct for every ordinal `n` where the type allows; a number
    column holds `number` (default `n`) within its range."""
    kind = column.type
    number = n if number is None else number
    if isinstance(kind, sa.Enum) and kind.enums:
        return kind.enums[n % len(kind.enums)]
    if isinstance(kind, sa.Boolean):
        return n % 2 == 0
    if isinstance(kind, (sa.Integer, sa.Numeric)):
        number %= _capacity(column) or number + 1  # unbounded: the number itself
        if isinstance(kind, sa.Integer):
            return number
        return Decimal(number) if kind.asdecimal else float(number)
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=n)
    if isinstance(kind, sa.Date):
        return date(2020, 1, 1) + timedelta(days=n)
    if isinstance(kind, sa.Time):
        return time(n // 60 % 24, n % 60)
    if isinstance(kind, sa.Interval):
        return timedelta(minutes=n)
    if isinstance(kind, sa.JSON):
        return {"made_up": n}
    if isinstance(kind, sa.LargeBinary):
        return _base36(n).encode()
    if isinstance(kind, sa.Uuid):
        return uuid.UUID(int=n) if kind.as_uuid else str(uuid.UUID(int=n))
    if isinstance(kind, sa.String) and (column.table.name, column.name) in SEALED:
        return Vault(webhook_secret_keys()).seal(_base36(n))
    if isinstance(kind, sa.String):
        text = _base36(n)
        length = kind.length or 0
        if not length:
            return f"{column.table.name}.{column.name} {n}"
        return column.name[: length - len(text)] + text if len(text) < length else text[-length:]
    raise TypeError(f"no made-up value for {column.table.name}.{column.name} of type {kind!r}")


def _generated_by_database(column: sa.Column, dialect: str) -> bool:
    """A single-column integer key the database numbers (SERIAL/IDENTITY; SQLite's INTEGER PRIMARY KEY)."""
    table = column.table
    if not column.primary_key or len(table.primary_key.columns) != 1 or column.foreign_keys:
        return False
    if dialect == "sqlite":
        return type(column.type).__name__ == "INTEGER"
    return isinstance(column.type, sa.Integer) and (column.server_default is not None or column.identity is not None)


class MadeUpRows:
    """The rows made in a database, by table (their primary keys), to prove that none was lost."""

    def __init__(self, engine: Engine, first: int = 1):
        self.engine = engine
        self.ordinals = itertools.count(first)
        self.kept: dict[str, list[dict[str, Any]]] = {}
        self.rounds = 0

    def reflect(self) -> MetaData:
        metadata = MetaData()
        with warnings.catch_warnings():  # cycles of foreign keys: sorted_tables warns and breaks them
            warnings.simplefilter("ignore", exc.SAWarning)
            metadata.reflect(self.engine)
        return metadata

    def tables(self) -> list[Table]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", exc.SAWarning)
            return [table for table in self.reflect().sorted_tables if table.name not in SKIPPED]

    def check_and_fill(self) -> dict[str, str]:
        """After a migration: what it lost (`lost`), then a new row in every table (`fill`)."""
        tables = self.tables()
        missing = self.lost(tables)
        self.fill(tables)
        return missing

    def fill(self, tables: list[Table] | None = None) -> None:
        """One new row in every table, parents first; every other round leaves the nullable columns NULL
        (as real rows do: a revision that makes a column NOT NULL must fill it first)."""
        self.rounds += 1
        made: dict[str, dict[str, Any]] = {}
        for table in self.tables() if tables is None else tables:
            made[table.name] = self._insert(table, made)
            key = {column.name: made[table.name][column.name] for column in table.primary_key.columns}
            self.kept.setdefault(table.name, []).append(key)

    def forget(self, tables) -> None:
        """Rows a revision may replace (tables it recomputes from others)."""
        for name in tables:
            self.kept.pop(name, None)

    def lost(self, tables: list[Table] | None = None) -> dict[str, str]:
        """What is missing of the rows made, in the tables there still are (a table dropped by the
        revision goes with its rows; it is forgotten)."""
        present = {table.name: table for table in (self.tables() if tables is None else tables)}
        for name in set(self.kept) - set(present):
            del self.kept[name]
        missing = {}
        with self.engine.connect() as connection:
            for name, keys in self.kept.items():
                table = present[name]
                if keys[0] and all(column in table.c for column in keys[0]):
                    found = connection.scalar(select(func.count()).select_from(table).where(sa.or_(*(
                        sa.and_(*(table.c[column] == value for column, value in key.items())) for key in keys))))
                else:  # no key, or its key changed: count what is there
                    found = connection.scalar(select(func.count()).select_from(table))
                if found < len(keys):
                    missing[name] = f"{len(keys) - found} of the {len(keys)} rows made are gone"
        return missing

    def _insert(self, table: Table, made: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Insert a made-up row, every column filled or the nullable ones NULL as the round has it, the
        other way if that fails a check."""
        failures = []
        for nullables in (True, False) if self.rounds % 2 else (False, True):
            row = self._row(table, made, nullables)
            try:
                with self.engine.begin() as connection:
                    result = connection.execute(table.insert().values(row))
                    key = result.inserted_primary_key
            except (exc.IntegrityError, exc.DataError) as error:
                failures.append(str(error.orig).strip())
                continue
            return row | {column.name: value for column, value in zip(table.primary_key.columns, key, strict=True)}
        raise AssertionError(f"cannot make up a row of {table.name}: {failures}")

    def _row(self, table: Table, made: dict[str, dict[str, Any]], nullables: bool) -> dict[str, Any]:
        n = next(self.ordinals)
        dialect = self.engine.dialect.name
        columns = [column for column in table.columns
                   if column.computed is None and not _generated_by_database(column, dialect)
                   and (nullables or not column.nullable or column.primary_key)]
        distinct = _distinct(table)
        narrowest = min(filter(None, (_capacity(column) for column in columns if column.name not in distinct)),
                        default=None)
        shared = n % max(narrowest - 1, 1) + 1 if narrowest else n
        row = {column.name: made_up_value(column, n, n if column.name in distinct else shared) for column in columns}
        for constraint in table.foreign_key_constraints:
            row.update(self._parent_key(table, constraint, made, row, nullables))
        return row

    def _parent_key(self, table: Table, constraint: sa.ForeignKeyConstraint, made, row, nullables) -> dict:
        """The foreign key's columns: the parent row made in this round, else one already there, else (a
        table pointing at itself) the row itself; NULL where the key may be and `nullables` is off."""
        pairs = [(element.parent.name, element.column.name) for element in constraint.elements]
        nullable = all(table.c[name].nullable for name, _ in pairs)
        referred = constraint.referred_table
        parent = made.get(referred.name) or self._any_row(referred, [name for _, name in pairs])
        if parent is None and referred is table and all(name in row for _, name in pairs):
            parent = row
        if parent is None or nullable and not nullables:
            if not nullable:
                raise AssertionError(f"{table.name}: no row of {referred.name} to point at")
            return {name: None for name, _ in pairs}
        return {name: parent[referred_name] for name, referred_name in pairs}

    def _any_row(self, table: Table, columns: list[str]) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            found = connection.execute(select(*(table.c[name] for name in columns)).limit(1)).first()
        return dict(zip(columns, found, strict=True)) if found else None
