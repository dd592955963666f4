"""Every owner's migration history, on SQLite and PostgreSQL, walked revision by revision from base
to head and back with made-up rows in every table: after each step no row made before is lost, and
another row goes into every table there is then (so each revision meets data in every table it
alters); and, as a store upgrades, from the first revision to head and back in one run each. At
head the schema is its models'. Any new revision is walked without a change here; one
that recomputes a table from others says so in `rebuilt_tables` (its rows are replaced, not kept), and one whose
downgrade must drop rows the older schema cannot hold in `dropped_by_downgrade` (that table is not checked at
that step: its own data test says which rows go)."""
from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import Script

from services.common.db import make_engine
from services.common.migrate import OWNERS, alembic_config, downgrade, script_directory, upgrade
from tests.support.infra import unique_name
from tests.support.made_up_rows import SKIPPED, MadeUpRows


def metadata_of(owner: str):
    module = "gateway.models" if owner == "gateway" else f"services.{owner}.models"
    return importlib.import_module(module).Base.metadata


def assert_matches_models(url: str, owner: str) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata_of(owner))
    engine.dispose()
    assert diff == [], f"{owner}: models and migrations differ: {diff}"


def history(owner: str) -> list[Script]:
    """The owner's revisions, base first (any order in which every revision follows its parents)."""
    script = script_directory(owner)
    assert len(script.get_heads()) == 1, f"{owner} has several heads {script.get_heads()}: merge them"
    return list(reversed(list(script.walk_revisions())))


def step_down(revision: Script) -> str:
    """The downgrade target that takes off exactly `revision`, a head of the database: a merge point
    goes back to one parent (the others stay heads), any other revision one step on its branch."""
    if isinstance(revision.down_revision, tuple):
        return revision.down_revision[0]
    return f"{revision.revision}@-1"


def walk(owner: str, url: str) -> None:
    engine = make_engine(url)
    rows = MadeUpRows(engine)
    revisions = history(owner)
    try:
        for revision in revisions:
            upgrade(owner, url, revision.revision)
            rows.forget(getattr(revision.module, "rebuilt_tables", ()))
            assert rows.check_and_fill() == {}, f"{owner}: upgrade to {revision.revision} lost rows"
        assert_matches_models(url, owner)
        for revision in reversed(revisions):
            downgrade(owner, step_down(revision), url)
            rows.forget(getattr(revision.module, "dropped_by_downgrade", ()))
            assert rows.check_and_fill() == {}, f"{owner}: downgrade of {revision.revision} lost rows"
        assert set(rows.reflect().tables) <= SKIPPED, f"{owner}: base still has tables"
    finally:
        engine.dispose()


def jump(owner: str, url: str) -> None:
    """What a store does: from its first revision to head in one run, and back in one run."""
    engine = make_engine(url)
    rows = MadeUpRows(engine)
    first, *later = history(owner)
    try:
        upgrade(owner, url, first.revision)
        rows.fill()
        upgrade(owner, url)
        rows.forget(name for revision in later for name in getattr(revision.module, "rebuilt_tables", ()))
        assert rows.check_and_fill() == {}, f"{owner}: upgrade from {first.revision} to head lost rows"
        downgrade(owner, first.revision, url)
        assert rows.lost() == {}, f"{owner}: downgrade from head to {first.revision} lost rows"
    finally:
        engine.dispose()


@pytest.fixture
def empty_schema(databases):
    """`url(owner)`: a schema of its own in the owner's database, first on the search path (the
    session's databases go to head for other tests)."""
    made = []

    def url(owner: str) -> str:
        name = unique_name("walk")
        engine = make_engine(databases.urls[owner])
        with engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {name}")
        made.append((engine, name))
        return f"{databases.urls[owner]}?options=-csearch_path%3D{name}"

    yield url
    for engine, name in made:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
        engine.dispose()


@pytest.mark.parametrize("move", [walk, jump])
@pytest.mark.parametrize("owner", OWNERS)
def test_every_revision_upgrades_and_downgrades_sqlite_holding_data(owner, move, tmp_path):
    move(owner, f"sqlite:///{tmp_path / owner}.db")


@pytest.mark.parametrize("move", [walk, jump])
@pytest.mark.parametrize("owner", OWNERS)
def test_every_revision_upgrades_and_downgrades_postgresql_holding_data(owner, move, empty_schema):
    move(owner, empty_schema(owner))


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
    url = "postgresql+psycopg2://app:p%40ss%25word@db:5432/crm"
    assert alembic_config("crm", url).get_main_option("sqlalchemy.url") == url
