"""inventory's own tables. Inventory: parts catalogue, stock per store, reservations, purchasing, transfers, stocktakes."""
from services.common.db import declarative_base
from services.common.outbox import add_infrastructure_tables

Base = declarative_base()
add_infrastructure_tables(Base.metadata)
