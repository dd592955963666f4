"""The data migrations that end skills naming a level (sales 8a3d5e7f9c12, workshop b2c4e6a8d0f1): a
database that ran `make run` before holds the demo's brake job asking for `senior`, which no technician
can hold; after the upgrade it asks for anyone, on SQLite and PostgreSQL, other skills untouched."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from services.common.migrate import upgrade
from tests.support.infra import Databases

BEFORE = {"sales": "5b7e2c9d41a8", "workshop": "b3e7c1d9f5a2"}


def insert(conn, table: str, **values) -> None:
    """A row with `values` and a plain value in every other required column."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
    plain = {sa.String: "x", sa.Integer: 1, sa.Numeric: 1, sa.Boolean: False, sa.JSON: {},
             sa.DateTime: dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc), sa.Date: dt.date(2026, 11, 1)}
    row = dict(values)
    for column in reflected.columns:
        if column.name not in row and not column.nullable and column.server_default is None:
            row[column.name] = next(v for kind, v in plain.items() if isinstance(column.type, kind))
    conn.execute(sa.insert(reflected).values(**row))


def skills(conn, table: str) -> dict[str, str]:
    return dict(conn.execute(sa.text(f"SELECT id, skill FROM {table}")).all())


def check(urls: dict[str, str]) -> None:
    for owner, revision in BEFORE.items():
        upgrade(owner, urls[owner], revision)
    sales, workshop = sa.create_engine(urls["sales"]), sa.create_engine(urls["workshop"])
    with sales.begin() as conn:
        insert(conn, "labour_operations", id="op-brake", code="BRK-PAD-F", skill="senior")
        insert(conn, "labour_operations", id="op-oil", code="OIL-CHG", skill="maintenance")
    with workshop.begin() as conn:
        insert(conn, "work_orders", id="wo-1", order_id="o-1")
        insert(conn, "jobs", id="job-brake", work_order_id="wo-1", skill="master")
        insert(conn, "jobs", id="job-oil", work_order_id="wo-1", skill="maintenance")
    for owner in BEFORE:
        upgrade(owner, urls[owner])
    with sales.connect() as conn:
        assert skills(conn, "labour_operations") == {"op-brake": "general", "op-oil": "maintenance"}
    with workshop.connect() as conn:
        assert skills(conn, "jobs") == {"job-brake": "general", "job-oil": "maintenance"}
    sales.dispose()
    workshop.dispose()


def test_on_sqlite(tmp_path):
    check({owner: f"sqlite:///{tmp_path / owner}.db" for owner in BEFORE})


@pytest.fixture
def private_databases():
    databases = Databases().create()
    yield databases
    databases.drop()


def test_on_postgresql(private_databases):
    check(private_databases.urls)
