"""Workshop endpoints (owned by the workshop service): technicians, work orders and their dispatch,
time clock, inspections, QC, completion and delivery, bays and the day's bay plan. Store scope is
checked here for store ids the client names and again in the service for every document."""
from __future__ import annotations

from services.common.policy import ALL_ROLES, COUNTER, MANAGERS, SHOP_FLOOR, can_access_store, require_store
from services.contracts.rpc.sales import QuoteOut
from services.contracts.rpc.workshop import (BayCreate, BayListQuery, BayOut, BayPlanOut, BayPlanQuery, BaysOut,
                                             CertificationCreate, CertificationOut, ClockOutRequest, ClockRequest,
                                             CompleteRequest, CrewBoardOut, CrewBoardQuery, DeliverRequest,
                                             DispatchRequest, InspectionCreate, InspectionOut, InspectionsOut,
                                             JobBoardOut, QcOutcomeOut, QcRequest, QuoteFindingsRequest,
                                             ReadyForQcRequest, StatsOut, StatsQuery, SuggestionQuery, SuggestionsOut,
                                             TechnicianCreate, TechnicianListQuery, TechnicianOut, TechnicianPatch,
                                             TimeEntryOut, TrainingCreate, TrainingOut, WorkOrderListQuery,
                                             WorkOrderOut)

from ..api import ValidationFailed, endpoint
from ..models import User
from . import Resource, checked, scoped

TAG = "workshop"


class WorkshopResource(Resource):
    def store_time_zone(self, store_id: str | None) -> str | None:
        if not store_id:
            return None
        store = self.store(store_id)
        return store.timezone if store is not None else None

    def check_linked_user(self, user_id: str | None, store_id: str | None) -> None:
        """The account a technician record is linked to exists, is active and works in that store."""
        if not user_id:
            return
        with self.deps.identity_db() as session:
            user = session.get(User, user_id)
            if user is None or not user.active:
                raise ValidationFailed({"user_id": ["No active staff account with this id."]})
            if store_id and not can_access_store(user, store_id):
                raise ValidationFailed({"user_id": ["This account does not work in the technician's store."]})


