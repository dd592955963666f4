"""The sales nameko service (the front counter): thin entrypoints over `domain`, schemas at
the boundary. Customers and vehicles are checked with crm (one RPC each); parts are priced by
inventory (`quote_parts`, one RPC for all the SKUs a request needs)."""
from __future__ import annotations

import logging

from nameko.exceptions import RemoteError
from nameko.timer import timer

from services.common import attachments, signatures
from services.common.attachment_jobs import Attachments
from services.common.entrypoints import AuditTrail, ServiceBase, event_handler, rpc, unit_of_work
from services.common.errors import Forbidden, Invalid, Unavailable
from services.common.schemas import StoresPeriodQuery, dump_page, load
from services.common.timeline import TimelineStepOut
from services.common.upstream import ServiceRpc, answer_within_timeout
from services.contracts.rpc import sales as s
from services.contracts.sales import RepairVisitsOut
from services.contracts.rpc.sales import customer as cs

from .domain import appointments, catalogue, customer, market, orders, privacy, quotes, reception, settings, signing

log = logging.getLogger(__name__)

"""Seconds sales waits for crm or inventory: a worker never hangs on a service that is down."""

settings_out, operation_out, package_out = s.SalesSettingsOut(), s.LabourOperationOut(), s.PackageOut()
price_out, class_out, appointment_out = s.PriceEntryOut(), s.VehicleClassRuleOut(), s.AppointmentOut()
competitor_price_out, comparison_out = s.CompetitorPriceOut(), s.PriceComparisonOut()
visit_out, declined_out, drive_out = s.VisitOut(), s.DeclinedWorkOut(), s.TestDriveOut()
attachment_out, stored_attachment_out = attachments.AttachmentOut(many=True), attachments.StoredAttachmentOut()
quote_out, order_out = s.QuoteOut(), s.OrderOut()
signature_out, customer_signature_out = signatures.SignatureOut(), cs.CustomerSignatureOut()


def _totals(document) -> dict:
    return {"subtotal_fen": document.subtotal_fen, "discount_fen": document.discount_fen,
            "tax_fen": document.tax_fen, "total_excl_tax_fen": document.total_excl_tax_fen,
            "total_fen": document.total_fen, "currency": "CNY"}


