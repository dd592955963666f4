"""gateway revision b7d41e0c9a52 (users.token_version) on SQLite and PostgreSQL holding users with
store memberships: the upgrade gives every user version 0 (their tokens stay valid), the downgrade
drops the column; neither touches a user or a membership (no table rebuild)."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from services.common.migrate import alembic_config

BEFORE, TOKEN_VERSION = "68f3bda3e161", "b7d41e0c9a52"


def rows(engine) -> tuple[list, list]:
    with engine.connect() as conn:
        return (conn.execute(text("SELECT id, username, role FROM users ORDER BY id")).all(),
                conn.execute(text("SELECT user_id, store_id FROM user_stores ORDER BY user_id")).all())


def users_with_memberships(url: str, before: str):
    """The gateway's database at revision `before` holding two users of one store: (alembic config, engine)."""
    config = alembic_config("gateway", url)
    command.upgrade(config, before)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO stores (id, code, name, timezone, created_at) "
                          "VALUES ('s1', 'GZ1', '广州店', 'Asia/Shanghai', CURRENT_TIMESTAMP)"))
        for user in ("u1", "u2"):
            conn.execute(text("INSERT INTO users (id, username, password_hash, role, active, created_at, updated_at) "
                              "VALUES (:id, :id, 'h', 'cashier', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                         {"id": user})
            conn.execute(text("INSERT INTO user_stores (user_id, store_id) VALUES (:id, 's1')"), {"id": user})
    return config, engine


def test_the_token_version_upgrades_and_downgrades_with_users_and_memberships(scratch_url):
    config, engine = users_with_memberships(scratch_url, BEFORE)
    held = rows(engine)
    command.upgrade(config, TOKEN_VERSION)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT token_version FROM users")).scalars().all() == [0, 0]
    assert rows(engine) == held
    command.downgrade(config, BEFORE)
    with engine.connect() as conn:
        assert "token_version" not in conn.execute(text("SELECT * FROM users")).keys()
    assert rows(engine) == held
    engine.dispose()