class Technicians(WorkshopResource):
    @endpoint("Add a technician (skills, level, hourly cost, weekly shifts)", tag=TAG, roles=MANAGERS,
              body=TechnicianCreate, response=TechnicianOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        data = scoped(req, "body_json")
        if "time_zone" not in data and (zone := self.store_time_zone(data.get("store_id"))):
            data["time_zone"] = zone
        self.check_linked_user(data.get("user_id"), data.get("store_id"))
        technician = self.call(req, "workshop", "create_technician", data=data)
        resp.location = f"/v1/technicians/{technician['id']}"
        return technician

    @endpoint("Technicians of the user's stores (filters: store_id, skill, level, active)", tag=TAG,
              roles=ALL_ROLES, query=TechnicianListQuery, response=TechnicianOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "workshop", "list_technicians", query=checked(req))


class TechnicianItem(WorkshopResource):
    @endpoint("A technician with shifts, certifications and training", tag=TAG, roles=ALL_ROLES,
              response=TechnicianOut)
    def on_get(self, req, resp, technician_id: str):
        return self.call(req, "workshop", "get_technician", technician_id=technician_id)

    @endpoint("Change a technician (skills, shifts, level, cost, linked user, active)", tag=TAG, roles=MANAGERS,
              body=TechnicianPatch, response=TechnicianOut)
    def on_patch(self, req, resp, technician_id: str):
        changes = dict(req.context.body_json)
        if changes.get("user_id") or changes.get("store_id"):
            current = self.call(req, "workshop", "get_technician", technician_id=technician_id)
            require_store(req.context.principal, changes.get("store_id"))
            self.check_linked_user(changes.get("user_id", current["user_id"]),
                                   changes.get("store_id", current["store_id"]))
            if changes.get("store_id") and "time_zone" not in changes:
                changes["time_zone"] = self.store_time_zone(changes["store_id"]) or current["time_zone"]
        return self.call(req, "workshop", "update_technician", technician_id=technician_id, changes=changes)


class Certifications(WorkshopResource):
    @endpoint("Record a certification (its skill is added to the technician's)", tag=TAG, roles=MANAGERS,
              body=CertificationCreate, response=CertificationOut, status=201, idempotent=True)
    def on_post(self, req, resp, technician_id: str):
        return self.call(req, "workshop", "add_certification", technician_id=technician_id,
                         data=req.context.body_json)


class Trainings(WorkshopResource):
    @endpoint("Record a training (岗前 / 在职 …)", tag=TAG, roles=MANAGERS, body=TrainingCreate,
              response=TrainingOut, status=201, idempotent=True)
    def on_post(self, req, resp, technician_id: str):
        return self.call(req, "workshop", "add_training", technician_id=technician_id, data=req.context.body_json)


class JobBoard(WorkshopResource):
    @endpoint("A technician's job board across work orders (`me` for one's own)", tag=TAG, roles=SHOP_FLOOR,
              response=JobBoardOut)
    def on_get(self, req, resp, technician_id: str):
        return self.call(req, "workshop", "job_board", technician_id=None if technician_id == "me" else technician_id)


class CrewBoard(WorkshopResource):
    @endpoint("The foreman's crew board: who is on shift, clocked into what since when, and their load", tag=TAG,
              roles=COUNTER, query=CrewBoardQuery, response=CrewBoardOut)
    def on_get(self, req, resp):
        return self.call(req, "workshop", "crew_board", query=checked(req))


class WorkOrders(WorkshopResource):
    @endpoint("Work orders of the user's stores (filters: store_id, status, vehicle_id, waiting_parts, comeback …)",
              tag=TAG, roles=ALL_ROLES, query=WorkOrderListQuery, response=WorkOrderOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "workshop", "list_work_orders", query=checked(req))


class WorkOrderItem(WorkshopResource):
    @endpoint("A work order: jobs with who is on them since when, parts, history, time entries, QC", tag=TAG,
              roles=ALL_ROLES, response=WorkOrderOut)
    def on_get(self, req, resp, work_order_id: str):
        return self.call(req, "workshop", "get_work_order", work_order_id=work_order_id)


class Dispatch(WorkshopResource):
    @endpoint("Dispatch (派工): technicians per job with a split summing to 100; optionally a bay and start",
              tag=TAG, roles=COUNTER, body=DispatchRequest, response=WorkOrderOut)
    def on_post(self, req, resp, work_order_id: str):
        return self.call(req, "workshop", "dispatch", work_order_id=work_order_id, data=req.context.body_json)


class Suggestions(WorkshopResource):
    @endpoint("Who could take this job: on-shift technicians with the skill, least loaded first", tag=TAG,
              roles=COUNTER, query=SuggestionQuery, response=SuggestionsOut)
    def on_get(self, req, resp, work_order_id: str, job_id: str):
        return self.call(req, "workshop", "suggest_technicians", work_order_id=work_order_id, job_id=job_id,
                         query=req.context.query_json)


class ClockIn(WorkshopResource):
    @endpoint("Clock in to a job (a technician clocks themselves; the foreman names technician_id)", tag=TAG,
              roles=SHOP_FLOOR, body=ClockRequest, response=TimeEntryOut, status=201, idempotent=True)
    def on_post(self, req, resp, work_order_id: str, job_id: str):
        return self.call(req, "workshop", "clock_in", work_order_id=work_order_id, job_id=job_id,
                         data=req.context.body_json)


class ClockOut(WorkshopResource):
    @endpoint("Clock out of a job (job_finished: the job is done)", tag=TAG, roles=SHOP_FLOOR, body=ClockOutRequest,
              response=TimeEntryOut, idempotent=True)
    def on_post(self, req, resp, work_order_id: str, job_id: str):
        return self.call(req, "workshop", "clock_out", work_order_id=work_order_id, job_id=job_id,
                         data=req.context.body_json)


class ReadyForQc(WorkshopResource):
    @endpoint("Work done: send the work order to QC (nobody may still be clocked in)", tag=TAG, roles=SHOP_FLOOR,
              body=ReadyForQcRequest, response=WorkOrderOut)
    def on_post(self, req, resp, work_order_id: str):
        return self.call(req, "workshop", "request_qc", work_order_id=work_order_id, data=req.context.body_json)


class Qc(WorkshopResource):
    @endpoint("Record QC (质检) by someone not on the job: fail → in_progress with reasons, pass → completable",
              tag=TAG, roles=SHOP_FLOOR, body=QcRequest, response=QcOutcomeOut, idempotent=True)
    def on_post(self, req, resp, work_order_id: str):
        return self.call(req, "workshop", "record_qc", work_order_id=work_order_id, data=req.context.body_json)


class Complete(WorkshopResource):
    @endpoint("Complete: actual hours per technician and parts used → workshop.work_order_completed", tag=TAG,
              roles=COUNTER, body=CompleteRequest, response=WorkOrderOut, idempotent=True)
    def on_post(self, req, resp, work_order_id: str):
        return self.call(req, "workshop", "complete", work_order_id=work_order_id, data=req.context.body_json)


class Deliver(WorkshopResource):
    @endpoint("Deliver: mileage out and the customer's acceptance → workshop.vehicle_delivered", tag=TAG,
              roles=COUNTER, body=DeliverRequest, response=WorkOrderOut, idempotent=True)
    def on_post(self, req, resp, work_order_id: str):
        return self.call(req, "workshop", "deliver", work_order_id=work_order_id, data=req.context.body_json)


class Inspections(WorkshopResource):
    @endpoint("Record an inspection (DVI): findings per area, green/yellow/red, notes, photo references", tag=TAG,
              roles=SHOP_FLOOR, body=InspectionCreate, response=InspectionOut, status=201, idempotent=True)
    def on_post(self, req, resp, work_order_id: str):
        return self.call(req, "workshop", "record_inspection", work_order_id=work_order_id,
                         data=req.context.body_json)

    @endpoint("The work order's inspections", tag=TAG, roles=ALL_ROLES, response=InspectionsOut)
    def on_get(self, req, resp, work_order_id: str):
        return self.call(req, "workshop", "list_inspections", work_order_id=work_order_id)


class InspectionQuote(WorkshopResource):
    @endpoint("Turn red/yellow findings into a new quote for the same visit (sales prices it)", tag=TAG,
              roles=COUNTER, body=QuoteFindingsRequest, response=QuoteOut, status=201, idempotent=True)
    def on_post(self, req, resp, work_order_id: str):
        return self.call(req, "workshop", "quote_findings", work_order_id=work_order_id, data=req.context.body_json)


class Bays(WorkshopResource):
    @endpoint("Add a bay (工位) to a store", tag=TAG, roles=MANAGERS, body=BayCreate, response=BayOut, status=201,
              idempotent=True)
    def on_post(self, req, resp):
        data = scoped(req, "body_json")
        return self.call(req, "workshop", "create_bay", data=data)

    @endpoint("Bays of the user's stores", tag=TAG, roles=ALL_ROLES, query=BayListQuery, response=BaysOut)
    def on_get(self, req, resp):
        return self.call(req, "workshop", "list_bays", query=checked(req))


class BayPlan(WorkshopResource):
    @endpoint("The day's bay plan of a store (its local day)", tag=TAG, roles=ALL_ROLES, query=BayPlanQuery,
              response=BayPlanOut)
    def on_get(self, req, resp):
        query = dict(checked(req))
        if "time_zone" not in query and (zone := self.store_time_zone(query.get("store_id"))):
            query["time_zone"] = zone
        return self.call(req, "workshop", "bay_plan", query=query)


class Stats(WorkshopResource):
    @endpoint("The workshop's numbers for a period: comeback rate, first-time QC pass, cycle time, technicians' "
              "billed vs clocked hours", tag=TAG, roles=COUNTER, query=StatsQuery, response=StatsOut)
    def on_get(self, req, resp):
        query = dict(checked(req))
        if "time_zone" not in query and (zone := self.store_time_zone(query.get("store_id"))):
            query["time_zone"] = zone
        return self.call(req, "workshop", "workshop_stats", query=query)


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/technicians", Technicians(deps)),
        ("/v1/technicians/{technician_id}", TechnicianItem(deps)),
        ("/v1/technicians/{technician_id}/certifications", Certifications(deps)),
        ("/v1/technicians/{technician_id}/trainings", Trainings(deps)),
        ("/v1/technicians/{technician_id}/jobs", JobBoard(deps)),
        ("/v1/crew-board", CrewBoard(deps)),
        ("/v1/work-orders", WorkOrders(deps)),
        ("/v1/work-orders/{work_order_id}", WorkOrderItem(deps)),
        ("/v1/work-orders/{work_order_id}/dispatch", Dispatch(deps)),
        ("/v1/work-orders/{work_order_id}/jobs/{job_id}/suggestions", Suggestions(deps)),
        ("/v1/work-orders/{work_order_id}/jobs/{job_id}/clock-in", ClockIn(deps)),
        ("/v1/work-orders/{work_order_id}/jobs/{job_id}/clock-out", ClockOut(deps)),
        ("/v1/work-orders/{work_order_id}/ready-for-qc", ReadyForQc(deps)),
        ("/v1/work-orders/{work_order_id}/qc", Qc(deps)),
        ("/v1/work-orders/{work_order_id}/complete", Complete(deps)),
        ("/v1/work-orders/{work_order_id}/deliver", Deliver(deps)),
        ("/v1/work-orders/{work_order_id}/inspections", Inspections(deps)),
        ("/v1/work-orders/{work_order_id}/inspections/quote", InspectionQuote(deps)),
        ("/v1/bays", Bays(deps)),
        ("/v1/bay-plan", BayPlan(deps)),
        ("/v1/workshop-stats", Stats(deps)),
    ]
