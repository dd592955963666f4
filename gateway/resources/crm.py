"""crm: customers and vehicles (chain-wide) with their history, and the store documents of
customer care: follow-ups, complaints, service-due reminders, campaigns (visible to their
store's users and HQ: checked here and again in the service)."""
from __future__ import annotations

from dataclasses import replace

import falcon
from marshmallow import Schema, fields

from services.common.policy import ALL_ROLES, COUNTER, FRONT_DESK, HQ, MANAGERS, require_store
from services.common.schemas import ListQuery
from services.common.validators import mask_id
from services.contracts.rpc.crm import (AuditEntryOut, CampaignCreate, CampaignOut, CampaignPreview, CampaignPreviewOut,
                                        CampaignQuery, ComplaintCreate, ComplaintOut, ComplaintPatch, ComplaintQuery,
                                        CustomerCreate, CustomerListQuery, CustomerOut, CustomerPatch, FollowUpComplete,
                                        FollowUpOut, FollowUpQuery, HistoryEntryOut, HistoryQuery, MergeRequest,
                                        MessageAccountsOut, MessageOut, MessageQuery, OutboxMessageOut, OutboxQuery,
                                        ReminderOut,
                                        ReminderQuery, SatisfactionOut, SatisfactionQuery, ServiceIntervalIn,
                                        ServiceIntervalOut, StoreSettingsOut, StoreSettingsPatch, VehicleCreate,
                                        VehicleListQuery, VehicleOut, VehiclePatch)

from ..api import ValidationFailed, endpoint
from ..customer import wechat_oauth
from ..idempotency import forget_answers_about
from ..models import User
from . import Resource, checked, scoped


def _require_staff(resource: Resource, data: dict, *names: str) -> None:
    """Ids naming a staff user (key-account owner, complaint owner) must be an active user:
    users are the gateway's own data, so the gateway checks them."""
    wanted = {name: data[name] for name in names if data.get(name)}
    if not wanted:
        return
    with resource.deps.identity_db() as session:
        bad = {name: ["No active staff user with this id."] for name, user_id in wanted.items()
               if not (user := session.get(User, user_id)) or not user.active}
    if bad:
        raise ValidationFailed(bad)


class Customers(Resource):
    @endpoint("Register a customer", tag="crm", roles=FRONT_DESK, body=CustomerCreate, response=CustomerOut,
              status=201, idempotent=True)
    def on_post(self, req, resp):
        data = scoped(req, "body_json", "home_store_id")
        _require_staff(self, data, "key_account_owner_id")
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

    @endpoint("Change a customer", tag="crm", roles=COUNTER, body=CustomerPatch, response=CustomerOut)
    def on_patch(self, req, resp, customer_id: str):
        _require_staff(self, req.context.body_json, "key_account_owner_id")
        return self.call(req, "crm", "update_customer", customer_id=customer_id, changes=req.context.body_json)


class CustomerHistory(Resource):
    @endpoint("The customer's service history across the chain, newest first (filters vehicle_id, kind)",
              tag="crm", roles=ALL_ROLES, query=HistoryQuery, response=HistoryEntryOut, paginated=True)
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

    @endpoint("Change a vehicle (plate, VIN, mileage …)", tag="crm", roles=COUNTER, body=VehiclePatch,
              response=VehicleOut)
    def on_patch(self, req, resp, vehicle_id: str):
        return self.call(req, "crm", "update_vehicle", vehicle_id=vehicle_id, changes=req.context.body_json)


class VehicleHistory(Resource):
    @endpoint("The vehicle's service history across the chain, newest first", tag="crm", roles=ALL_ROLES,
              query=ListQuery, response=HistoryEntryOut, paginated=True)
    def on_get(self, req, resp, vehicle_id: str):
        return self.call(req, "crm", "vehicle_history", vehicle_id=vehicle_id, query=req.context.query_json)


class CustomerMerge(Resource):
    @endpoint("Merge a duplicate customer record into this one (vehicles, history, spend and points move over)",
              tag="crm", roles=MANAGERS, body=MergeRequest, response=CustomerOut)
    def on_post(self, req, resp, customer_id: str):
        return self.call(req, "crm", "merge_customers", customer_id=customer_id, data=req.context.body_json)


class CustomerErase(Resource):
    @endpoint("Erase a customer on request: personal data anonymised here and, through crm's "
              "customer_erased event, in every service's copies; legal records keep what the law requires",
              tag="crm", roles=MANAGERS, response=CustomerOut)
    def on_post(self, req, resp, customer_id: str):
        erased = self.call(req, "crm", "erase_customer", customer_id=customer_id)
        forget_answers_about(self.deps.identity_db, customer_id)  # the gateway's own copies
        return erased


