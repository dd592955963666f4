"""crm revision a4d6f8b0c2e5 on SQLite and PostgreSQL holding campaign messages: the upgrade gives each the store
it is of — its campaign's, a chain-wide campaign's the customer's home store — and the downgrade keeps the
messages."""
from __future__ import annotations

from sqlalchemy import text

from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from tests.support.made_up_rows import MadeUpRows

BEFORE, STORED = "c7e3a9d1f524", "a4d6f8b0c2e5"


def test_campaign_messages_get_their_store_and_keep_their_rows_on_downgrade(scratch_url):
    upgrade("crm", scratch_url, BEFORE)
    engine = make_engine(scratch_url)
    rows = MadeUpRows(engine)
    for _ in range(2):
        rows.fill()
    with engine.begin() as conn:
        [own, chain_wide] = conn.execute(text("SELECT id FROM campaigns ORDER BY id LIMIT 2")).scalars().all()
        conn.execute(text("UPDATE campaigns SET store_id = 'store-own' WHERE id = :id"), {"id": own})
        conn.execute(text("UPDATE campaigns SET store_id = NULL WHERE id = :id"), {"id": chain_wide})
        messages = conn.execute(text("SELECT id, customer_id FROM campaign_messages ORDER BY id")).all()
        assert len(messages) >= 2
        for (message_id, customer_id), campaign in zip(messages, [own, chain_wide], strict=False):
            conn.execute(text("UPDATE campaign_messages SET campaign_id = :campaign WHERE id = :id"),
                         {"campaign": campaign, "id": message_id})
            conn.execute(text("UPDATE customers SET home_store_id = 'store-home' WHERE id = :id"),
                         {"id": customer_id})
    upgrade("crm", scratch_url, STORED)
    with engine.connect() as conn:
        stores = conn.execute(text("SELECT store_id FROM campaign_messages ORDER BY id LIMIT 2")).scalars().all()
    assert stores == ["store-own", "store-home"]
    downgrade("crm", BEFORE, scratch_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM campaign_messages")).scalar() == len(messages)
    engine.dispose()
