"""The workshop nameko service: thin entrypoints over `domain`, schemas at the boundary.
Work orders open from sales' confirmed orders, follow inventory's reservations, and are worked
through dispatch, the time clock, inspection, QC, completion and delivery."""
from __future__ import annotations

from nameko.exceptions import RemoteError

from services.common import attachments
from services.common.attachment_jobs import Attachments
from services.common.entrypoints import AuditTrail, ServiceBase, event_handler, rpc
from services.common.errors import Forbidden
from services.common.policy import manages, visible_stores
from services.common.upstream import ServiceRpc, answer_within_timeout, as_domain_error
from services.common.schemas import StoresPeriodQuery, load
from services.common.timeline import TimelineStepOut
from services.contracts.rpc.workshop import (AttentionOut, BayCreate, BayListQuery, BayOut, BayPlanOut, BayPlanQuery,
                                             CertificationCreate, CertificationOut, ClockOutRequest, ClockRequest,
                                             CompleteRequest, CrewBoardOut, CrewBoardQuery, CustomerFindingOut,
                                             DeliverRequest, DispatchRequest, FindingOut, InspectionCreate,
                                             InspectionOut, JobBoardOut, QcRequest, QcResultOut, QuoteFindingsRequest,
                                             ReadyForQcRequest, ScorecardsOut, StatsOut, StatsQuery, SuggestionQuery,
                                             SuggestionsOut,
                                             TechnicianCreate, TechnicianListQuery, TechnicianOut, TechnicianPatch,
                                             TimeEntryOut, TrainingCreate, TrainingOut, WorkOrderListQuery,
                                             WorkOrderOut)
from services.contracts.rpc.workshop.customer import CustomerAcceptanceIn, CustomerWorkOrderOut, CustomerWorkOrderQuery

from .domain import (bays, clock, completion, customer, dispatch, inspections, order_facts, privacy, qc, stats,
                     technicians, work_orders)
from .domain.views import work_order_view, work_order_views

technician_out, work_order_out, time_entry_out = TechnicianOut(), WorkOrderOut(), TimeEntryOut()
inspection_out, qc_out, bay_out = InspectionOut(), QcResultOut(), BayOut()
finding_out = FindingOut()
attachment_out, stored_attachment_out = attachments.AttachmentOut(many=True), attachments.StoredAttachmentOut()


