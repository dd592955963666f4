"""opening hours, one bay per car, one open visit per car and store

Revision ID: 5b7d2e9c1a04
Revises: 14f9eb75a469
Create Date: 2026-12-06 09:30:00

Existing duplicates are kept, not deleted: a car's extra active appointments in one slot are
cancelled (the earliest booking stays), and of a car's visits at a store all but the newest are
closed at their check-in time.
"""
from alembic import op
import sqlalchemy as sa


revision = '5b7d2e9c1a04'
down_revision = '14f9eb75a469'
branch_labels = None
depends_on = None

ACTIVE = "state IN ('booked', 'arrived')"
DUPLICATE_NOTE = "取消: 重复预约（同一辆车同一时段只占一个工位）"

appointments = sa.table('appointments', sa.column('id', sa.String), sa.column('customer_id', sa.String),
                        sa.column('vehicle_id', sa.String), sa.column('slot_start', sa.DateTime),
                        sa.column('state', sa.String), sa.column('notes', sa.Text),
                        sa.column('created_at', sa.DateTime))
visits = sa.table('visits', sa.column('id', sa.String), sa.column('store_id', sa.String),
                  sa.column('vehicle_id', sa.String), sa.column('checked_in_at', sa.DateTime),
                  sa.column('closed_at', sa.DateTime))


def _cancel_duplicate_bookings(bind) -> None:
    rows = bind.execute(sa.select(appointments.c.id, appointments.c.customer_id, appointments.c.vehicle_id,
                                  appointments.c.slot_start, appointments.c.notes)
                        .where(appointments.c.state.in_(('booked', 'arrived')))
                        .order_by(appointments.c.created_at, appointments.c.id)).all()
    seen = set()
    for row in rows:
        holder = ('vehicle', row.vehicle_id) if row.vehicle_id else ('customer', row.customer_id)
        if (holder, row.slot_start) not in seen:
            seen.add((holder, row.slot_start))
            continue
        notes = f"{row.notes}\n{DUPLICATE_NOTE}" if row.notes else DUPLICATE_NOTE
        bind.execute(appointments.update().where(appointments.c.id == row.id)
                     .values(state='cancelled', notes=notes))


def _close_older_visits(bind) -> None:
    rows = bind.execute(sa.select(visits.c.id, visits.c.store_id, visits.c.vehicle_id, visits.c.checked_in_at)
                        .where(visits.c.vehicle_id.is_not(None))
                        .order_by(visits.c.checked_in_at.desc(), visits.c.id.desc())).all()
    newest = set()
    for row in rows:
        if (row.store_id, row.vehicle_id) not in newest:
            newest.add((row.store_id, row.vehicle_id))
            continue
        bind.execute(visits.update().where(visits.c.id == row.id).values(closed_at=row.checked_in_at))


def upgrade() -> None:
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opens_at', sa.Time(), nullable=False, server_default=sa.text("'08:30:00'"),
                                      comment='first slot, store time; the same every day'))
        batch_op.add_column(sa.Column('closes_at', sa.Time(), nullable=False, server_default=sa.text("'18:00:00'"),
                                      comment='the last slot ends by then, store time'))
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True,
                                      comment='the car left (delivered, or the day ended)'))
    bind = op.get_bind()
    _cancel_duplicate_bookings(bind)
    _close_older_visits(bind)
    op.create_index('uq_appointments_vehicle_slot', 'appointments', ['vehicle_id', 'slot_start'], unique=True,
                    postgresql_where=sa.text(f"{ACTIVE} AND vehicle_id IS NOT NULL"),
                    sqlite_where=sa.text(f"{ACTIVE} AND vehicle_id IS NOT NULL"))
    op.create_index('uq_appointments_customer_slot', 'appointments', ['customer_id', 'slot_start'], unique=True,
                    postgresql_where=sa.text(f"{ACTIVE} AND vehicle_id IS NULL"),
                    sqlite_where=sa.text(f"{ACTIVE} AND vehicle_id IS NULL"))
    op.create_index('uq_visits_open_vehicle', 'visits', ['store_id', 'vehicle_id'], unique=True,
                    postgresql_where=sa.text("closed_at IS NULL AND vehicle_id IS NOT NULL"),
                    sqlite_where=sa.text("closed_at IS NULL AND vehicle_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index('uq_visits_open_vehicle', table_name='visits')
    op.drop_index('uq_appointments_customer_slot', table_name='appointments')
    op.drop_index('uq_appointments_vehicle_slot', table_name='appointments')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.drop_column('closes_at')
        batch_op.drop_column('opens_at')
