"""Card liabilities read from indexes: a package card keeps its items' unredeemed value summed (filled from the
items), the open cards are indexed by kind and store with their balances and that value, an account's lines by
store with their amounts (2205 and 2206 without the rest of the journal)

Revision ID: e9a3b5c7d2f4
Revises: d8f2a4c6e1b3
Create Date: 2026-12-07 22:40:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = 'e9a3b5c7d2f4'
down_revision = 'd8f2a4c6e1b3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('member_cards') as batch:
        batch.add_column(sa.Column('package_value_fen', sa.BigInteger(), server_default='0', nullable=False,
                                   comment="package: its items' unredeemed value, summed"))
    op.execute("UPDATE member_cards SET package_value_fen = (SELECT COALESCE(SUM(i.value_left_fen), 0) "
               "FROM package_items i WHERE i.card_id = member_cards.id) WHERE kind = 'package'")
    op.create_index('ix_member_cards_open', 'member_cards', ['kind', 'store_id'], unique=False,
                    postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"),
                    postgresql_include=['paid_balance_fen', 'bonus_balance_fen', 'package_value_fen'])
    op.create_index('ix_journal_lines_account_store', 'journal_lines', ['account', 'store_id'], unique=False,
                    postgresql_include=['debit_fen', 'credit_fen'])


def downgrade() -> None:
    op.drop_index('ix_journal_lines_account_store', table_name='journal_lines')
    op.drop_index('ix_member_cards_open', table_name='member_cards')
    with op.batch_alter_table('member_cards') as batch:
        batch.drop_column('package_value_fen')