class CustomerAudit(Resource):
    @endpoint("Who read this customer's full contact data or changed it, newest first", tag="crm",
              roles=MANAGERS, query=ListQuery, response=AuditEntryOut, paginated=True)
    def on_get(self, req, resp, customer_id: str):
        return self.call(req, "crm", "customer_audit", customer_id=customer_id, query=req.context.query_json)


class StoreCrmSettings(Resource):
    @endpoint("The store's crm settings (follow-up delay, time zone)", tag="crm", roles=ALL_ROLES,
              response=StoreSettingsOut)
    def on_get(self, req, resp, store_id: str):
        require_store(req.context.principal, store_id)
        return self.call(req, "crm", "get_store_settings", store_id=store_id)

    @endpoint("Change the store's crm settings", tag="crm", roles=MANAGERS, body=StoreSettingsPatch,
              response=StoreSettingsOut)
    def on_patch(self, req, resp, store_id: str):
        require_store(req.context.principal, store_id)
        return self.call(req, "crm", "update_store_settings", store_id=store_id, changes=req.context.body_json)


class StoreMessageAccounts(Resource):
    @endpoint("The accounts the store's messages to car owners go out under — the SMS sign, the official account "
              "of its template messages, and the one whose 网页授权 pays it by JSAPI inside WeChat: the chain's or "
              "the store's own (its keys file), appids masked, never a key or secret", tag="crm", roles=MANAGERS,
              response=MessageAccountsOut)
    def on_get(self, req, resp, store_id: str):
        require_store(req.context.principal, store_id)
        found = self.call(req, "crm", "message_accounts", store_id=store_id)
        chain = self.deps.settings.wechat_oauth
        try:
            payer = wechat_oauth.of_store(chain, self.store_keys(store_id))
        except falcon.HTTPServiceUnavailable:  # its file is broken: nothing is authorized under it
            payer = replace(chain, appid="")
        return {**found, "payer_authorization": {"configured": bool(payer.appid), "own": payer is not chain,
                                                 "sign_name": None, "appid_masked": mask_id(payer.appid)}}


class FollowUps(Resource):
    @endpoint("Follow-ups (回访) of a store, the earliest due first", tag="crm", roles=FRONT_DESK,
              query=FollowUpQuery, response=FollowUpOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "list_follow_ups", query=checked(req))


class FollowUpItem(Resource):
    @endpoint("A follow-up", tag="crm", roles=FRONT_DESK, response=FollowUpOut)
    def on_get(self, req, resp, follow_up_id: str):
        return self.call(req, "crm", "get_follow_up", follow_up_id=follow_up_id)


class FollowUpCompletion(Resource):
    @endpoint("Record a follow-up's outcome; a score of 2 or less, or a complaint, opens a complaint",
              tag="crm", roles=FRONT_DESK, body=FollowUpComplete, response=FollowUpOut)
    def on_post(self, req, resp, follow_up_id: str):
        _require_staff(self, req.context.body_json, "complaint_owner_id")
        return self.call(req, "crm", "complete_follow_up", follow_up_id=follow_up_id, data=req.context.body_json)


class Satisfaction(Resource):
    @endpoint("Satisfaction statistics per store over a period of local days", tag="crm", roles=MANAGERS,
              query=SatisfactionQuery, response=SatisfactionOut)
    def on_get(self, req, resp):
        return self.call(req, "crm", "satisfaction_stats", query=checked(req))


class Complaints(Resource):
    @endpoint("Open a complaint", tag="crm", roles=FRONT_DESK, body=ComplaintCreate, response=ComplaintOut,
              status=201, idempotent=True)
    def on_post(self, req, resp):
        _require_staff(self, req.context.body_json, "owner_id")
        complaint = self.call(req, "crm", "open_complaint", data=scoped(req, "body_json"))
        resp.location = f"/v1/complaints/{complaint['id']}"
        return complaint

    @endpoint("Complaints of a store, newest first", tag="crm", roles=FRONT_DESK, query=ComplaintQuery,
              response=ComplaintOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "list_complaints", query=checked(req))


class ComplaintItem(Resource):
    @endpoint("A complaint", tag="crm", roles=FRONT_DESK, response=ComplaintOut)
    def on_get(self, req, resp, complaint_id: str):
        return self.call(req, "crm", "get_complaint", complaint_id=complaint_id)

    @endpoint("Work on a complaint: owner, deadline, resolution, compensation, status "
              "(open → in_progress → resolved → closed)", tag="crm", roles=FRONT_DESK, body=ComplaintPatch,
              response=ComplaintOut)
    def on_patch(self, req, resp, complaint_id: str):
        _require_staff(self, req.context.body_json, "owner_id")
        return self.call(req, "crm", "update_complaint", complaint_id=complaint_id, changes=req.context.body_json)


class Reminders(Resource):
    @endpoint("Service-due reminders of a store (by date and by mileage), the earliest first", tag="crm",
              roles=FRONT_DESK, query=ReminderQuery, response=ReminderOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "list_reminders", query=checked(req))


