"""finance's own tables. Finance: invoices, payments, member cards, the double-entry ledger, reports."""
from services.common.db import declarative_base
from services.common.outbox import add_infrastructure_tables

Base = declarative_base()
add_infrastructure_tables(Base.metadata)
