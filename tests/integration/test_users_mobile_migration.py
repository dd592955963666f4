"""gateway revision a3e5c7f9b214 (users.mobile) on SQLite and PostgreSQL holding users with store
memberships: the upgrade leaves every user without a mobile, one can then be set; the downgrade drops the
column; neither touches a user or a membership (no table rebuild)."""
from __future__ import annotations

from alembic import command
from sqlalchemy import text

from tests.integration.test_token_version_migration import rows, users_with_memberships

BEFORE, MOBILE = "f1c6a8d2e937", "a3e5c7f9b214"


def test_the_users_mobile_upgrades_and_downgrades_with_users_and_memberships(scratch_url):
    config, engine = users_with_memberships(scratch_url, BEFORE)
    held = rows(engine)
    command.upgrade(config, MOBILE)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT mobile FROM users")).scalars().all() == [None, None]
        conn.execute(text("UPDATE users SET mobile = '13800138000' WHERE id = 'u1'"))
    assert rows(engine) == held
    command.downgrade(config, BEFORE)
    with engine.connect() as conn:
        assert "mobile" not in conn.execute(text("SELECT * FROM users")).keys()
    assert rows(engine) == held
    engine.dispose()
