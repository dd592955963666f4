"""Sales endpoints (owned by the sales service): the front counter — settings, the service
catalogue, appointments, reception, test drives, quotes and their negotiation, orders.

Store documents are checked twice: here on the store named in a body or filter, and in the
service, where each document's own store is known."""
from __future__ import annotations

from services.common.policy import ALL_ROLES, COUNTER, HQ, MANAGERS, require_store
from services.contracts.rpc import sales as s

from .. import identity
from ..api import endpoint
from ..signatures import png_of, signature_field, stored_signature
from . import Resource, checked

TAG = "sales"
CATALOGUE = "catalogue"


class SalesSettings(Resource):
    @endpoint("A store's sales settings (labour rate, VAT, pricing mode, discount limits, slots)", tag=TAG,
              roles=ALL_ROLES, response=s.SalesSettingsOut)
    def on_get(self, req, resp, store_id: str):
        require_store(req.context.principal, store_id)
        return self.call(req, "sales", "get_sales_settings", store_id=store_id)

    @endpoint("Change a store's sales settings (only what is sent; discount limits are HQ's)", tag=TAG,
              roles=MANAGERS, body=s.SalesSettingsPut, response=s.SalesSettingsOut)
    def on_put(self, req, resp, store_id: str):
        require_store(req.context.principal, store_id)
        return self.call(req, "sales", "save_sales_settings", store_id=store_id, changes=req.context.body_json)


# -- catalogue --------------------------------------------------------------------------------

