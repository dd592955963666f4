"""The workshop nameko service. Workshop: technicians, work orders, dispatch, time clock, inspections, QC, delivery."""
from services.common.entrypoints import ServiceBase


class WorkshopService(ServiceBase):
    name = "workshop"


SERVICE = WorkshopService
