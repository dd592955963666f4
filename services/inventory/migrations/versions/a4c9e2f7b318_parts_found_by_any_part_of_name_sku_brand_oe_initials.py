"""parts found by any part of their name, SKU, brand, OE number or pinyin initials

`parts.name_initials` holds the pinyin initials of the name's Chinese (`刹车片` → `scp`), kept by the
model on every write of the name and filled here for the parts already there, computed with pypinyin
itself (as `services/common/search.py` does; a revision imports no application code). On PostgreSQL
one pg_trgm GIN index over the searched columns serves `ILIKE '%…%'`; it replaces the name's prefix
index, which it also serves. The extension is created if missing (pg_trgm is a trusted extension: the
database's owner may create it) and left in place by the downgrade (other schemas may use it).

Revision ID: a4c9e2f7b318
Revises: 8e3f5a0c2d71
Create Date: 2026-12-06 12:10:00
"""
import sqlalchemy as sa
from alembic import op
from pypinyin import Style, lazy_pinyin

revision = 'a4c9e2f7b318'
down_revision = '8e3f5a0c2d71'
branch_labels = None
depends_on = None

SEARCH = ["sku", "name", "brand", "oe_number", "name_initials"]
parts = sa.table("parts", sa.column("id", sa.String), sa.column("name", sa.String),
                 sa.column("name_initials", sa.String))


def initials(name: str) -> str:
    letters = lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors=lambda _other: " ")
    return " ".join("".join(letters).split())


def trigram_ops(conn) -> str:
    """pg_trgm's GIN operator class, named with the schema the extension is in (which need not be on
    the search path)."""
    conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema = conn.exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'").scalar()
    return f"{schema}.gin_trgm_ops"


def upgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table("parts") as batch_op:
        batch_op.add_column(sa.Column("name_initials", sa.String(length=120), nullable=True))
    rows = [{"part_id": part_id, "initials": initials(name)}
            for part_id, name in conn.execute(sa.select(parts.c.id, parts.c.name)).all()]
    if rows:
        conn.execute(parts.update().where(parts.c.id == sa.bindparam("part_id"))
                     .values(name_initials=sa.bindparam("initials")), rows)
    with op.batch_alter_table("parts") as batch_op:
        batch_op.alter_column("name_initials", existing_type=sa.String(length=120), nullable=False)
        batch_op.drop_index("ix_parts_name_prefix")
    ops = trigram_ops(conn) if conn.dialect.name == "postgresql" else None
    op.create_index("ix_parts_search", "parts", SEARCH, postgresql_using="gin",
                    postgresql_ops=dict.fromkeys(SEARCH, ops))


def downgrade() -> None:
    op.drop_index("ix_parts_search", table_name="parts")
    with op.batch_alter_table("parts") as batch_op:
        batch_op.create_index("ix_parts_name_prefix", ["name"], postgresql_ops={"name": "text_pattern_ops"})
        batch_op.drop_column("name_initials")