class LabourOperations(Resource):
    @endpoint("Add a labour operation to the chain's catalogue (HQ)", tag=CATALOGUE, roles=HQ,
              body=s.LabourOperationCreate, response=s.LabourOperationOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        operation = self.call(req, "sales", "create_labour_operation", data=req.context.body_json)
        resp.location = f"/v1/labour-operations/{operation['id']}"
        return operation

    @endpoint("Labour operations (工时项目)", tag=CATALOGUE, roles=ALL_ROLES, query=s.LabourOperationListQuery,
              response=s.LabourOperationOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "sales", "list_labour_operations", query=req.context.query_json)


class LabourOperationItem(Resource):
    @endpoint("A labour operation, by id or code", tag=CATALOGUE, roles=ALL_ROLES, response=s.LabourOperationOut)
    def on_get(self, req, resp, ref: str):
        return self.call(req, "sales", "get_labour_operation", ref=ref)

    @endpoint("Change a labour operation (HQ)", tag=CATALOGUE, roles=HQ, body=s.LabourOperationPatch,
              response=s.LabourOperationOut)
    def on_patch(self, req, resp, ref: str):
        return self.call(req, "sales", "update_labour_operation", ref=ref, changes=req.context.body_json)


class PackageStores(Resource):
    def known_stores(self, req) -> None:
        """The stores a package names are the chain's (422 `unknown_store` otherwise)."""
        with self.deps.identity_db() as session:
            identity.check_stores_exist(session, req.context.body_json.get("store_ids") or [])


class Packages(PackageStores):
    @endpoint("Add a canned job / package (套餐) to the chain's catalogue (HQ)", tag=CATALOGUE, roles=HQ,
              body=s.PackageCreate, response=s.PackageOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        self.known_stores(req)
        package = self.call(req, "sales", "create_package", data=req.context.body_json)
        resp.location = f"/v1/packages/{package['id']}"
        return package

    @endpoint("Packages", tag=CATALOGUE, roles=ALL_ROLES, query=s.PackageListQuery, response=s.PackageOut,
              paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "sales", "list_packages", query=req.context.query_json)


class PackageItem(PackageStores):
    @endpoint("A package, by id or code", tag=CATALOGUE, roles=ALL_ROLES, response=s.PackageOut)
    def on_get(self, req, resp, ref: str):
        return self.call(req, "sales", "get_package", ref=ref)

    @endpoint("Change a package (HQ): name, description, category, pricing and price, its items (replaced whole) "
              "or whether it is offered; its code never changes", tag=CATALOGUE, roles=HQ, body=s.PackagePatch,
              response=s.PackageOut)
    def on_patch(self, req, resp, ref: str):
        self.known_stores(req)
        return self.call(req, "sales", "update_package", ref=ref, changes=req.context.body_json)


class PriceLists(Resource):
    @endpoint("Add a price from a date: the chain's (HQ, with limits for stores) or a store's override "
              "(its manager, within HQ's limits)", tag=CATALOGUE, roles=MANAGERS, body=s.PriceEntryCreate,
              response=s.PriceEntryOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        return self.call(req, "sales", "create_price_entry", data=checked(req, "body_json"))

    @endpoint("Price list entries (chain and store overrides, with effective dates)", tag=CATALOGUE,
              roles=ALL_ROLES, query=s.PriceListQuery, response=s.PriceEntryOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "sales", "list_price_entries", query=checked(req))


class CompetitorPrices(Resource):
    @endpoint("Record a competitor's price for an item of the price list, seen by the store's staff on a day",
              tag=CATALOGUE, roles=COUNTER, body=s.CompetitorPriceCreate, response=s.CompetitorPriceOut,
              status=201, idempotent=True)
    def on_post(self, req, resp):
        return self.call(req, "sales", "record_competitor_price", data=checked(req, "body_json"))

    @endpoint("A store's recorded competitor prices, newest first", tag=CATALOGUE, roles=COUNTER,
              query=s.CompetitorPriceQuery, response=s.CompetitorPriceOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "sales", "list_competitor_prices", query=checked(req))


class CompetitorPriceItem(Resource):
    @endpoint("Take back a competitor price recorded by mistake", tag=CATALOGUE, roles=MANAGERS, status=204)
    def on_delete(self, req, resp, price_id: str):
        self.call(req, "sales", "remove_competitor_price", price_id=price_id)


class PriceComparison(Resource):
    @endpoint("Each competitor's latest price per item beside the store's own price in force (市场价格对比)",
              tag=CATALOGUE, roles=COUNTER, query=s.PriceComparisonQuery, response=s.PriceComparisonOut)
    def on_get(self, req, resp):
        return self.call(req, "sales", "price_comparison", query=checked(req))


class VehicleClasses(Resource):
    @endpoint("Classify a make (and model) as sedan, SUV, luxury … (HQ)", tag=CATALOGUE, roles=HQ,
              body=s.VehicleClassRuleIn, response=s.VehicleClassRuleOut)
    def on_put(self, req, resp):
        return self.call(req, "sales", "set_vehicle_class", data=req.context.body_json)

    @endpoint("Vehicle class rules", tag=CATALOGUE, roles=ALL_ROLES, response=s.VehicleClassRuleOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "sales", "list_vehicle_classes")


# -- appointments, reception, test drives -----------------------------------------------------

class Appointments(Resource):
    @endpoint("Book a slot (409 when the slot is full, unless a manager overbooks)", tag=TAG, roles=COUNTER,
              body=s.AppointmentCreate, response=s.AppointmentOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        appointment = self.call(req, "sales", "book_appointment", data=checked(req, "body_json"))
        resp.location = f"/v1/appointments/{appointment['id']}"
        return appointment

    @endpoint("Appointments in slot order (a store's day with store_id and date)", tag=TAG, roles=ALL_ROLES,
              query=s.AppointmentListQuery, response=s.AppointmentOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "sales", "list_appointments", query=checked(req))


class AppointmentItem(Resource):
    @endpoint("An appointment", tag=TAG, roles=ALL_ROLES, response=s.AppointmentOut)
    def on_get(self, req, resp, appointment_id: str):
        return self.call(req, "sales", "get_appointment", appointment_id=appointment_id)


class AppointmentCancel(Resource):
    @endpoint("Cancel a booked appointment", tag=TAG, roles=COUNTER, body=s.OptionalReasonIn,
              response=s.AppointmentOut)
    def on_post(self, req, resp, appointment_id: str):
        return self.call(req, "sales", "cancel_appointment", appointment_id=appointment_id,
                         data=req.context.body_json)


class AppointmentNoShow(Resource):
    @endpoint("The customer did not come (after the slot started)", tag=TAG, roles=COUNTER,
              response=s.AppointmentOut)
    def on_post(self, req, resp, appointment_id: str):
        return self.call(req, "sales", "mark_no_show", appointment_id=appointment_id)


class Visits(Resource):
    @endpoint("Check a car in (reception); customer and vehicle are checked with crm", tag=TAG, roles=COUNTER,
              body=s.VisitCreate, response=s.VisitOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        visit = self.call(req, "sales", "check_in", data=checked(req, "body_json"))
        resp.location = f"/v1/visits/{visit['id']}"
        return visit

    @endpoint("Visits, newest first", tag=TAG, roles=ALL_ROLES, query=s.VisitListQuery, response=s.VisitOut,
              paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "sales", "list_visits", query=checked(req))


class VisitItem(Resource):
    @endpoint("A visit, with the work declined on earlier visits", tag=TAG, roles=ALL_ROLES, response=s.VisitOut)
    def on_get(self, req, resp, visit_id: str):
        return self.call(req, "sales", "get_visit", visit_id=visit_id)


class DeclinedWork(Resource):
    @endpoint("Work a customer declined, to offer again (customer_id or vehicle_id)", tag=TAG, roles=ALL_ROLES,
              query=s.DeclinedWorkQuery, response=s.DeclinedWorkOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "sales", "list_declined_work", query=req.context.query_json)


class TestDrives(Resource):
    @endpoint("Book (or start, with time_out) a test drive", tag=TAG, roles=COUNTER, body=s.TestDriveCreate,
              response=s.TestDriveOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        drive = self.call(req, "sales", "book_test_drive", data=checked(req, "body_json"))
        resp.location = f"/v1/test-drives/{drive['id']}"
        return drive

    @endpoint("Test drives, newest first", tag=TAG, roles=ALL_ROLES, query=s.TestDriveListQuery,
              response=s.TestDriveOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "sales", "list_test_drives", query=checked(req))


class TestDriveItem(Resource):
    @endpoint("A test drive", tag=TAG, roles=ALL_ROLES, response=s.TestDriveOut)
    def on_get(self, req, resp, drive_id: str):
        return self.call(req, "sales", "get_test_drive", drive_id=drive_id)


class TestDriveStart(Resource):
    @endpoint("The car goes out", tag=TAG, roles=COUNTER, body=s.TestDriveStart, response=s.TestDriveOut)
    def on_post(self, req, resp, drive_id: str):
        return self.call(req, "sales", "start_test_drive", drive_id=drive_id, data=req.context.body_json)


class TestDriveReturn(Resource):
    @endpoint("The car comes back", tag=TAG, roles=COUNTER, body=s.TestDriveReturn, response=s.TestDriveOut)
    def on_post(self, req, resp, drive_id: str):
        return self.call(req, "sales", "return_test_drive", drive_id=drive_id, data=req.context.body_json)


# -- quotes -----------------------------------------------------------------------------------

class Quotes(Resource):
    @endpoint("Open a quote for a visit, optionally with its first lines (one inventory call prices all the parts; "
              "the store's VAT, pricing mode and labour rate are recorded on it)",
              tag=TAG, roles=COUNTER, body=s.QuoteCreate, response=s.QuoteOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        quote = self.call(req, "sales", "create_quote", data=req.context.body_json)
        resp.location = f"/v1/quotes/{quote['id']}"
        return quote

    @endpoint("Quotes, newest first", tag=TAG, roles=ALL_ROLES, query=s.QuoteListQuery, response=s.QuoteOut,
              paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "sales", "list_quotes", query=checked(req))


class QuoteItem(Resource):
    @endpoint("A quote with its lines, totals (tax included and excluded) and versions", tag=TAG, roles=ALL_ROLES,
              response=s.QuoteOut)
    def on_get(self, req, resp, quote_id: str):
        return self.call(req, "sales", "get_quote", quote_id=quote_id)


class QuoteLines(Resource):
    @endpoint("Add a labour, part or fee line to a draft quote (priced on the server; an unknown SKU is 422)",
              tag=TAG, roles=COUNTER, body=s.QuoteLineCreate, response=s.QuoteOut, status=201, idempotent=True)
    def on_post(self, req, resp, quote_id: str):
        return self.call(req, "sales", "add_quote_line", quote_id=quote_id, data=req.context.body_json)


class QuoteLineItem(Resource):
    @endpoint("Remove a line from a draft quote", tag=TAG, roles=COUNTER, response=s.QuoteOut)
    def on_delete(self, req, resp, quote_id: str, line_id: str):
        return self.call(req, "sales", "remove_quote_line", quote_id=quote_id, line_id=line_id)


class QuotePackages(Resource):
    @endpoint("Add a package's lines to a draft quote in one step", tag=TAG, roles=COUNTER, body=s.AddPackageIn,
              response=s.QuoteOut, status=201, idempotent=True)
    def on_post(self, req, resp, quote_id: str):
        return self.call(req, "sales", "add_quote_package", quote_id=quote_id, data=req.context.body_json)


class QuoteDiscount(Resource):
    @endpoint("Discount a line or the whole quote (percent or amount, with a reason); above the store's limit "
              "for the role it waits for approval", tag=TAG, roles=COUNTER, body=s.QuoteDiscountIn,
              response=s.QuoteOut)
    def on_post(self, req, resp, quote_id: str):
        return self.call(req, "sales", "set_quote_discount", quote_id=quote_id, data=req.context.body_json)


class QuoteDiscountApproval(Resource):
    @endpoint("A manager approves the discount and any price below cost", tag=TAG, roles=MANAGERS,
              body=s.ApprovalIn, response=s.QuoteOut)
    def on_post(self, req, resp, quote_id: str):
        return self.call(req, "sales", "approve_quote_discount", quote_id=quote_id, data=req.context.body_json)


class QuoteDiscountRejection(Resource):
    @endpoint("A manager rejects the discount (or price below cost) with a reason; the advisor changes it, "
              "which asks again", tag=TAG, roles=MANAGERS, body=s.RejectionIn, response=s.QuoteOut)
    def on_post(self, req, resp, quote_id: str):
        return self.call(req, "sales", "reject_quote_discount", quote_id=quote_id, data=req.context.body_json)


class QuotePresent(Resource):
    @endpoint("Present the quote to the customer", tag=TAG, roles=COUNTER, response=s.QuoteOut)
    def on_post(self, req, resp, quote_id: str):
        return self.call(req, "sales", "present_quote", quote_id=quote_id)


class QuoteDecision(Resource):
    @endpoint("The customer approves or declines each line; declined lines become declined work", tag=TAG,
              roles=COUNTER, body=s.DecisionIn, response=s.QuoteOut)
    def on_post(self, req, resp, quote_id: str):
        return self.call(req, "sales", "decide_quote", quote_id=quote_id, data=req.context.body_json)


class QuoteRevise(Resource):
    @endpoint("A new draft version of a presented or decided quote; the old version is kept (expired)", tag=TAG,
              roles=COUNTER, response=s.QuoteOut, status=201, idempotent=True)
    def on_post(self, req, resp, quote_id: str):
        quote = self.call(req, "sales", "revise_quote", quote_id=quote_id)
        resp.location = f"/v1/quotes/{quote['id']}"
        return quote


class ContractBody(s.ContractIn):
    signature_png = signature_field()


class QuoteContract(Resource):
    @endpoint("Sign the approved quote: the order is confirmed (a repeat returns the same order); the "
              "customer's signature drawn on screen is kept with the hash of the contract it signs", tag=TAG,
              roles=COUNTER, body=ContractBody, response=s.OrderOut, status=201, idempotent=True)
    def on_post(self, req, resp, quote_id: str):
        data = dict(req.context.body_json)
        drawn = data.pop("signature_png", None)
        if not drawn:
            order = self.call(req, "sales", "contract_quote", quote_id=quote_id, data=data)
        else:
            png = png_of(drawn, "signature_png")
            quote = self.call(req, "sales", "get_quote", quote_id=quote_id)  # 404/403 before storing anything
            with stored_signature(self.deps.storage, quote["store_id"], png, data["signed_by"]) as signature:
                order = self.call(req, "sales", "contract_quote", quote_id=quote_id, data=data, signature=signature)
            if (order.get("signature") or {}).get("id") != signature["id"]:  # a repeat: the first signature stays
                self.deps.storage.delete(signature["storage_key"])
        resp.location = f"/v1/orders/{order['id']}"
        return order


# -- orders -----------------------------------------------------------------------------------

class Orders(Resource):
    @endpoint("Orders with their one-line status, newest first", tag=TAG, roles=ALL_ROLES, query=s.OrderListQuery,
              response=s.OrderOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "sales", "list_orders", query=checked(req))


class OrderItem(Resource):
    @endpoint("An order", tag=TAG, roles=ALL_ROLES, response=s.OrderOut)
    def on_get(self, req, resp, order_id: str):
        return self.call(req, "sales", "get_order", order_id=order_id)


class OrderCancel(Resource):
    @endpoint("Cancel an order before its work is completed, with a reason", tag=TAG, roles=COUNTER,
              body=s.ReasonIn, response=s.OrderOut)
    def on_post(self, req, resp, order_id: str):
        return self.call(req, "sales", "cancel_order", order_id=order_id, data=req.context.body_json)


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/sales-settings/{store_id}", SalesSettings(deps)),
        ("/v1/labour-operations", LabourOperations(deps)),
        ("/v1/labour-operations/{ref}", LabourOperationItem(deps)),
        ("/v1/packages", Packages(deps)),
        ("/v1/packages/{ref}", PackageItem(deps)),
        ("/v1/price-lists", PriceLists(deps)),
        ("/v1/competitor-prices", CompetitorPrices(deps)),
        ("/v1/competitor-prices/{price_id}", CompetitorPriceItem(deps)),
        ("/v1/reports/price-comparison", PriceComparison(deps)),
        ("/v1/vehicle-classes", VehicleClasses(deps)),
        ("/v1/appointments", Appointments(deps)),
        ("/v1/appointments/{appointment_id}", AppointmentItem(deps)),
        ("/v1/appointments/{appointment_id}/cancel", AppointmentCancel(deps)),
        ("/v1/appointments/{appointment_id}/no-show", AppointmentNoShow(deps)),
        ("/v1/visits", Visits(deps)),
        ("/v1/visits/{visit_id}", VisitItem(deps)),
        ("/v1/declined-work", DeclinedWork(deps)),
        ("/v1/test-drives", TestDrives(deps)),
        ("/v1/test-drives/{drive_id}", TestDriveItem(deps)),
        ("/v1/test-drives/{drive_id}/start", TestDriveStart(deps)),
        ("/v1/test-drives/{drive_id}/return", TestDriveReturn(deps)),
        ("/v1/quotes", Quotes(deps)),
        ("/v1/quotes/{quote_id}", QuoteItem(deps)),
        ("/v1/quotes/{quote_id}/lines", QuoteLines(deps)),
        ("/v1/quotes/{quote_id}/lines/{line_id}", QuoteLineItem(deps)),
        ("/v1/quotes/{quote_id}/packages", QuotePackages(deps)),
        ("/v1/quotes/{quote_id}/discount", QuoteDiscount(deps)),
        ("/v1/quotes/{quote_id}/discount/approve", QuoteDiscountApproval(deps)),
        ("/v1/quotes/{quote_id}/discount/reject", QuoteDiscountRejection(deps)),
        ("/v1/quotes/{quote_id}/present", QuotePresent(deps)),
        ("/v1/quotes/{quote_id}/decision", QuoteDecision(deps)),
        ("/v1/quotes/{quote_id}/revise", QuoteRevise(deps)),
        ("/v1/quotes/{quote_id}/contract", QuoteContract(deps)),
        ("/v1/orders", Orders(deps)),
        ("/v1/orders/{order_id}", OrderItem(deps)),
        ("/v1/orders/{order_id}/cancel", OrderCancel(deps)),
    ]
