"""The sales nameko service. Sales: appointments, visits, quotes and orders (contracts)."""
from services.common.entrypoints import ServiceBase


class SalesService(ServiceBase):
    name = "sales"


SERVICE = SalesService
