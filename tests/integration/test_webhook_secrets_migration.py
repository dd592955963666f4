"""gateway revision f1c6a8d2e937 on SQLite and PostgreSQL holding webhooks: the upgrade seals every signing
secret with the first key of WEBHOOK_SECRET_KEYS (what the deliverer opens) and makes them store-scoped
(not chain-wide); the downgrade opens them again; deliveries are untouched both ways."""
from __future__ import annotations

from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from gateway.partners.vault import Vault
from services.common.migrate import alembic_config

BEFORE, SEALED = "e8b2c5d07f41", "f1c6a8d2e937"
SECRETS = {"w1": "first-partners-secret-0123456789", "w2": "second-partners-secret-987654321"}


def test_webhook_secrets_are_sealed_on_upgrade_and_opened_on_downgrade(scratch_url, monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("WEBHOOK_SECRET_KEYS", key)
    config = alembic_config("gateway", scratch_url)
    command.upgrade(config, BEFORE)
    engine = create_engine(scratch_url)
    with engine.begin() as conn:
        for webhook_id, secret in SECRETS.items():
            conn.execute(text("INSERT INTO webhook_subscriptions (id, url, event_types, store_ids, secret, created_by, "
                              "created_at, failures) VALUES (:id, 'https://partner.example/hook', "
                              "'[\"crm.customer_registered\"]', '[\"s1\"]', :secret, 'u1', CURRENT_TIMESTAMP, 0)"),
                         {"id": webhook_id, "secret": secret})
        conn.execute(text("INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, body, status, "
                          "attempts, created_at) VALUES ('d1', 'w1', 'evt-1', 'crm.customer_registered', '{}', "
                          "'delivered', 1, CURRENT_TIMESTAMP)"))

    def read(query: str) -> list:
        with engine.connect() as conn:
            return conn.execute(text(query)).all()

    deliveries = read("SELECT * FROM webhook_deliveries")
    command.upgrade(config, SEALED)
    sealed = dict(read("SELECT id, secret FROM webhook_subscriptions ORDER BY id"))
    assert set(sealed.values()).isdisjoint(SECRETS.values())
    assert {webhook_id: Vault((key,)).open(token) for webhook_id, token in sealed.items()} == SECRETS
    assert [bool(chain) for (chain,) in read("SELECT chain_wide FROM webhook_subscriptions")] == [False, False]
    assert read("SELECT * FROM webhook_deliveries") == deliveries
    command.downgrade(config, BEFORE)
    assert dict(read("SELECT id, secret FROM webhook_subscriptions ORDER BY id")) == SECRETS
    assert "chain_wide" not in read("SELECT * FROM webhook_subscriptions")[0]._fields
    assert read("SELECT * FROM webhook_deliveries") == deliveries
    engine.dispose()
