from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from services.common.migrate import upgrade
from tests.support.infra import PG_ADMIN_URL, unique_name


@pytest.fixture(scope="session")
def migrated(databases):
    """The private PostgreSQL databases, migrated to head."""
    for owner, url in databases.urls.items():
        upgrade(owner, url)
    return databases


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_url(request, tmp_path):
    """An empty database, once on SQLite and once on PostgreSQL (created and dropped around the test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = unique_name("t_scratch")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
