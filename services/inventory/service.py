"""The inventory nameko service. Inventory: parts catalogue, stock per store, reservations, purchasing, transfers, stocktakes."""
from services.common.entrypoints import ServiceBase


class InventoryService(ServiceBase):
    name = "inventory"


SERVICE = InventoryService