class WorkshopService(Attachments, AuditTrail, ServiceBase):  # type: ignore[misc]  # db, caller: see Attachments
    name = "workshop"

    sales = ServiceRpc("sales")
    finance = ServiceRpc("finance")

    # -- helpers ---------------------------------------------------------------------------------
    def _work_order(self, work_order) -> dict:
        return work_order_out.dump(work_order_view(self.db, work_order))

    def _technician(self, technician, many: bool = False):
        if many:
            return [self._technician(t) for t in technician]
        data = technician_out.dump(technician)
        if not manages(self.caller):
            data["hourly_cost_fen"] = None  # labour cost is for managers' eyes
        return data

    def _inspection(self, inspection) -> dict:
        data = inspection_out.dump(inspection)
        data["summary"] = inspections.summary(inspection.findings)
        self._with_photos(data["findings"])
        return data

    def _with_photos(self, findings: list[dict], stored: bool = False) -> list[dict]:
        """Each finding with its photos (dumped for staff, or left as rows for another schema to dump)."""
        photos = attachments.attachments_of(self.db, "finding", [f["id"] for f in findings])
        for finding in findings:
            rows = photos.get(finding["id"], [])
            finding["photos"] = rows if stored else attachment_out.dump(rows)
        return findings

    def _require_manager(self) -> None:
        if not manages(self.caller):
            raise Forbidden(f"The role {self.caller.role} may not change technicians or bays.", code="needs_manager")

    # -- technicians -----------------------------------------------------------------------------
    @rpc
    def create_technician(self, data: dict) -> dict:
        self._require_manager()
        technician = load(TechnicianCreate(), data)
        self.caller.require_store(technician["store_id"])
        return self._technician(technicians.create_technician(self.db, technician))

    @rpc
    def get_technician(self, technician_id: str) -> dict:
        return self._technician(technicians.get_technician(self.db, technician_id, self.caller))

    @rpc
    def update_technician(self, technician_id: str, changes: dict) -> dict:
        self._require_manager()
        patch = load(TechnicianPatch(), changes)
        technician = technicians.get_technician(self.db, technician_id, self.caller)
        if "store_id" in patch:
            self.caller.require_store(patch["store_id"])
        return self._technician(technicians.update_technician(self.db, technician, patch))

    @rpc
    def list_technicians(self, query: dict) -> dict:
        filters = load(TechnicianListQuery(), query)
        stores = visible_stores(self.caller, filters.get("store_id"))
        result = technicians.list_technicians(self.db, stores, filters)
        return {"items": self._technician(result["items"], many=True), "next_cursor": result["next_cursor"]}

    @rpc
    def add_certification(self, technician_id: str, data: dict) -> dict:
        self._require_manager()
        technician = technicians.get_technician(self.db, technician_id, self.caller)
        return CertificationOut().dump(technicians.add_certification(self.db, technician,
                                                                     load(CertificationCreate(), data)))

    @rpc
    def add_training(self, technician_id: str, data: dict) -> dict:
        self._require_manager()
        technician = technicians.get_technician(self.db, technician_id, self.caller)
        return TrainingOut().dump(technicians.add_training(self.db, technician, load(TrainingCreate(), data)))

    @rpc
    def job_board(self, technician_id: str | None = None) -> dict:
        """A technician's jobs across work orders; `technician_id` None = the caller's own."""
        if technician_id is None:
            technician = technicians.technician_of_user(self.db, self.caller.user_id)
            if technician is None:
                raise Forbidden("Your account is not linked to a technician record.", code="account_not_a_technician")
        else:
            technician = technicians.get_technician(self.db, technician_id, self.caller)
        board = JobBoardOut().dump({"technician": technician,
                                    "items": dispatch.job_board(self.db, self.caller, technician)})
        return {**board, "technician": self._technician(technician)}

    @rpc
    def crew_board(self, query: dict) -> dict:
        params = load(CrewBoardQuery(), query)
        self.caller.require_store(params["store_id"])
        return CrewBoardOut().dump({"store_id": params["store_id"],
                                    "items": dispatch.crew_board(self.db, params["store_id"], params["at"])})

    # -- work orders -----------------------------------------------------------------------------
    @rpc
    def customer_timeline(self, vehicle_id: str | None = None) -> dict:
        """The workshop steps of the signed-in customer's cars (the customer channel)."""
        return {"items": TimelineStepOut().dump(customer.timeline(self.db, self.caller, vehicle_id), many=True)}

    @rpc
    def customer_work_orders(self, query: dict) -> dict:
        vehicle_id = load(CustomerWorkOrderQuery(), query)["vehicle_id"]
        return {"items": CustomerWorkOrderOut().dump(customer.own_work_orders(self.db, self.caller, vehicle_id),
                                                     many=True), "next_cursor": None}

    @rpc
    def customer_accept_delivery(self, work_order_id: str, data: dict) -> dict:
        """The owner accepts the car from the phone: the staff's delivery (paid in full first), with the
        caller scoped to the work order's store."""
        request = load(CustomerAcceptanceIn(), data)
        work_order = customer.own_work_order(self.db, self.caller, work_order_id)
        scoped, order_id = self.caller.at_store(work_order.store_id), work_order.order_id
        delivered = self._deliver(scoped, work_order_id, order_id, customer.acceptance(request))
        return CustomerWorkOrderOut().dump(delivered)

    @rpc
    def list_work_orders(self, query: dict) -> dict:
        result = work_orders.list_work_orders(self.db, self.caller, load(WorkOrderListQuery(), query))
        return {"items": work_order_out.dump(work_order_views(self.db, result["items"]), many=True),
                "next_cursor": result["next_cursor"]}

    @rpc
    def get_work_order(self, work_order_id: str) -> dict:
        return self._work_order(work_orders.get_work_order(self.db, work_order_id, self.caller))

    @rpc
    def dispatch(self, work_order_id: str, data: dict) -> dict:
        request = load(DispatchRequest(), data)
        return self._work_order(dispatch.dispatch(self.db, self.caller, work_order_id, request))

    @rpc
    def suggest_technicians(self, work_order_id: str, job_id: str, query: dict | None = None) -> dict:
        params = load(SuggestionQuery(), query)
        work_order = work_orders.get_work_order(self.db, work_order_id, self.caller)
        job = work_orders.get_job(work_order, job_id)
        items = dispatch.suggest(self.db, self.caller, work_order_id, job_id, params["at"],
                                 params["include_off_shift"])
        return SuggestionsOut().dump({"job_id": job.id, "skill": job.skill, "items": items})

    @rpc
    def clock_in(self, work_order_id: str, job_id: str, data: dict | None = None) -> dict:
        request = load(ClockRequest(), data)
        entry = clock.clock_in(self.db, self.caller, work_order_id, job_id, request["technician_id"], request["note"])
        return time_entry_out.dump(entry)

    @rpc
    def clock_out(self, work_order_id: str, job_id: str, data: dict | None = None) -> dict:
        request = load(ClockOutRequest(), data)
        entry = clock.clock_out(self.db, self.caller, work_order_id, job_id, request["technician_id"], request["note"],
                                request["job_finished"])
        return time_entry_out.dump(entry)

    @rpc
    def request_qc(self, work_order_id: str, data: dict | None = None) -> dict:
        request = load(ReadyForQcRequest(), data)
        return self._work_order(qc.request_qc(self.db, self.caller, work_order_id, request["note"]))

    @rpc
    def record_qc(self, work_order_id: str, data: dict) -> dict:
        result = qc.record_qc(self.db, self.caller, work_order_id, load(QcRequest(), data))
        return {**self._work_order(work_orders.get_work_order(self.db, work_order_id)),
                "qc_result": qc_out.dump(result)}

    @rpc
    def complete(self, work_order_id: str, data: dict | None = None) -> dict:
        request = load(CompleteRequest(), data)
        return self._work_order(completion.complete(self.db, self.caller, work_order_id, request))

    @rpc
    def deliver(self, work_order_id: str, data: dict) -> dict:
        """The invoice's balance is asked of finance between a read of the work order and the
        transaction that delivers it (none is held across the call): it is as of now, as the
        cashier has just left it."""
        request = load(DeliverRequest(), data)
        order_id = work_orders.get_work_order(self.db, work_order_id, self.caller).order_id
        return self._work_order(self._deliver(self.caller, work_order_id, order_id, request))

    def _deliver(self, caller, work_order_id: str, order_id: str, request: dict):
        self.db.rollback()  # the read ends here
        try:
            with answer_within_timeout("finance", "the invoice's balance is needed to deliver; try again."):
                balance = self.finance.get_order_balance(order_id)
        except RemoteError as exc:
            raise (as_domain_error(exc) or exc) from exc
        return completion.deliver(self.db, caller, work_order_id, request, balance)

    @rpc
    def record_inspection(self, work_order_id: str, data: dict) -> dict:
        inspection = inspections.record_inspection(self.db, self.caller, work_order_id, load(InspectionCreate(), data))
        return self._inspection(inspection)

    @rpc
    def list_inspections(self, work_order_id: str) -> dict:
        found = inspections.inspections_of(self.db, self.caller, work_order_id)
        return {"items": [self._inspection(i) for i in found],
                "attention": self._with_photos(AttentionOut(many=True).dump(inspections.needing_attention(found)))}

    # -- attachments (bytes in the object store, written by the gateway) ----------------------------
    @rpc
    def authorize_finding_photo(self, work_order_id: str, finding_id: str) -> dict:
        """Before the gateway stores an upload: may the caller attach to this finding (its store)?"""
        return inspections.finding_owner(self.db, self.caller, work_order_id, finding_id)

    @rpc
    def record_finding_photo(self, work_order_id: str, finding_id: str, data: dict) -> dict:
        """After the bytes are stored: the attachment's row (checked against the finding again)."""
        owner = inspections.finding_owner(self.db, self.caller, work_order_id, finding_id)
        row = attachments.record_attachment(self.db, self.caller, owner, load(attachments.AttachmentRecord(), data))
        return stored_attachment_out.dump(row)

    def attachment_owner(self, owner_type: str, owner_id: str) -> dict:
        if owner_type != "work_order":
            return super().attachment_owner(owner_type, owner_id)
        return work_orders.attachment_owner(self.db, self.caller, owner_id)

    @rpc
    def findings_of_quote(self, quote_id: str) -> dict:
        """The findings a quote was opened for, with their photos (the advisor's quote view)."""
        found = finding_out.dump(inspections.findings_of_quote(self.db, self.caller, quote_id), many=True)
        return {"items": self._with_photos(found)}

    @rpc
    def findings_for_print(self, work_order_id: str) -> dict:
        """The work order's findings to print with their photos: where each photo's bytes are (the gateway
        reads them from the object store); the red and yellow ones and any with a photo."""
        found = [finding_out.dump(f) for inspection in inspections.inspections_of(self.db, self.caller, work_order_id)
                 for f in inspection.findings]
        printed = [f for f in self._with_photos(found, stored=True) if f["condition"] != "green" or f["photos"]]
        return {"items": [{**f, "photos": stored_attachment_out.dump(f["photos"], many=True)} for f in printed]}

    @rpc
    def customer_quote_findings(self, quote_id: str) -> dict:
        """The findings of the signed-in customer's own quote, with their photos (/c/v1 URLs)."""
        found = self._with_photos(finding_out.dump(inspections.findings_of_quote(self.db, self.caller, quote_id),
                                                   many=True), stored=True)
        for finding in found:
            finding["photos"] = [{**photo, "quote_id": quote_id} for photo in finding["photos"]]
        return {"items": CustomerFindingOut(many=True).dump(found)}

    @rpc
    def customer_attachment(self, attachment_id: str, quote_id: str | None = None) -> dict:
        """A photo of a finding on the signed-in customer's own car (with `quote_id`: a finding that quote
        was opened for), else NotFound."""
        row = attachments.attachment_row(self.db, attachment_id)
        return stored_attachment_out.dump(inspections.customer_finding_photo(self.db, self.caller, row, quote_id))

    @rpc
    def quote_findings(self, work_order_id: str, data: dict) -> dict:
        """Red/yellow findings → a new quote for the same visit, in one call to sales."""
        request = load(QuoteFindingsRequest(), data)
        order_id, chosen = inspections.findings_to_quote(self.db, self.caller, work_order_id, request["finding_ids"])
        findings = [{"finding_id": f.id, "area": f.area, "item": f.item, "condition": f.condition,
                     "notes": f.notes, "recommended_op_code": f.recommended_op_code} for f in chosen]
        try:
            with answer_within_timeout("sales"):
                quote = self.sales.quote_findings(order_id, findings)
        except RemoteError as exc:
            raise (as_domain_error(exc) or exc) from exc
        inspections.mark_quoted(self.db, chosen, quote["id"])
        return quote

    # -- bays ------------------------------------------------------------------------------------
    @rpc
    def create_bay(self, data: dict) -> dict:
        self._require_manager()
        bay = load(BayCreate(), data)
        self.caller.require_store(bay["store_id"])
        return bay_out.dump(bays.create_bay(self.db, bay))

    @rpc
    def list_bays(self, query: dict | None = None) -> dict:
        filters = load(BayListQuery(), query)
        stores = visible_stores(self.caller, filters.get("store_id"))
        return {"items": bay_out.dump(bays.list_bays(self.db, stores, filters.get("active")), many=True)}

    @rpc
    def bay_plan(self, query: dict) -> dict:
        params = load(BayPlanQuery(), query)
        self.caller.require_store(params["store_id"])
        return BayPlanOut().dump(bays.bay_plan(self.db, params["store_id"], params["date"], params["time_zone"]))

    @rpc
    def workshop_stats(self, query: dict) -> dict:
        params = load(StatsQuery(), query)
        self.caller.require_store(params["store_id"])
        return StatsOut().dump(stats.workshop_stats(self.db, params["store_id"], params["from_"], params["to"],
                                                    params["time_zone"]))

    @rpc
    def workshop_stats_for_stores(self, query: dict) -> dict:
        """`workshop_stats` of several stores in one call (the chain's KPI report), per period when grouped."""
        params = load(StoresPeriodQuery(), query)
        for store in params["stores"]:
            self.caller.require_store(store["store_id"])
        return {"items": StatsOut().dump([
            row for store in params["stores"] for row in stats.workshop_stats_by_period(
                self.db, store["store_id"], params["from_"], params["to"], store["time_zone"], params["group"])],
            many=True)}

    @rpc
    def technician_scorecards(self, query: dict) -> dict:
        """Each technician's figures over the store-local days, for the people report (one call a store)."""
        params = load(StatsQuery(), query)
        self.caller.require_store(params["store_id"])
        return ScorecardsOut().dump(stats.technician_scorecards(self.db, params["store_id"], params["from_"],
                                                                params["to"], params["time_zone"]))

    # -- events from sales, inventory and crm ------------------------------------------------------
    @event_handler("sales", "order_confirmed")
    def on_order_confirmed(self, envelope: dict) -> None:
        order_facts.open_from_order(self.db, envelope["payload"])

    @event_handler("sales", "order_cancelled")
    def on_order_cancelled(self, envelope: dict) -> None:
        order_facts.cancel_for_order(self.db, envelope["payload"])

    @event_handler("inventory", "stock_shortage")
    def on_stock_shortage(self, envelope: dict) -> None:
        order_facts.parts_status(self.db, envelope["payload"], waiting=True)

    @event_handler("inventory", "stock_reserved")
    def on_stock_reserved(self, envelope: dict) -> None:
        order_facts.parts_status(self.db, envelope["payload"], waiting=False)

    @event_handler("crm", "customer_erased")
    def on_customer_erased(self, envelope: dict) -> None:
        privacy.erase_customer(self.db, envelope["payload"])


SERVICE = WorkshopService