class SalesService(Attachments, AuditTrail, ServiceBase):  # type: ignore[misc]  # db, caller: see Attachments
    name = "sales"

    crm = ServiceRpc("crm")
    inventory = ServiceRpc("inventory")

    # -- collaborators ----------------------------------------------------------------------
    def _crm(self, method: str, ref: str, field: str) -> dict:
        """One crm read; an unknown id is the client's mistake (422 naming the field)."""
        try:
            with answer_within_timeout("crm"):
                return getattr(self.crm, method)(ref)
        except RemoteError as exc:
            if exc.exc_type == "NotFound":
                raise Invalid(f"crm knows no {field.removesuffix('_id')} {ref}.",
                              fields={field: [f"Unknown {field.removesuffix('_id')}."]},
                              code="unknown_vehicle" if field == "vehicle_id" else "unknown_customer") from exc
            raise

    def _quote_parts(self, store_id: str, skus: list[str]) -> dict:
        try:
            with answer_within_timeout("Inventory", "try again or quote labour and fees."):
                return self.inventory.quote_parts(store_id, skus)
        except RemoteError as exc:
            if exc.exc_type in ("Invalid", "NotFound"):
                raise Invalid(f"Inventory refused the parts: {exc.value}", fields={"sku": [str(exc.value)]},
                              code="part_not_sold", params={"skus": skus}) from exc
            log.warning("inventory could not price parts", extra={"exc_type": exc.exc_type})
            raise Unavailable("Inventory cannot price parts right now; try again or quote labour and fees.",
                              code="service_unavailable", params={"service": "inventory"}) from exc

    def _catalogue_parts(self, skus: list[str]) -> dict[str, dict]:
        """The chain catalogue's parts for these SKUs (as asked -> part; unknown ones absent)."""
        if not skus:
            return {}
        try:
            with answer_within_timeout("Inventory", "try again."):
                answer = self.inventory.catalogue_parts(skus)
        except RemoteError as exc:
            log.warning("inventory could not check parts", extra={"exc_type": exc.exc_type})
            raise Unavailable("Inventory cannot check the parts right now; try again.",
                              code="service_unavailable", params={"service": "inventory"}) from exc
        return {item["sku"]: item for item in answer["items"]}

    def _quote(self, quote) -> dict:
        return self._quotes([quote])[0]

    def _quotes(self, found: list) -> list[dict]:
        """Quotes with their versions and order ids (two queries for any number of quotes)."""
        groups = quotes.versions_of(self.db, {q.group_id for q in found})
        order_ids = orders.order_ids_of(self.db, [q.id for q in found])
        result = []
        for quote in found:
            data = quote_out.dump(quote)
            data["totals"] = _totals(quote)
            data["versions"] = groups.get(quote.group_id, [])
            data["order_id"] = order_ids.get(quote.id)
            result.append(data)
        return result

    def _order(self, order) -> dict:
        data = order_out.dump(order)
        data["totals"] = _totals(order)
        data["status_line"] = orders.status_line(order)
        return data

    def _visit(self, visit) -> dict:
        data = visit_out.dump(visit)
        data["declined_work"] = declined_out.dump(reception.open_declined_work(self.db, visit), many=True)
        data["photos"] = attachment_out.dump(attachments.attachments_of(self.db, "visit", [visit.id]).get(visit.id, []))
        return data

    # -- store settings ---------------------------------------------------------------------
    @rpc
    def get_sales_settings(self, store_id: str) -> dict:
        self.caller.require_store(store_id)
        return settings_out.dump(settings.settings_of(self.db, store_id))

    @rpc
    def save_sales_settings(self, store_id: str, changes: dict) -> dict:
        self.caller.require_store(store_id)
        data = load(s.SalesSettingsPut(), changes)
        return settings_out.dump(settings.save_settings(self.db, self.caller, store_id, data))

    # -- catalogue --------------------------------------------------------------------------
    @rpc
    def create_labour_operation(self, data: dict) -> dict:
        operation = load(s.LabourOperationCreate(), data)
        parts = self._catalogue_parts(sorted({part["sku"] for part in operation["parts"]}))
        return operation_out.dump(catalogue.create_operation(self.db, operation, parts))

    @rpc
    def get_labour_operation(self, ref: str) -> dict:
        return operation_out.dump(catalogue.get_operation(self.db, ref))

    @rpc
    def catalogue_operations(self, codes: list[str]) -> dict:
        """The labour operations of these codes the catalogue knows, at once (finance's fapiao reads their
        tax codes); unknown codes are left out."""
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise Invalid("codes is a list of operation codes.", fields={"codes": ["Not a list of strings."]},
                          code="validation_failed")
        return {"items": operation_out.dump(catalogue.operations_by_code(self.db, codes), many=True)}

    @rpc
    def update_labour_operation(self, ref: str, changes: dict) -> dict:
        changes = load(s.LabourOperationPatch(), changes)
        parts = self._catalogue_parts(sorted({part["sku"] for part in changes.get("parts") or []}))
        return operation_out.dump(catalogue.update_operation(self.db, ref, changes, parts))

    @rpc
    def list_labour_operations(self, query: dict) -> dict:
        return dump_page(catalogue.list_operations(self.db, load(s.LabourOperationListQuery(), query)), operation_out)

    @rpc
    def create_package(self, data: dict) -> dict:
        package = load(s.PackageCreate(), data)
        skus = {sku for item in package["items"] for sku in catalogue.package_skus(item)}
        parts = self._catalogue_parts(sorted(skus))
        return package_out.dump(catalogue.create_package(self.db, package, parts))

    @rpc
    def update_package(self, ref: str, changes: dict) -> dict:
        changes = load(s.PackagePatch(), changes)
        skus = {sku for item in changes.get("items") or [] for sku in catalogue.package_skus(item)}
        parts = self._catalogue_parts(sorted(skus))
        return package_out.dump(catalogue.update_package(self.db, ref, changes, parts))

    @rpc
    def get_package(self, ref: str) -> dict:
        return package_out.dump(catalogue.get_package(self.db, ref))

    @rpc
    def list_packages(self, query: dict) -> dict:
        return dump_page(catalogue.list_packages(self.db, load(s.PackageListQuery(), query)), package_out)

    @rpc
    def create_price_entry(self, data: dict) -> dict:
        return price_out.dump(catalogue.create_price_entry(self.db, self.caller, load(s.PriceEntryCreate(), data)))

    @rpc
    def list_price_entries(self, query: dict) -> dict:
        filters = load(s.PriceListQuery(), query)
        if filters.get("store_id"):
            self.caller.require_store(filters["store_id"])
        if "store_id" in query and not query["store_id"]:
            filters["store_id"] = None
        return dump_page(catalogue.list_price_entries(self.db, self.caller, filters), price_out)

    @rpc
    def record_competitor_price(self, data: dict) -> dict:
        return competitor_price_out.dump(market.record(self.db, self.caller, load(s.CompetitorPriceCreate(), data)))

    @rpc
    def remove_competitor_price(self, price_id: str) -> None:
        market.remove(self.db, self.caller, price_id)

    @rpc
    def list_competitor_prices(self, query: dict) -> dict:
        return dump_page(market.listed(self.db, self.caller, load(s.CompetitorPriceQuery(), query)),
                         competitor_price_out)

    @rpc
    def price_comparison(self, query: dict) -> dict:
        q = load(s.PriceComparisonQuery(), query)
        return comparison_out.dump(market.comparison(self.db, self.caller, q["store_id"], q["on"], q["days"]))

    @rpc
    def set_vehicle_class(self, data: dict) -> dict:
        return class_out.dump(catalogue.set_vehicle_class(self.db, load(s.VehicleClassRuleIn(), data)))

    @rpc
    def list_vehicle_classes(self) -> dict:
        return {"items": class_out.dump(catalogue.list_vehicle_classes(self.db), many=True), "next_cursor": None}

    # -- appointments -----------------------------------------------------------------------
    @rpc
    def book_appointment(self, data: dict) -> dict:
        booking = load(s.AppointmentCreate(), data)
        self.caller.require_store(booking["store_id"])
        customer = self._crm("get_customer", booking["customer_id"], "customer_id")
        if booking.get("vehicle_id"):
            vehicle = self._crm("get_vehicle", booking["vehicle_id"], "vehicle_id")
            if vehicle.get("customer_id") != customer["id"]:
                raise Invalid("This vehicle belongs to another customer.",
                              fields={"vehicle_id": ["Belongs to another customer."]},
                              code="vehicle_of_other_customer", params={"plate": vehicle.get("plate") or ""})
        return appointment_out.dump(appointments.book(self.db, self.caller, booking))

    @rpc
    def get_appointment(self, appointment_id: str) -> dict:
        return appointment_out.dump(appointments.get(self.db, self.caller, appointment_id))

    @rpc
    def cancel_appointment(self, appointment_id: str, data: dict) -> dict:
        reason = load(s.OptionalReasonIn(), data).get("reason")
        return appointment_out.dump(appointments.cancel(self.db, self.caller, appointment_id, reason))

    @rpc
    def mark_no_show(self, appointment_id: str) -> dict:
        return appointment_out.dump(appointments.no_show(self.db, self.caller, appointment_id))

    @rpc
    def list_appointments(self, query: dict) -> dict:
        return dump_page(appointments.list_appointments(self.db, self.caller, load(s.AppointmentListQuery(), query)),
                         appointment_out)

    # -- reception --------------------------------------------------------------------------
    @rpc
    def check_in(self, data: dict) -> dict:
        visit = load(s.VisitCreate(), data)
        self.caller.require_store(visit["store_id"])
        customer = self._crm("get_customer", visit["customer_id"], "customer_id")
        vehicle = self._crm("get_vehicle", visit["vehicle_id"], "vehicle_id") if visit.get("vehicle_id") else None
        return self._visit(reception.check_in(self.db, self.caller, visit, customer, vehicle))

    @rpc
    def visits_for_orders(self, order_ids: list[str]) -> dict:
        """Each order's reception, for finance's repair health records (internal: no user)."""
        if not self.caller.is_system:
            raise Forbidden("Only the services read this.", code="forbidden")
        return RepairVisitsOut().dump({"items": reception.visits_for_orders(self.db, list(order_ids or []))})

    @rpc
    def get_visit(self, visit_id: str) -> dict:
        return self._visit(reception.get_visit(self.db, self.caller, visit_id))

    @rpc
    def authorize_visit_photo(self, visit_id: str) -> dict:
        """Before the gateway stores an upload: may the caller attach to this visit (its store)?"""
        return reception.visit_owner(self.db, self.caller, visit_id)

    @rpc
    def record_visit_photo(self, visit_id: str, data: dict) -> dict:
        """After the bytes are stored: the walk-around photo's row (checked against the visit again)."""
        owner = reception.visit_owner(self.db, self.caller, visit_id)
        record = load(attachments.AttachmentRecord(), data)
        reception.require_stage_open(self.db, visit_id, record.get("stage"))
        row = attachments.record_attachment(self.db, self.caller, owner, record)
        return stored_attachment_out.dump(row)

    @rpc
    def list_visits(self, query: dict) -> dict:
        return dump_page(reception.list_visits(self.db, self.caller, load(s.VisitListQuery(), query)), visit_out)

    @rpc
    def list_declined_work(self, query: dict) -> dict:
        return dump_page(reception.list_declined_work(self.db, load(s.DeclinedWorkQuery(), query)), declined_out)

    @rpc
    def book_test_drive(self, data: dict) -> dict:
        drive = load(s.TestDriveCreate(), data)
        self.caller.require_store(drive["store_id"])
        self._crm("get_customer", drive["customer_id"], "customer_id")
        return drive_out.dump(reception.book_test_drive(self.db, self.caller, drive))

    @rpc
    def get_test_drive(self, drive_id: str) -> dict:
        return drive_out.dump(reception.get_test_drive(self.db, self.caller, drive_id))

    @rpc
    def start_test_drive(self, drive_id: str, data: dict) -> dict:
        return drive_out.dump(reception.start_test_drive(self.db, self.caller, drive_id,
                                                         load(s.TestDriveStart(), data)))

    @rpc
    def return_test_drive(self, drive_id: str, data: dict) -> dict:
        return drive_out.dump(reception.return_test_drive(self.db, self.caller, drive_id,
                                                          load(s.TestDriveReturn(), data)))

    @rpc
    def list_test_drives(self, query: dict) -> dict:
        return dump_page(reception.list_test_drives(self.db, self.caller, load(s.TestDriveListQuery(), query)),
                         drive_out)

    # -- quotes -----------------------------------------------------------------------------
    @rpc
    def create_quote(self, data: dict) -> dict:
        request = load(s.QuoteCreate(), data)
        store_id = reception.get_visit(self.db, self.caller, request["visit_id"]).store_id
        parts = quotes.price_parts(self._quote_parts, store_id, request["lines"])  # before any write
        quote = quotes.open_quote(self.db, self.caller, request)
        if request["lines"]:
            quotes.add_lines(self.db, self.caller, quote.id, request["lines"], parts)
        return self._quote(quote)

    @rpc
    def get_quote(self, quote_id: str) -> dict:
        """The quote, with the customer's drawn signature of their decision (if any)."""
        quote = quotes.get_quote(self.db, self.caller, quote_id)
        signed = signing.decision_signature(self.db, quote)
        return {**self._quote(quote), "customer_signature": signature_out.dump(signed) if signed else None}

    @rpc
    def list_quotes(self, query: dict) -> dict:
        result = quotes.list_quotes(self.db, self.caller, load(s.QuoteListQuery(), query))
        return {"items": self._quotes(result["items"]), "next_cursor": result["next_cursor"]}

    @rpc
    def quote_stats(self, query: dict) -> dict:
        """The close ratio for the KPI report (presented vs approved quotes over local days)."""
        params = load(s.QuoteStatsQuery(), query)
        return s.QuoteStatsOut().dump(quotes.close_ratio(self.db, self.caller, params["store_id"], params["from_"],
                                                         params["to"], params["time_zone"]))

    @rpc
    def quote_stats_for_stores(self, query: dict) -> dict:
        """`quote_stats` of several stores in one call (the chain's KPI report), per period when grouped."""
        params = load(StoresPeriodQuery(), query)
        return {"items": s.QuoteStatsOut().dump([
            row for store in params["stores"] for row in quotes.close_ratios(
                self.db, self.caller, store["store_id"], params["from_"], params["to"], store["time_zone"],
                params["group"])], many=True)}

    @rpc
    def advisor_scorecards(self, query: dict) -> dict:
        """The people report's sales figures of a store over local days: each advisor's quotes presented and won,
        the inspection quotes' asked and approved amounts, and the advisors of the orders named (one call)."""
        params = load(s.AdvisorScorecardsQuery(), query)
        cards = quotes.advisor_scorecards(self.db, self.caller, params["store_id"], params["from_"], params["to"],
                                          params["time_zone"], params["finding_quotes"])
        return s.AdvisorScorecardsOut().dump({
            "advisors": [{"advisor_id": advisor_id, **card} for advisor_id, card in sorted(cards.items())],
            "order_advisors": orders.order_advisors(self.db, self.caller, params["store_id"], params["order_ids"])})

    @rpc
    def quote_findings(self, order_id: str, findings: list[dict]) -> dict:
        """Workshop's inspection findings → a new draft quote for the order's visit (one call)."""
        lines = [load(s.QuoteLineCreate(), line) for line in quotes.finding_lines(self.db, findings)]
        parts = quotes.price_parts(self._quote_parts, orders.get_order(self.db, self.caller, order_id).store_id,
                                   lines)  # before any write
        quote = orders.open_quote_for_findings(self.db, self.caller, order_id, findings)
        if lines:
            quotes.add_lines(self.db, self.caller, quote.id, lines, parts)
        return self._quote(quotes.get_quote(self.db, self.caller, quote.id))

    @rpc
    def add_quote_line(self, quote_id: str, data: dict) -> dict:
        asked = load(s.QuoteLineCreate(), data)
        store_id = quotes.get_quote(self.db, self.caller, quote_id).store_id
        parts = quotes.price_parts(self._quote_parts, store_id, [asked])
        line = quotes.add_line(self.db, self.caller, quote_id, asked, parts)
        return self._quote(quotes.get_quote(self.db, self.caller, line.quote_id))

    @rpc
    def add_quote_package(self, quote_id: str, data: dict) -> dict:
        quotes.add_package(self.db, self.caller, quote_id, load(s.AddPackageIn(), data), self._quote_parts)
        return self._quote(quotes.get_quote(self.db, self.caller, quote_id))

    @rpc
    def remove_quote_line(self, quote_id: str, line_id: str) -> dict:
        return self._quote(quotes.remove_line(self.db, self.caller, quote_id, line_id))

    @rpc
    def set_quote_discount(self, quote_id: str, data: dict) -> dict:
        return self._quote(quotes.set_discount(self.db, self.caller, quote_id, load(s.QuoteDiscountIn(), data)))

    @rpc
    def approve_quote_discount(self, quote_id: str, data: dict) -> dict:
        note = load(s.ApprovalIn(), data).get("note")
        return self._quote(quotes.approve(self.db, self.caller, quote_id, note))

    @rpc
    def reject_quote_discount(self, quote_id: str, data: dict) -> dict:
        reason = load(s.RejectionIn(), data)["reason"]
        return self._quote(quotes.reject(self.db, self.caller, quote_id, reason))

    @rpc
    def present_quote(self, quote_id: str) -> dict:
        return self._quote(quotes.present(self.db, self.caller, quote_id))

    @rpc
    def decide_quote(self, quote_id: str, data: dict) -> dict:
        return self._quote(quotes.decide(self.db, self.caller, quote_id, load(s.DecisionIn(), data)))

    @rpc
    def revise_quote(self, quote_id: str) -> dict:
        return self._quote(quotes.revise(self.db, self.caller, quote_id))

    @rpc
    def contract_quote(self, quote_id: str, data: dict, signature: dict | None = None) -> dict:
        """Sign the approved quote; `signature`: the customer's drawn signature as the gateway stored it."""
        order = orders.contract(self.db, self.caller, quote_id, load(s.ContractIn(), data))
        if signature:
            signing.sign_contract(self.db, self.caller, order, load(attachments.AttachmentRecord(), signature))
        return self._signed_order(order)

    def _signed_order(self, order) -> dict:
        signed = signing.contract_signature(self.db, order)
        return {**self._order(order), "signature": signature_out.dump(signed) if signed else None}

    # -- the customer channel (caller role `customer`) ---------------------------------------
    def _customer_quote(self, quote) -> dict:
        data = cs.CustomerQuoteOut().dump(quote)
        data["totals"] = _totals(quote)
        signed = signing.decision_signature(self.db, quote)
        data["signed"] = signed is not None
        data["signature"] = customer_signature_out.dump(signed) if signed else None
        return data

    @rpc
    def customer_quote(self, quote_id: str) -> dict:
        """The signed-in customer's own presented (or decided) quote; anyone else's is NotFound."""
        return self._customer_quote(customer.own_quote(self.db, self.caller, quote_id))

    @rpc
    def customer_visit(self, visit_id: str) -> dict:
        """One of the customer's visits: the walk-around (check-in and delivery) and the signed contracts."""
        visit = customer.own_visit(self.db, self.caller, visit_id)
        contracts = []
        for order in customer.visit_orders(self.db, visit):
            signed = signing.contract_signature(self.db, order)
            contracts.append({"id": order.id, "number": order.number, "confirmed_at": order.confirmed_at,
                              "total_fen": order.total_fen, "signature": signed})
        photos = attachments.attachments_of(self.db, "visit", [visit.id]).get(visit.id, [])
        return cs.CustomerVisitOut().dump({**{name: getattr(visit, name) for name in (
            "id", "store_id", "vehicle_id", "plate", "mileage_km", "checked_in_at")},
            "photos": photos, "contracts": contracts})

    @rpc
    def customer_attachment(self, attachment_id: str, quote_id: str | None = None) -> dict:
        """A walk-around photo or signature of the signed-in customer's own documents (else NotFound)."""
        return stored_attachment_out.dump(customer.own_attachment(self.db, self.caller, attachment_id, quote_id))

    @rpc
    def customer_decide_quote(self, quote_id: str, data: dict) -> dict:
        return self._customer_quote(customer.decide(self.db, self.caller, quote_id,
                                                    load(cs.CustomerDecisionIn(), data)))

    @rpc
    def customer_book_appointment(self, data: dict) -> dict:
        booking = load(cs.CustomerBookingIn(), data)
        vehicle = self._crm("get_vehicle", booking["vehicle_id"], "vehicle_id")
        if vehicle.get("customer_id") != self.caller.require_customer():
            raise Invalid("Not one of your cars.", fields={"vehicle_id": ["Unknown."]},
                          code="vehicle_of_other_customer", params={"plate": vehicle.get("plate") or ""})
        return appointment_out.dump(customer.book(self.db, self.caller, booking))

    @rpc
    def customer_appointments(self) -> dict:
        return {"items": appointment_out.dump(customer.own_appointments(self.db, self.caller), many=True),
                "next_cursor": None}

    @rpc
    def customer_cancel_appointment(self, appointment_id: str) -> dict:
        return appointment_out.dump(customer.cancel(self.db, self.caller, appointment_id))

    @rpc
    def customer_reschedule_appointment(self, appointment_id: str, data: dict) -> dict:
        slot_start = load(cs.RescheduleIn(), data)["slot_start"]
        return appointment_out.dump(customer.reschedule(self.db, self.caller, appointment_id, slot_start))

    @rpc
    def free_slots(self, query: dict) -> dict:
        params = load(cs.FreeSlotsQuery(), query)
        return {"items": cs.FreeSlotOut().dump(customer.free_slots(self.db, params["store_id"], params["date"]),
                                               many=True)}

    @rpc
    def customer_timeline(self, vehicle_id: str | None = None) -> dict:
        return {"items": TimelineStepOut().dump(customer.timeline(self.db, self.caller, vehicle_id), many=True)}

    @timer(interval=60)
    @unit_of_work
    def expire_quotes(self) -> None:
        expired = quotes.expire_overdue(self.db)
        if expired:
            log.info("quotes expired", extra={"count": expired})

    # -- orders -----------------------------------------------------------------------------
    @rpc
    def get_order(self, order_id: str) -> dict:
        return self._signed_order(orders.get_order(self.db, self.caller, order_id))

    @rpc
    def list_orders(self, query: dict) -> dict:
        result = orders.list_orders(self.db, self.caller, load(s.OrderListQuery(), query))
        return {"items": [self._order(o) for o in result["items"]], "next_cursor": result["next_cursor"]}

    @rpc
    def cancel_order(self, order_id: str, data: dict) -> dict:
        reason = load(s.ReasonIn(), data)["reason"]
        return self._order(orders.cancel(self.db, self.caller, order_id, reason))

    @event_handler("workshop", "work_started")
    def on_work_started(self, envelope: dict) -> None:
        orders.on_work_started(self.db, envelope["payload"])

    @event_handler("workshop", "work_order_completed")
    def on_work_order_completed(self, envelope: dict) -> None:
        orders.on_work_order_completed(self.db, envelope["payload"])

    @event_handler("workshop", "vehicle_delivered")
    def on_vehicle_delivered(self, envelope: dict) -> None:
        orders.on_vehicle_delivered(self.db, envelope["payload"])

    @event_handler("finance", "invoice_paid")
    def on_invoice_paid(self, envelope: dict) -> None:
        orders.on_invoice_paid(self.db, envelope["payload"])

    @event_handler("crm", "customer_erased")
    def on_customer_erased(self, envelope: dict) -> None:
        privacy.erase_customer(self.db, envelope["payload"])


SERVICE = SalesService
