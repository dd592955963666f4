"""opening stock value for the books

From this revision every change of stock value is announced to finance (`inventory.stock_valued`).
Stock already held enters the books as one opening event per store, written into the outbox (the
relay publishes it when inventory starts): its value is the store's stock value plus what finance has
already credited to 1405 for work-order issues (`stock_issued`, the only stock fact booked before), so
that 1405 ends equal to the valuation; goods shipped to the store and not yet received enter 1402.
Self-contained: plain SQL over `sa.table` literals, the envelope written out by hand.

Downgrade deletes the opening events not yet sent; one already sent is in finance's books (reverse
that entry there, source_type `stock_opening`).

Revision ID: 8e3f5a0c2d71
Revises: 1fd09d860e59
Create Date: 2026-12-06 09:30:00
"""
import json
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '8e3f5a0c2d71'
down_revision = '1fd09d860e59'
branch_labels = None
depends_on = None

REFERENCE = "opening-8e3f5a0c2d71"
levels = sa.table("stock_levels", sa.column("store_id", sa.String), sa.column("value_fen", sa.Integer))
movements = sa.table("stock_movements", sa.column("store_id", sa.String), sa.column("kind", sa.String),
                     sa.column("value_fen", sa.Integer))
transfers = sa.table("transfers", sa.column("id", sa.String), sa.column("to_store_id", sa.String),
                     sa.column("status", sa.String))
transfer_lines = sa.table("transfer_lines", sa.column("transfer_id", sa.String),
                          sa.column("shipped_value_fen", sa.Integer))
outbox = sa.table("outbox", sa.column("event_id", sa.String), sa.column("type", sa.String),
                  sa.column("envelope", sa.JSON), sa.column("created_at", sa.DateTime(timezone=True)),
                  sa.column("sent_at", sa.DateTime(timezone=True)), sa.column("attempts", sa.Integer))


def _per_store(conn, query) -> dict:
    return {store_id: int(value or 0) for store_id, value in conn.execute(query)}


def upgrade() -> None:
    conn = op.get_bind()
    value = _per_store(conn, sa.select(levels.c.store_id, sa.func.sum(levels.c.value_fen))
                       .group_by(levels.c.store_id))
    issued = _per_store(conn, sa.select(movements.c.store_id, -sa.func.sum(movements.c.value_fen))
                        .where(movements.c.kind == "issue").group_by(movements.c.store_id))
    in_transit = _per_store(conn, sa.select(transfers.c.to_store_id, sa.func.sum(transfer_lines.c.shipped_value_fen))
                            .select_from(transfers.join(transfer_lines, transfer_lines.c.transfer_id == transfers.c.id))
                            .where(transfers.c.status == "shipped").group_by(transfers.c.to_store_id))
    now = datetime.now(timezone.utc)
    for store_id in sorted(set(value) | set(issued) | set(in_transit)):
        opening = value.get(store_id, 0) + issued.get(store_id, 0)
        if not opening and not in_transit.get(store_id):
            continue
        envelope = {"event_id": str(uuid.uuid4()), "type": "inventory.stock_valued", "version": 1,
                    "occurred_at": now.isoformat(), "store_id": store_id, "request_id": None, "actor": None,
                    "payload": {"store_id": store_id, "kind": "opening", "reference_type": "migration",
                                "reference_id": REFERENCE, "value_fen": opening, "lines": [],
                                "in_transit_fen": in_transit.get(store_id, 0)}}
        conn.execute(outbox.insert().values(event_id=envelope["event_id"], type="stock_valued",
                                            envelope=envelope, created_at=now,
                                            attempts=0))


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(outbox.c.event_id, outbox.c.envelope)
                        .where(outbox.c.type == "stock_valued", outbox.c.sent_at.is_(None))).all()
    for event_id, envelope in rows:
        envelope = json.loads(envelope) if isinstance(envelope, str) else envelope
        if envelope["payload"].get("reference_id") == REFERENCE:
            conn.execute(outbox.delete().where(outbox.c.event_id == event_id))
