"""crm revision e5b7d9f1a326 (report subscriptions; an outbox message to a customer or to a subscription) on SQLite
and PostgreSQL holding data in every table: the upgrade keeps every message (SQLite rebuilds the table to let
`customer_id` be null); a scheduled report's message (no customer) is then written; the downgrade takes off that
message alone, with the column and the subscriptions, and keeps every message to a customer."""
from __future__ import annotations

from sqlalchemy import text

from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from tests.support.made_up_rows import MadeUpRows

BEFORE, REPORTS = "d9f1b3c5e702", "e5b7d9f1a326"


def messages(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(text("SELECT id, customer_id, dedupe_key FROM messages ORDER BY id")).all()


def test_report_subscriptions_upgrade_and_downgrade_keeping_the_customers_messages(scratch_url):
    upgrade("crm", scratch_url, BEFORE)
    engine = make_engine(scratch_url)
    MadeUpRows(engine).fill()
    held = messages(engine)
    assert held
    upgrade("crm", scratch_url, REPORTS)
    assert messages(engine) == held
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO report_subscriptions (id, user_id, store_id, scope_name, period, mobile, "
                          "created_at) VALUES ('sub1', 'u1', 's1', '天河店', 'daily', '13800138000', "
                          "CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO messages (id, customer_id, subscription_id, store_id, template, params, "
                          "marketing, channel, status, attempts, dedupe_key, created_at) VALUES ('zz-staff', NULL, "
                          "'sub1', 's1', 'staff_report', '{}', false, 'sms', 'queued', 0, 'report:sub1:2026-12-06', "
                          "CURRENT_TIMESTAMP)"))
    assert len(messages(engine)) == len(held) + 1
    downgrade("crm", BEFORE, scratch_url)
    assert messages(engine) == held
    with engine.connect() as conn:
        assert "subscription_id" not in conn.execute(text("SELECT * FROM messages")).keys()
    engine.dispose()
