"""Customers and vehicles (owned by the crm service; chain-wide)."""
from __future__ import annotations

from services.crm.schemas import (CustomerCreate, CustomerListQuery, CustomerOut, CustomerPatch,
                                  HistoryEntryOut, VehicleCreate, VehicleListQuery, VehicleOut, VehiclePatch)
from services.common.schemas import ListQuery

from ..api import endpoint
from ..auth import ALL_ROLES, require_store
from . import Resource

FRONT_DESK = frozenset({"hq_admin", "store_manager", "service_advisor", "cashier"})
EDITORS = frozenset({"hq_admin", "store_manager", "service_advisor"})


class Customers(Resource):
    @endpoint("Register a customer", tag="crm", roles=FRONT_DESK, body=CustomerCreate, response=CustomerOut,
              status=201, idempotent=True)
    def on_post(self, req, resp):
        data = dict(req.context.body_json)
        principal = req.context.principal
        if not data.get("home_store_id") and not principal.is_hq and principal.store_ids:
            data["home_store_id"] = principal.store_ids[0]
        require_store(principal, data.get("home_store_id"))
        customer = self.call(req, "crm", "register_customer", data=data)
        resp.location = f"/v1/customers/{customer['id']}"
        return customer

    @endpoint("Find customers by name prefix, phone, plate, tag or home store", tag="crm", roles=ALL_ROLES,
              query=CustomerListQuery, response=CustomerOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "list_customers", query=req.context.query_json)


class CustomerItem(Resource):
    @endpoint("A customer with their vehicles", tag="crm", roles=ALL_ROLES, response=CustomerOut)
    def on_get(self, req, resp, customer_id: str):
        return self.call(req, "crm", "get_customer", customer_id=customer_id)

    @endpoint("Change a customer", tag="crm", roles=EDITORS, body=CustomerPatch, response=CustomerOut)
    def on_patch(self, req, resp, customer_id: str):
        return self.call(req, "crm", "update_customer", customer_id=customer_id, changes=req.context.body_json)


class CustomerHistory(Resource):
    @endpoint("The customer's service history across the chain, newest first", tag="crm", roles=ALL_ROLES,
              query=ListQuery, response=HistoryEntryOut, paginated=True)
    def on_get(self, req, resp, customer_id: str):
        return self.call(req, "crm", "customer_history", customer_id=customer_id, query=req.context.query_json)


class CustomerVehicles(Resource):
    @endpoint("Add a vehicle to a customer", tag="crm", roles=FRONT_DESK, body=VehicleCreate,
              response=VehicleOut, status=201, idempotent=True)
    def on_post(self, req, resp, customer_id: str):
        vehicle = self.call(req, "crm", "add_vehicle", customer_id=customer_id, data=req.context.body_json)
        resp.location = f"/v1/vehicles/{vehicle['id']}"
        return vehicle


class Vehicles(Resource):
    @endpoint("Find vehicles by plate or VIN", tag="crm", roles=ALL_ROLES, query=VehicleListQuery,
              response=VehicleOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "list_vehicles", query=req.context.query_json)


class VehicleItem(Resource):
    @endpoint("A vehicle", tag="crm", roles=ALL_ROLES, response=VehicleOut)
    def on_get(self, req, resp, vehicle_id: str):
        return self.call(req, "crm", "get_vehicle", vehicle_id=vehicle_id)

    @endpoint("Change a vehicle (plate, VIN, mileage …)", tag="crm", roles=EDITORS, body=VehiclePatch,
              response=VehicleOut)
    def on_patch(self, req, resp, vehicle_id: str):
        return self.call(req, "crm", "update_vehicle", vehicle_id=vehicle_id, changes=req.context.body_json)


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/customers", Customers(deps)),
        ("/v1/customers/{customer_id}", CustomerItem(deps)),
        ("/v1/customers/{customer_id}/history", CustomerHistory(deps)),
        ("/v1/customers/{customer_id}/vehicles", CustomerVehicles(deps)),
        ("/v1/vehicles", Vehicles(deps)),
        ("/v1/vehicles/{vehicle_id}", VehicleItem(deps)),
    ]
