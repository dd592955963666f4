"""Every owner's migration history applies cleanly on SQLite and PostgreSQL and leaves a
schema identical to its models."""
from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.common.db import make_engine
from services.common.migrate import OWNERS, upgrade


def metadata_of(owner: str):
    module = "gateway.models" if owner == "gateway" else f"services.{owner}.models"
    return importlib.import_module(module).Base.metadata


def assert_matches_models(url: str, owner: str) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata_of(owner))
    engine.dispose()
    assert diff == [], f"{owner}: models and migrations differ: {diff}"


@pytest.mark.parametrize("owner", OWNERS)
def test_migrations_apply_on_sqlite(owner, tmp_path):
    url = f"sqlite:///{tmp_path / owner}.db"
    upgrade(owner, url)
    upgrade(owner, url)  # a second run is a no-op
    assert_matches_models(url, owner)


@pytest.mark.parametrize("owner", OWNERS)
def test_migrations_apply_on_postgresql(owner, migrated):
    assert_matches_models(migrated.urls[owner], owner)


def test_a_url_encoded_password_survives_alembic_config():
    from services.common.migrate import alembic_config
    url = "postgresql+psycopg2://app:p%40ss%25word@db:5432/crm"
    assert alembic_config("crm", url).get_main_option("sqlalchemy.url") == url
