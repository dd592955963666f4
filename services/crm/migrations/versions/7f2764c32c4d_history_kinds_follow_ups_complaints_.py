"""history kinds, follow-ups, complaints, reminders, membership, campaigns, audit

Revision ID: 7f2764c32c4d
Revises: 111e8af736c0
Create Date: 2026-11-26 15:06:04.569804
"""
from alembic import op
import sqlalchemy as sa


revision = '7f2764c32c4d'
down_revision = '111e8af736c0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing customers start as standard members with no recorded spend (server defaults)
    op.create_table('audit_log',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('customer_id', sa.String(length=26), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('user_id', sa.String(length=26), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('fields', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_customer', ['customer_id', 'id'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=26), nullable=True, comment='null: chain-wide (HQ)'),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('template', sa.Text(), nullable=False),
    sa.Column('segment', sa.JSON(), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('audience_count', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=26), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_campaigns_status_scheduled', ['status', 'scheduled_at'], unique=False)
        batch_op.create_index('ix_campaigns_store', ['store_id', 'id'], unique=False)

    op.create_table('service_intervals',
    sa.Column('service_type', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('months', sa.Integer(), nullable=True),
    sa.Column('km', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('service_type', name=op.f('pk_service_intervals'))
    )
    op.create_table('service_orders',
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('store_id', sa.String(length=26), nullable=False),
    sa.Column('customer_id', sa.String(length=26), nullable=False),
    sa.Column('vehicle_id', sa.String(length=26), nullable=True),
    sa.Column('op_codes', sa.JSON(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_service_orders'))
    )
    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_orders_customer_id'), ['customer_id'], unique=False)

    op.create_table('store_settings',
    sa.Column('store_id', sa.String(length=26), nullable=False),
    sa.Column('follow_up_delay_days', sa.Integer(), nullable=False),
    sa.Column('time_zone', sa.String(length=40), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('store_id', name=op.f('pk_store_settings'))
    )
    op.create_table('campaign_messages',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('campaign_id', sa.String(length=26), nullable=False),
    sa.Column('customer_id', sa.String(length=26), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_messages_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_campaign_messages_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_messages')),
    sa.UniqueConstraint('campaign_id', 'customer_id', name='uq_campaign_messages_campaign_customer')
    )
    with op.batch_alter_table('campaign_messages', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_messages_channel_sent', ['channel', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_messages_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_campaign_messages_status', ['status', 'channel', 'id'], unique=False)

    op.create_table('complaints',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=26), nullable=False),
    sa.Column('customer_id', sa.String(length=26), nullable=False),
    sa.Column('vehicle_id', sa.String(length=26), nullable=True),
    sa.Column('follow_up_id', sa.String(length=26), nullable=True),
    sa.Column('work_order_id', sa.String(length=40), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.String(length=26), nullable=True),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('compensation_fen', sa.BigInteger(), nullable=True),
    sa.Column('compensation_coupon', sa.String(length=100), nullable=True),
    sa.Column('created_by', sa.String(length=26), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_complaints_customer_id_customers')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_complaints_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_complaints_store_status', ['store_id', 'status', 'id'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=26), nullable=False),
    sa.Column('customer_id', sa.String(length=26), nullable=False),
    sa.Column('vehicle_id', sa.String(length=26), nullable=True),
    sa.Column('work_order_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=True),
    sa.Column('satisfaction', sa.SmallInteger(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('completed_by', sa.String(length=26), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('complaint_id', sa.String(length=26), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_follow_ups_customer_id_customers')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_follow_ups_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('work_order_id', name=op.f('uq_follow_ups_work_order_id'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_follow_ups_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_follow_ups_store_completed', ['store_id', 'completed_at'], unique=False)
        batch_op.create_index('ix_follow_ups_store_status_due', ['store_id', 'status', 'due_at'], unique=False)

    op.create_table('service_dues',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('vehicle_id', sa.String(length=26), nullable=False),
    sa.Column('customer_id', sa.String(length=26), nullable=False),
    sa.Column('store_id', sa.String(length=26), nullable=True),
    sa.Column('service_type', sa.String(length=40), nullable=False),
    sa.Column('last_done_on', sa.Date(), nullable=False),
    sa.Column('last_done_km', sa.Integer(), nullable=True),
    sa.Column('due_by_date', sa.Date(), nullable=True),
    sa.Column('due_km', sa.Integer(), nullable=True),
    sa.Column('due_by_km_on', sa.Date(), nullable=True, comment='estimated from the average daily km'),
    sa.Column('due_on', sa.Date(), nullable=False, comment='the earlier of the two'),
    sa.Column('reason', sa.String(length=10), nullable=False, comment='date or mileage: which one makes it due'),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_service_dues_customer_id_customers')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_service_dues_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_dues')),
    sa.UniqueConstraint('vehicle_id', 'service_type', name='uq_service_dues_vehicle_type')
    )
    with op.batch_alter_table('service_dues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_dues_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_service_dues_due', ['due_on'], unique=False)
        batch_op.create_index('ix_service_dues_store_due', ['store_id', 'due_on'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tier', sa.String(length=20), nullable=False, server_default='standard'))
        batch_op.add_column(sa.Column('points', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('spend_fen', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('key_account_owner_id', sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column('referred_by_id', sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column('last_visit_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_customers_key_account_owner_id'), ['key_account_owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_last_visit_at'), ['last_visit_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_referred_by_id'), ['referred_by_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_customers_referred_by_id_customers'), 'customers', ['referred_by_id'], ['id'])

    with op.batch_alter_table('history_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount_fen', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_history_vehicle_time', ['vehicle_id', 'occurred_at', 'id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('history_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_history_vehicle_time')
        batch_op.drop_column('amount_fen')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customers_referred_by_id_customers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_customers_referred_by_id'))
        batch_op.drop_index(batch_op.f('ix_customers_last_visit_at'))
        batch_op.drop_index(batch_op.f('ix_customers_key_account_owner_id'))
        batch_op.drop_column('erased_at')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('last_visit_at')
        batch_op.drop_column('referred_by_id')
        batch_op.drop_column('key_account_owner_id')
        batch_op.drop_column('spend_fen')
        batch_op.drop_column('points')
        batch_op.drop_column('tier')

    with op.batch_alter_table('service_dues', schema=None) as batch_op:
        batch_op.drop_index('ix_service_dues_store_due')
        batch_op.drop_index('ix_service_dues_due')
        batch_op.drop_index(batch_op.f('ix_service_dues_customer_id'))

    op.drop_table('service_dues')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_ups_store_status_due')
        batch_op.drop_index('ix_follow_ups_store_completed')
        batch_op.drop_index('ix_follow_ups_status_due')
        batch_op.drop_index(batch_op.f('ix_follow_ups_customer_id'))

    op.drop_table('follow_ups')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_store_status')
        batch_op.drop_index(batch_op.f('ix_complaints_customer_id'))

    op.drop_table('complaints')
    with op.batch_alter_table('campaign_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_messages_status')
        batch_op.drop_index(batch_op.f('ix_campaign_messages_customer_id'))
        batch_op.drop_index('ix_campaign_messages_channel_sent')

    op.drop_table('campaign_messages')
    op.drop_table('store_settings')
    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_orders_customer_id'))

    op.drop_table('service_orders')
    op.drop_table('service_intervals')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index('ix_campaigns_store')
        batch_op.drop_index('ix_campaigns_status_scheduled')

    op.drop_table('campaigns')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_customer')

    op.drop_table('audit_log')
    # ### end Alembic commands ###
