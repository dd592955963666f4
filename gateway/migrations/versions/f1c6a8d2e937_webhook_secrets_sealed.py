"""webhook secrets encrypted at rest (Fernet under WEBHOOK_SECRET_KEYS) and chain-wide subscriptions

Revision ID: f1c6a8d2e937
Revises: e8b2c5d07f41
Create Date: 2026-12-06 18:30:00.000000

The keys are read as gateway/partners/vault.py reads them (WEBHOOK_SECRET_KEYS, else the development key
file in DATA_DIR, made when missing outside production); spelled out here because a revision never
imports application code. Upgrade encrypts every secret, downgrade decrypts it.
"""
import os
from pathlib import Path

from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet


revision = 'f1c6a8d2e937'
down_revision = 'e8b2c5d07f41'
branch_labels = None
depends_on = None

subscriptions = sa.table('webhook_subscriptions', sa.column('id', sa.String), sa.column('secret', sa.String))


def _fernet() -> MultiFernet:
    keys = [part.strip() for part in os.environ.get('WEBHOOK_SECRET_KEYS', '').split(',') if part.strip()]
    if not keys:
        if os.environ.get('APP_ENV') == 'production':
            raise RuntimeError('WEBHOOK_SECRET_KEYS must be set to encrypt the webhook secrets')
        path = Path(os.environ.get('DATA_DIR', './var')) / 'webhook_secret_keys'
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, 'w') as handle:
                handle.write(Fernet.generate_key().decode())
        keys = [path.read_text().strip()]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _rewrite(change) -> None:
    connection = op.get_bind()
    for row in connection.execute(sa.select(subscriptions.c.id, subscriptions.c.secret)).all():
        connection.execute(subscriptions.update().where(subscriptions.c.id == row.id).values(secret=change(row.secret)))


def upgrade() -> None:
    with op.batch_alter_table('webhook_subscriptions') as batch:
        batch.alter_column('secret', existing_type=sa.String(length=100), type_=sa.String(length=300),
                           existing_nullable=False, comment='Fernet token of the signing secret')
        batch.add_column(sa.Column('chain_wide', sa.Boolean(), nullable=False, server_default=sa.false()))
    if op.get_bind().execute(sa.select(sa.func.count()).select_from(subscriptions)).scalar():
        fernet = _fernet()
        _rewrite(lambda secret: fernet.encrypt(secret.encode()).decode())


def downgrade() -> None:
    if op.get_bind().execute(sa.select(sa.func.count()).select_from(subscriptions)).scalar():
        fernet = _fernet()
        _rewrite(lambda token: fernet.decrypt(token.encode()).decode())
    with op.batch_alter_table('webhook_subscriptions') as batch:
        batch.drop_column('chain_wide')
        batch.alter_column('secret', existing_type=sa.String(length=300), type_=sa.String(length=100),
                           existing_nullable=False, comment=None)
