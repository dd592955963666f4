"""customers found by any part of a plate, a phone number or a name

On PostgreSQL pg_trgm GIN indexes serve `ILIKE '%…%'` over the customers' names and mobile numbers
and the vehicles' plates (a chain's millions of them); on SQLite they are plain indexes. The extension
is created if missing (pg_trgm is a trusted extension: the database's owner may create it) and left in
place by the downgrade (other schemas may use it).

Revision ID: b7d3f1a9c254
Revises: 29d5a3318e57
Create Date: 2026-12-06 12:15:00
"""
from alembic import op

revision = 'b7d3f1a9c254'
down_revision = '29d5a3318e57'
branch_labels = None
depends_on = None

INDEXES = {"ix_customers_search": ("customers", ["name", "mobile"]), "ix_vehicles_search": ("vehicles", ["plate"])}


def trigram_ops(conn) -> str:
    """pg_trgm's GIN operator class, named with the schema the extension is in (which need not be on
    the search path)."""
    conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema = conn.exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'").scalar()
    return f"{schema}.gin_trgm_ops"


def upgrade() -> None:
    conn = op.get_bind()
    ops = trigram_ops(conn) if conn.dialect.name == "postgresql" else None
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, postgresql_using="gin", postgresql_ops=dict.fromkeys(columns, ops))


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
