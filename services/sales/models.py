"""sales's own tables. Sales: appointments, visits, quotes and orders (contracts)."""
from services.common.db import declarative_base
from services.common.outbox import add_infrastructure_tables

Base = declarative_base()
add_infrastructure_tables(Base.metadata)
