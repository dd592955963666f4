"""workshop's own tables. Workshop: technicians, work orders, dispatch, time clock, inspections, QC, delivery."""
from services.common.db import declarative_base
from services.common.outbox import add_infrastructure_tables

Base = declarative_base()
add_infrastructure_tables(Base.metadata)
