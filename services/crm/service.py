"""The crm nameko service: thin entrypoints over `domain`, schemas at the boundary."""
from __future__ import annotations

from services.common.entrypoints import ServiceBase, event_handler, rpc
from services.common.schemas import ListQuery, load
from services.common.validators import mask_mobile

from . import domain
from .schemas import (CustomerCreate, CustomerListQuery, CustomerOut, CustomerPatch, HistoryEntryOut,
                      VehicleCreate, VehicleListQuery, VehicleOut, VehiclePatch)

customer_out = CustomerOut()
vehicle_out = VehicleOut()
history_out = HistoryEntryOut()


class CrmService(ServiceBase):
    name = "crm"

    def _customer(self, customer) -> dict:
        data = customer_out.dump(customer)
        data["mobile_masked"] = not self.caller.sees_full_phone
        if data["mobile_masked"]:
            data["mobile"] = mask_mobile(data["mobile"])
        return data

    def _customers_page(self, result: dict) -> dict:
        return {"items": [self._customer(c) for c in result["items"]], "next_cursor": result["next_cursor"]}

    @rpc
    def register_customer(self, data: dict) -> dict:
        customer = load(CustomerCreate(), data)
        self.caller.require_store(customer["home_store_id"])
        return self._customer(domain.register_customer(self.db, customer))

    @rpc
    def get_customer(self, customer_id: str) -> dict:
        return self._customer(domain.get_customer(self.db, customer_id))

    @rpc
    def update_customer(self, customer_id: str, changes: dict) -> dict:
        patch = load(CustomerPatch(), changes)
        if "home_store_id" in patch:
            self.caller.require_store(patch["home_store_id"])
        return self._customer(domain.update_customer(self.db, customer_id, patch))

    @rpc
    def list_customers(self, query: dict) -> dict:
        return self._customers_page(domain.search_customers(self.db, load(CustomerListQuery(), query)))

    @rpc
    def customer_history(self, customer_id: str, query: dict) -> dict:
        params = load(ListQuery(), query)
        result = domain.customer_history(self.db, customer_id, params["limit"], params["cursor"])
        return {"items": history_out.dump(result["items"], many=True), "next_cursor": result["next_cursor"]}

    @rpc
    def add_vehicle(self, customer_id: str, data: dict) -> dict:
        return vehicle_out.dump(domain.add_vehicle(self.db, customer_id, load(VehicleCreate(), data)))

    @rpc
    def get_vehicle(self, vehicle_id: str) -> dict:
        return vehicle_out.dump(domain.get_vehicle(self.db, vehicle_id))

    @rpc
    def update_vehicle(self, vehicle_id: str, changes: dict) -> dict:
        return vehicle_out.dump(domain.update_vehicle(self.db, vehicle_id, load(VehiclePatch(), changes)))

    @rpc
    def list_vehicles(self, query: dict) -> dict:
        result = domain.search_vehicles(self.db, load(VehicleListQuery(), query))
        return {"items": vehicle_out.dump(result["items"], many=True), "next_cursor": result["next_cursor"]}

    @event_handler("sales", "visit_checked_in")
    def on_visit_checked_in(self, envelope: dict) -> None:
        domain.record_visit(self.db, envelope["event_id"], envelope["payload"])


SERVICE = CrmService
