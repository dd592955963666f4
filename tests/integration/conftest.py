from __future__ import annotations

import pytest

from services.common.migrate import upgrade


@pytest.fixture(scope="session")
def migrated(databases):
    """The private PostgreSQL databases, migrated to head."""
    for owner, url in databases.urls.items():
        upgrade(owner, url)
    return databases
