"""gateway revision a3e5c7f9b214 (users.mobile) on SQLite and PostgreSQL holding users with store
memberships: the upgrade leaves every user without a mobile, one can then be set; the downgrade drops the
column; neither touches a user or a membership (no table rebuild)."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from services.common.migrate import alembic_config

BEFORE, MOBILE = "f1c6a8d2e937", "a3e5c7f9b214"


def rows(engine) -> tuple[list, list]:
    with engine.connect() as conn:
        return (conn.execute(text("SELECT id, username, role FROM users ORDER BY id")).all(),
                conn.execute(text("SELECT user_id, store_id FROM user_stores ORDER BY user_id")).all())


def test_the_users_mobile_upgrades_and_downgrades_with_users_and_memberships(scratch_url):
    url = scratch_url
    config = alembic_config("gateway", url)
    command.upgrade(config, BEFORE)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO stores (id, code, name, timezone, created_at) "
                          "VALUES ('s1', 'GZ1', '广州店', 'Asia/Shanghai', CURRENT_TIMESTAMP)"))
        for user in ("u1", "u2"):
            conn.execute(text("INSERT INTO users (id, username, password_hash, role, active, created_at, updated_at) "
                              "VALUES (:id, :id, 'h', 'cashier', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                         {"id": user})
            conn.execute(text("INSERT INTO user_stores (user_id, store_id) VALUES (:id, 's1')"), {"id": user})
    held = rows(engine)
    command.upgrade(config, MOBILE)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT mobile FROM users")).scalars().all() == [None, None]
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET mobile = '13800138000' WHERE id = 'u1'"))
    assert rows(engine) == held
    command.downgrade(config, BEFORE)
    with engine.connect() as conn:
        assert "mobile" not in conn.execute(text("SELECT * FROM users")).keys()
    assert rows(engine) == held
    engine.dispose()