class _IntervalList(Schema):
    items = fields.List(fields.Nested(ServiceIntervalOut))


class ServiceIntervals(Resource):
    @endpoint("Service types and how often they are due", tag="crm", roles=ALL_ROLES, response=_IntervalList)
    def on_get(self, req, resp):
        return {"items": self.call(req, "crm", "list_service_intervals")}


class ServiceIntervalItem(Resource):
    @endpoint("Set how often a service type (labour op code) is due", tag="crm", roles=HQ, body=ServiceIntervalIn,
              response=ServiceIntervalOut)
    def on_put(self, req, resp, service_type: str):
        return self.call(req, "crm", "set_service_interval", service_type=service_type, data=req.context.body_json)


class Campaigns(Resource):
    @endpoint("Schedule a care campaign (segment, template, channel, time)", tag="crm", roles=MANAGERS,
              body=CampaignCreate, response=CampaignOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        campaign = self.call(req, "crm", "create_campaign", data=scoped(req, "body_json"))
        resp.location = f"/v1/campaigns/{campaign['id']}"
        return campaign

    @endpoint("Campaigns, newest first", tag="crm", roles=MANAGERS, query=CampaignQuery, response=CampaignOut,
              paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "list_campaigns", query=checked(req))


class CampaignAudience(Resource):
    @endpoint("How many consenting customers a segment reaches now", tag="crm", roles=MANAGERS,
              body=CampaignPreview, response=CampaignPreviewOut)
    def on_post(self, req, resp):
        return self.call(req, "crm", "preview_campaign", data=scoped(req, "body_json"))


class CampaignItem(Resource):
    @endpoint("A campaign with its message counts", tag="crm", roles=MANAGERS, response=CampaignOut)
    def on_get(self, req, resp, campaign_id: str):
        return self.call(req, "crm", "get_campaign", campaign_id=campaign_id)


class CampaignCancel(Resource):
    @endpoint("Cancel a scheduled or sending campaign (queued messages are not sent)", tag="crm", roles=MANAGERS,
              response=CampaignOut)
    def on_post(self, req, resp, campaign_id: str):
        return self.call(req, "crm", "cancel_campaign", campaign_id=campaign_id)


class CampaignMessages(Resource):
    @endpoint("A campaign's messages (queued, sent, failed)", tag="crm", roles=MANAGERS, query=MessageQuery,
              response=MessageOut, paginated=True)
    def on_get(self, req, resp, campaign_id: str):
        return self.call(req, "crm", "campaign_messages", campaign_id=campaign_id, query=req.context.query_json)


class Messages(Resource):
    @endpoint("Messages to car owners, the outbox's and campaigns' (kind campaign, the campaign named) newest first: "
              "to whom, template, channel, status, why one failed",
              tag="crm", roles=COUNTER, query=OutboxQuery, response=OutboxMessageOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "list_messages", query=scoped(req))


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/customers", Customers(deps)),
        ("/v1/customers/{customer_id}", CustomerItem(deps)),
        ("/v1/customers/{customer_id}/history", CustomerHistory(deps)),
        ("/v1/customers/{customer_id}/vehicles", CustomerVehicles(deps)),
        ("/v1/vehicles", Vehicles(deps)),
        ("/v1/vehicles/{vehicle_id}", VehicleItem(deps)),
        ("/v1/vehicles/{vehicle_id}/history", VehicleHistory(deps)),
        ("/v1/customers/{customer_id}/merge", CustomerMerge(deps)),
        ("/v1/customers/{customer_id}/erase", CustomerErase(deps)),
        ("/v1/customers/{customer_id}/audit", CustomerAudit(deps)),
        ("/v1/stores/{store_id}/crm-settings", StoreCrmSettings(deps)),
        ("/v1/stores/{store_id}/message-accounts", StoreMessageAccounts(deps)),
        ("/v1/follow-ups", FollowUps(deps)),
        ("/v1/follow-ups/satisfaction", Satisfaction(deps)),
        ("/v1/follow-ups/{follow_up_id}", FollowUpItem(deps)),
        ("/v1/follow-ups/{follow_up_id}/complete", FollowUpCompletion(deps)),
        ("/v1/complaints", Complaints(deps)),
        ("/v1/complaints/{complaint_id}", ComplaintItem(deps)),
        ("/v1/reminders", Reminders(deps)),
        ("/v1/service-intervals", ServiceIntervals(deps)),
        ("/v1/service-intervals/{service_type}", ServiceIntervalItem(deps)),
        ("/v1/campaigns", Campaigns(deps)),
        ("/v1/campaigns/audience", CampaignAudience(deps)),
        ("/v1/campaigns/{campaign_id}", CampaignItem(deps)),
        ("/v1/campaigns/{campaign_id}/cancel", CampaignCancel(deps)),
        ("/v1/campaigns/{campaign_id}/messages", CampaignMessages(deps)),
        ("/v1/messages", Messages(deps)),
    ]
