"""The crm nameko service: thin entrypoints over `domain`, schemas at the boundary."""
from __future__ import annotations

from datetime import datetime

from nameko.extensions import DependencyProvider
from nameko.timer import timer
from sqlalchemy import select

from services.common.attachment_jobs import Attachments
from services.common.config import message_retry_seconds
from services.common.db import utcnow
from services.common.errors import Forbidden
from services.common.entrypoints import ServiceBase, event_handler, rpc, unit_of_work
from services.common.upstream import ServiceRpc
from services.common.policy import manages, required_store, visible_stores
from services.common.schemas import ListQuery, dump_page, load
from services.common.validators import mask_mobile
from services.contracts.rpc.crm import (AuditEntryOut, CampaignCreate, CampaignOut, CampaignPreview, CampaignQuery,
                                        ComplaintCreate, ComplaintOut, ComplaintPatch, ComplaintQuery, CustomerCreate,
                                        CustomerListQuery, CustomerOut, CustomerPatch, FollowUpComplete, FollowUpOut,
                                        FollowUpQuery, HistoryEntryOut, HistoryQuery, MergeRequest,
                                        MessageAccountsOut, MessageOut,
                                        MessageQuery, OutboxMessageOut, OutboxQuery, QuoteLinkQueue, ReminderOut,
                                        RatingsOut, RatingsQuery, ReminderQuery, SatisfactionOut, SatisfactionQuery,
                                        ServiceIntervalIn,
                                        ServiceIntervalOut, StoreSettingsOut, StoreSettingsPatch, VehicleCreate,
                                        VehicleListQuery, VehicleOut, VehiclePatch)
from services.contracts.crm import RecordVehiclesOut
from services.contracts.rpc.crm.reports import ReportRecipientIn, ReportSubscriptionIn, ReportSubscriptionOut
from services.contracts.rpc.crm import customer as cs
from services.contracts.rpc.crm.sources import (CampaignResultsQuery, CampaignSendsOut, NewCustomersBySourceOut,
                                              SourceQuery)

from . import domain
from .domain import (campaign_results, campaigns, common, customer, followups, messages, reminders, reports,
                     sources)
from .domain import history as projection
from .models import Customer, Vehicle
from .senders import Providers, rate_limits_from_env

customer_out = CustomerOut()
vehicle_out = VehicleOut()
history_out = HistoryEntryOut()
follow_up_out = FollowUpOut()
complaint_out = ComplaintOut()
campaign_out = CampaignOut()
message_out = MessageOut()
outbox_out = OutboxMessageOut()
audit_out = AuditEntryOut()

FOLLOW_UP_TICK_SECONDS = 30
CAMPAIGN_TICK_SECONDS = 2
MESSAGE_TICK_SECONDS = 1
SERVICE_DUE_TICK_SECONDS = 3600
REPORT_TICK_SECONDS = 300


class Sender(DependencyProvider):
    """Injects the message providers, campaigns' per-channel rate limits and the retry delays (read once per
    container)."""

    def setup(self):
        self.rate_limits = rate_limits_from_env()
        self.providers = Providers.from_env()
        self.retry_delays = message_retry_seconds()

    def get_dependency(self, worker_ctx):
        return self




class CrmService(Attachments, ServiceBase):  # type: ignore[misc]  # db, caller: see Attachments
    name = "crm"
    messaging = Sender()
    finance = ServiceRpc("finance")

    # -- customers ------------------------------------------------------------------------------
    def _customer(self, customer, referral_count: int | None = None) -> dict:
        data = customer_out.dump(customer)
        data["mobile_masked"] = not self.caller.sees_full_phone
        if data["mobile_masked"]:
            data["mobile"] = mask_mobile(data["mobile"])
        if referral_count is None:
            data.pop("referral_count", None)
        else:
            data["referral_count"] = referral_count
        return data

    def _audit_reads(self, customers) -> None:
        """Full phone numbers shown to a person are an audited read (seed 13.4)."""
        if self.caller.sees_full_phone and not self.caller.is_system:
            domain.audit(self.db, self.caller, [c.id for c in customers if c.erased_at is None], "read_contact")

    def _customers_page(self, result: dict) -> dict:
        self._audit_reads(result["items"])
        return {"items": [self._customer(c) for c in result["items"]], "next_cursor": result["next_cursor"]}

    @rpc
    def register_customer(self, data: dict) -> dict:
        customer = load(CustomerCreate(), data)
        self.caller.require_store(customer["home_store_id"])
        created = domain.register_customer(self.db, customer)
        return self._customer(created, referral_count=0)

    @rpc
    def get_customer(self, customer_id: str) -> dict:
        customer = domain.get_customer(self.db, customer_id)
        self._audit_reads([customer])
        return self._customer(customer, domain.referral_count(self.db, customer.id))

    @rpc
    def update_customer(self, customer_id: str, changes: dict) -> dict:
        patch = load(CustomerPatch(), changes)
        if "home_store_id" in patch:
            self.caller.require_store(patch["home_store_id"])
        customer = domain.update_customer(self.db, customer_id, patch)
        domain.audit(self.db, self.caller, [customer.id], "update", sorted(patch))
        return self._customer(customer, domain.referral_count(self.db, customer.id))

    @rpc
    def list_customers(self, query: dict) -> dict:
        return self._customers_page(domain.search_customers(self.db, load(CustomerListQuery(), query)))

    @rpc
    def customer_history(self, customer_id: str, query: dict) -> dict:
        params = load(HistoryQuery(), query)
        return dump_page(projection.customer_history(self.db, customer_id, params["limit"], params["cursor"],
                                                      params.get("vehicle_id"), params.get("kind")), history_out)

    @rpc
    def vehicle_history(self, vehicle_id: str, query: dict) -> dict:
        params = load(ListQuery(), query)
        return dump_page(projection.vehicle_history(self.db, vehicle_id, params["limit"], params["cursor"]),
                         history_out)

    @rpc
    def merge_customers(self, customer_id: str, data: dict) -> dict:
        request = load(MergeRequest(), data)
        survivor = domain.merge_customers(self.db, customer_id, request["duplicate_id"], utcnow())
        domain.audit(self.db, self.caller, [survivor.id, request["duplicate_id"]], "merge")
        return self._customer(survivor, domain.referral_count(self.db, survivor.id))

    @rpc
    def erase_customer(self, customer_id: str) -> dict:
        customer = domain.erase_customer(self.db, customer_id, utcnow())
        domain.audit(self.db, self.caller, [customer.id], "erase")
        return self._customer(customer, domain.referral_count(self.db, customer.id))

    @rpc
    def customer_audit(self, customer_id: str, query: dict) -> dict:
        params = load(ListQuery(), query)
        domain.get_customer(self.db, customer_id)
        return dump_page(domain.audit_log(self.db, customer_id, params["limit"], params["cursor"]), audit_out)

    # -- vehicles -------------------------------------------------------------------------------
    @rpc
    def add_vehicle(self, customer_id: str, data: dict) -> dict:
        return vehicle_out.dump(domain.add_vehicle(self.db, customer_id, load(VehicleCreate(), data)))

    @rpc
    def get_vehicle(self, vehicle_id: str) -> dict:
        return vehicle_out.dump(domain.get_vehicle(self.db, vehicle_id))

    @rpc
    def vehicles_for_records(self, vehicle_ids: list[str]) -> dict:
        """Plate and VIN of a batch of cars, for finance's repair health records (internal: no user)."""
        if not self.caller.is_system:
            raise Forbidden("Only the services read this.", code="forbidden")
        return RecordVehiclesOut().dump({"items": domain.vehicles_for_records(self.db, list(vehicle_ids or []))})

    @rpc
    def update_vehicle(self, vehicle_id: str, changes: dict) -> dict:
        return vehicle_out.dump(domain.update_vehicle(self.db, vehicle_id, load(VehiclePatch(), changes)))

    @rpc
    def list_vehicles(self, query: dict) -> dict:
        return dump_page(domain.search_vehicles(self.db, load(VehicleListQuery(), query)), vehicle_out)

    # -- the customer channel ---------------------------------------------------------------
    @rpc
    def customer_for_sign_in(self, mobile: str) -> dict | None:
        """Whose number this is, for the gateway's sign-in (an erased or merged-away customer signs in
        as nobody): `{id, name, store_keys}` (their home store's, whose SMS account the code goes under) or None."""
        customer = self.db.scalar(select(Customer).where(Customer.mobile == mobile, Customer.erased_at.is_(None),
                                                         Customer.merged_into_id.is_(None)))
        return None if customer is None else {"id": customer.id, "name": customer.name,
                                              "store_keys": list(common.store_keys(self.db, customer.home_store_id))}

    @rpc
    def customer_vehicles(self) -> dict:
        """The signed-in customer's own cars."""
        rows = self.db.scalars(select(Vehicle).where(Vehicle.customer_id == self.caller.require_customer())
                               .order_by(Vehicle.created_at, Vehicle.id))
        return {"items": vehicle_out.dump(rows, many=True), "next_cursor": None}

    @rpc
    def customer_profile(self) -> dict:
        return cs.ProfileOut().dump(customer.me(self.db, self.caller))

    @rpc
    def customer_set_consent(self, data: dict) -> dict:
        consent = load(cs.ProfilePatch(), data)["marketing_consent"]
        return cs.ProfileOut().dump(customer.set_consent(self.db, self.caller, consent))

    @rpc
    def customer_wechat_openid(self, appid: str) -> dict:
        return cs.WeChatOpenidOut().dump(customer.openid_at(self.db, self.caller, appid))

    @rpc
    def customer_remember_wechat_openid(self, data: dict) -> dict:
        found = load(cs.WeChatOpenidIn(), data)
        return cs.WeChatOpenidOut().dump(customer.remember_openid(self.db, self.caller, found["appid"],
                                                                  found["openid"]))

    @rpc
    def customer_follow_ups(self, query: dict) -> dict:
        vehicle_id = load(cs.VehicleQuery(), query)["vehicle_id"]
        return {"items": cs.CustomerFollowUpOut().dump(customer.follow_ups(self.db, self.caller, vehicle_id),
                                                       many=True), "next_cursor": None}

    @rpc
    def customer_rate(self, follow_up_id: str, data: dict) -> dict:
        rating = load(cs.RatingIn(), data)
        return cs.CustomerFollowUpOut().dump(customer.rate(self.db, self.caller, follow_up_id, rating, utcnow()))

    @rpc
    def customer_complain(self, data: dict) -> dict:
        complaint = load(cs.CustomerComplaintIn(), data)
        return cs.CustomerComplaintOut().dump(customer.complain(self.db, self.caller, complaint, utcnow()))

    @rpc
    def customer_complaints(self) -> dict:
        return {"items": cs.CustomerComplaintOut().dump(customer.complaints(self.db, self.caller), many=True),
                "next_cursor": None}

    @rpc
    def customer_messages(self, query: dict) -> dict:
        params = load(cs.CustomerMessageQuery(), query)
        return dump_page(customer.messages(self.db, self.caller, params["limit"], params["cursor"]),
                         cs.CustomerMessageOut())

    @rpc
    def customer_reminders(self) -> dict:
        return {"items": cs.ReminderOut().dump(customer.reminders(self.db, self.caller), many=True),
                "next_cursor": None}

    # -- per-store settings ---------------------------------------------------------------------
    @rpc
    def get_store_settings(self, store_id: str) -> dict:
        self.caller.require_store(store_id)
        return StoreSettingsOut().dump(common.store_settings(self.db, store_id))

    @rpc
    def update_store_settings(self, store_id: str, changes: dict) -> dict:
        self.caller.require_store(store_id)
        saved = common.save_store_settings(self.db, store_id, load(StoreSettingsPatch(), changes))
        return StoreSettingsOut().dump(saved)

    @rpc
    def register_store(self, store_id: str, store_code: str) -> dict:
        """The gateway's code of a new store (it names the store's own message accounts' keys files): HQ, who opens
        stores, or the system — a store's staff never (another store's code would send under that store's sign)."""
        if not (self.caller.is_system or self.caller.is_hq):
            raise Forbidden("Only HQ names a store's code.", code="needs_hq")
        return StoreSettingsOut().dump(common.save_store_settings(self.db, store_id, {"store_code": store_code}))

    @rpc
    def message_accounts(self, store_id: str) -> dict:
        """The accounts the store's messages go out under (its own or the chain's; ids masked, never a key); a
        manager's."""
        self.caller.require_store(store_id)
        if not manages(self.caller):
            raise Forbidden("Seeing the store's message accounts needs a store manager.", code="needs_manager")
        keys = common.store_keys(self.db, store_id)
        return MessageAccountsOut().dump({"store_id": store_id, "keys_file": f"{keys[0] or store_id}.json",
                                          **self.messaging.providers.shown(keys)})

    # -- follow-ups and complaints --------------------------------------------------------------
    def _call_list(self, items: list) -> list[dict]:
        """Follow-ups as a call list: who to call, on which number, about which car (an audited read
        when the number is shown in full)."""
        contacts = followups.contacts(self.db, items)
        self._audit_reads([customer for customer, _ in contacts.values()])
        out = []
        for item in follow_up_out.dump(items, many=True):
            customer, plate = contacts.get(item["id"], (None, None))
            mobile = customer.mobile if customer is not None and customer.erased_at is None else None
            out.append({**item, "customer_name": customer.name if customer is not None else None, "plate": plate,
                        "mobile": mobile if self.caller.sees_full_phone else mask_mobile(mobile)})
        return out

    @rpc
    def list_follow_ups(self, query: dict) -> dict:
        result = followups.list_follow_ups(self.db, load(FollowUpQuery(), query), self.caller)
        return {"items": self._call_list(result["items"]), "next_cursor": result["next_cursor"]}

    @rpc
    def get_follow_up(self, follow_up_id: str) -> dict:
        return self._call_list([followups.get_follow_up(self.db, follow_up_id, self.caller)])[0]

    @rpc
    def complete_follow_up(self, follow_up_id: str, data: dict) -> dict:
        outcome = load(FollowUpComplete(), data)
        return self._call_list([followups.complete_follow_up(self.db, follow_up_id, outcome, self.caller, utcnow())])[0]

    @rpc
    def new_customers_by_source(self, query: dict) -> dict:
        """The customers registered over local days at the caller's stores (or one), by source (managers)."""
        params = load(SourceQuery(), query)
        if not manages(self.caller):
            raise Forbidden("Customer sources are for managers.", code="needs_manager")
        stores = visible_stores(self.caller, params.get("store_id"))
        return NewCustomersBySourceOut().dump({"items": sources.new_customers_by_source(
            self.db, stores, params.get("store_id"), params["from_"], params["to"])})

    @rpc
    def campaign_sends(self, query: dict) -> dict:
        """Each campaign's messages sent over local days, customer and day, at the caller's stores (managers)."""
        params = load(CampaignResultsQuery(), query)
        if not manages(self.caller):
            raise Forbidden("Campaign results are for managers.", code="needs_manager")
        stores = visible_stores(self.caller, params.get("store_id"))
        return CampaignSendsOut().dump({"items": campaign_results.campaign_sends(
            self.db, stores, params.get("store_id"), params["from_"], params["to"])})

    @rpc
    def satisfaction_stats(self, query: dict) -> dict:
        params = load(SatisfactionQuery(), query)
        params["from"] = params.pop("from_")
        return SatisfactionOut().dump(followups.satisfaction_stats(self.db, params, self.caller))

    @rpc
    def order_ratings(self, query: dict) -> dict:
        """A store's follow-ups of the period by order (the people report credits them to advisors)."""
        params = load(RatingsQuery(), query)
        params["from"] = params.pop("from_")
        return RatingsOut().dump({"follow_ups": followups.order_ratings(self.db, params, self.caller)})

    @rpc
    def open_complaint(self, data: dict) -> dict:
        complaint = load(ComplaintCreate(), data)
        complaint["store_id"] = required_store(self.caller, complaint["store_id"], "complaint")
        return complaint_out.dump(followups.open_complaint(self.db, complaint, self.caller, utcnow()))

    def attachment_owner(self, owner_type: str, owner_id: str) -> dict:
        if owner_type != "complaint":
            return super().attachment_owner(owner_type, owner_id)
        return followups.complaint_owner(self.db, owner_id, self.caller)

    @rpc
    def get_complaint(self, complaint_id: str) -> dict:
        return complaint_out.dump(followups.get_complaint(self.db, complaint_id, self.caller))

    @rpc
    def update_complaint(self, complaint_id: str, changes: dict) -> dict:
        patch = load(ComplaintPatch(), changes)
        return complaint_out.dump(followups.update_complaint(self.db, complaint_id, patch, self.caller, utcnow()))

    @rpc
    def list_complaints(self, query: dict) -> dict:
        params = load(ComplaintQuery(), query)
        params["now"] = utcnow()
        return dump_page(followups.list_complaints(self.db, params, self.caller), complaint_out)

    # -- reminders ------------------------------------------------------------------------------
    @rpc
    def list_reminders(self, query: dict) -> dict:
        return dump_page(reminders.due_list(self.db, load(ReminderQuery(), query), self.caller), ReminderOut())

    @rpc
    def list_service_intervals(self) -> list[dict]:
        return ServiceIntervalOut(many=True).dump(reminders.list_intervals(self.db))

    @rpc
    def set_service_interval(self, service_type: str, data: dict) -> dict:
        return ServiceIntervalOut().dump(
            reminders.set_interval(self.db, service_type.strip().upper(), load(ServiceIntervalIn(), data)))

    # -- campaigns ------------------------------------------------------------------------------
    def _campaigns(self, items: list) -> list[dict]:
        counts = campaigns.message_counts(self.db, [c.id for c in items])
        return [{**campaign_out.dump(c), "messages": counts[c.id]} for c in items]

    @rpc
    def create_campaign(self, data: dict) -> dict:
        campaign = campaigns.create_campaign(self.db, load(CampaignCreate(), data), self.caller, utcnow())
        return self._campaigns([campaign])[0]

    @rpc
    def preview_campaign(self, data: dict) -> dict:
        return campaigns.preview(self.db, load(CampaignPreview(), data), self.caller, utcnow())

    @rpc
    def get_campaign(self, campaign_id: str) -> dict:
        return self._campaigns([campaigns.get_campaign(self.db, campaign_id, self.caller)])[0]

    @rpc
    def cancel_campaign(self, campaign_id: str) -> dict:
        return self._campaigns([campaigns.cancel_campaign(self.db, campaign_id, self.caller, utcnow())])[0]

    @rpc
    def list_campaigns(self, query: dict) -> dict:
        result = campaigns.list_campaigns(self.db, load(CampaignQuery(), query), self.caller)
        return {"items": self._campaigns(result["items"]), "next_cursor": result["next_cursor"]}

    @rpc
    def campaign_messages(self, campaign_id: str, query: dict) -> dict:
        return dump_page(campaigns.list_messages(self.db, campaign_id, load(MessageQuery(), query), self.caller),
                         message_out)

    # -- messages to car owners -----------------------------------------------------------------
    def _outbox(self, items: list) -> list[dict]:
        names = messages.recipients(self.db, items)
        return [{**outbox_out.dump(m), "customer_name": names.get(m.customer_id, (None, None))[0],
                 "to_masked": names.get(m.customer_id, (None, None))[1]} for m in items]

    @rpc
    def queue_quote_link(self, data: dict) -> dict | None:
        """A quote's decision link to its customer through the outbox; None for an erased customer."""
        request = load(QuoteLinkQueue(), data)
        self.caller.require_store(request["store_id"])
        message = messages.queue_quote_link(
            self.db, quote_id=request["quote_id"], link_id=request["link_id"], customer_id=request["customer_id"],
            store_id=request["store_id"], params={"number": request["number"], "url": request["url"]}, now=utcnow())
        return self._outbox([message])[0] if message is not None else None

    @rpc
    def list_messages(self, query: dict) -> dict:
        result = messages.list_messages(self.db, load(OutboxQuery(), query), self.caller)
        return {"items": self._outbox(result["items"]), "next_cursor": result["next_cursor"]}

    # -- scheduled reports to staff --------------------------------------------------------------
    def _subscriptions(self, items: list) -> list[dict]:
        last = reports.last_messages(self.db, items)
        return [{**ReportSubscriptionOut().dump(s),
                 "last_period": last[s.id].dedupe_key.rsplit(":", 1)[1] if s.id in last else None,
                 "last_status": last[s.id].status if s.id in last else None} for s in items]

    @rpc
    def subscribe_report(self, data: dict) -> dict:
        """The caller subscribes to a store's (or, HQ, the chain's) daily or weekly summary."""
        subscription = reports.subscribe(self.db, self.caller, load(ReportSubscriptionIn(), data), utcnow())
        return self._subscriptions([subscription])[0]

    @rpc
    def own_report_subscriptions(self) -> dict:
        return {"items": self._subscriptions(reports.own(self.db, self.caller)), "next_cursor": None}

    @rpc
    def unsubscribe_report(self, subscription_id: str) -> None:
        reports.unsubscribe(self.db, self.caller, subscription_id)

    @rpc
    def report_recipient_changed(self, user_id: str, data: dict) -> dict:
        """The gateway's: a staff account's mobile, role, stores or active flag changed."""
        return {"ended": reports.recipient_changed(self.db, self.caller, user_id, load(ReportRecipientIn(), data))}

    @rpc
    def send_reports_at(self, moment: str) -> dict:
        """The report timer's tick at a given instant: internal (no user), for operators and tests."""
        if not self.caller.is_system:
            raise Forbidden("Internal.", code="forbidden")
        return {"queued": self.send_reports(datetime.fromisoformat(moment))}

    @timer(interval=REPORT_TICK_SECONDS)
    def send_reports(self, now: datetime | None = None) -> int:
        """What is due at `now` is read, finance is asked with no transaction open, the summaries are queued for
        `send_messages` to text at once (once per subscription and period: the outbox's unique key)."""
        due = self._reports_due(now or utcnow())
        if not due:
            return 0
        return self._queue_reports(due, reports.figures(self.finance, due), utcnow())

    @unit_of_work
    def _reports_due(self, now: datetime) -> list[reports.Due]:
        return reports.due(self.db, now)

    @unit_of_work
    def _queue_reports(self, due: list[reports.Due], found: reports.Figures, now: datetime) -> int:
        return reports.queue_summaries(self.db, due, found, now)

    # -- timers ---------------------------------------------------------------------------------
    @timer(interval=FOLLOW_UP_TICK_SECONDS)
    @unit_of_work
    def follow_ups_due(self) -> None:
        followups.mark_due_follow_ups(self.db, utcnow())

    @timer(interval=CAMPAIGN_TICK_SECONDS)
    def send_campaigns(self, now: datetime | None = None) -> None:
        """Units of work in turn: a claimed campaign is queued even if sending then fails (a failing
        step ends the tick; the next one goes on from what was committed)."""
        now = now or utcnow()
        self._start_due_campaigns(now)
        self._send_queued_messages(now)
        self._finish_campaigns(now)

    def _send_queued_messages(self, now: datetime) -> None:
        """Per channel, the claimed messages are committed before the provider is called, so no transaction waits
        on it; each outcome is then committed on its own; then the receipts of sent texts, the same way."""
        providers = self.messaging.providers
        for channel, per_minute, lock_key in campaigns.sending_channels(self.messaging.rate_limits):
            for item in self._claim_campaign_messages(now, channel, per_minute, lock_key):
                self._record_campaign_outcome(item.id, providers.send(item), now)
        for item in self._campaign_receipts_due(now):
            delivery = providers.receipt(item)
            if delivery is not None:
                self._record_campaign_receipt(item.id, delivery.status, delivery.code, now)

    @unit_of_work
    def _start_due_campaigns(self, now: datetime) -> None:
        campaigns.start_due_campaigns(self.db, now)

    @unit_of_work
    def _claim_campaign_messages(self, now: datetime, channel: str, per_minute: int,
                                 lock_key: int) -> list[messages.Outgoing]:
        return campaigns.claim_messages(self.db, now, channel, per_minute, lock_key)

    @unit_of_work
    def _record_campaign_outcome(self, message_id: str, outcome: messages.Outcome, now: datetime) -> None:
        campaigns.record_outcome(self.db, message_id, outcome, now, self.messaging.retry_delays)

    @unit_of_work
    def _campaign_receipts_due(self, now: datetime) -> list[messages.Outgoing]:
        return campaigns.receipts_due(self.db, now)

    @unit_of_work
    def _record_campaign_receipt(self, message_id: str, status: str, code: str | None, now: datetime) -> None:
        campaigns.record_receipt(self.db, message_id, status, code, now)

    @unit_of_work
    def _finish_campaigns(self, now: datetime) -> None:
        campaigns.finish_campaigns(self.db, now)

    @timer(interval=MESSAGE_TICK_SECONDS)
    def send_messages(self) -> None:
        """The outbox: claims are committed, each message goes out with no transaction open, each outcome
        is recorded in its own unit of work; then the receipts of sent texts, the same way."""
        for item in self._claim_messages():
            self._record_outcome(item.id, self.messaging.providers.send(item))
        for item in self._receipts_due():
            delivery = self.messaging.providers.receipt(item)
            if delivery is not None:
                self._record_receipt(item.id, delivery.status, delivery.code)

    @timer(interval=SERVICE_DUE_TICK_SECONDS)
    @unit_of_work
    def queue_service_due_reminders(self) -> None:
        messages.queue_service_due(self.db, utcnow())

    @unit_of_work
    def _claim_messages(self) -> list[messages.Outgoing]:
        return messages.claim_due(self.db, utcnow())

    @unit_of_work
    def _record_outcome(self, message_id: str, outcome: messages.Outcome) -> None:
        messages.record_outcome(self.db, message_id, outcome, utcnow(), self.messaging.retry_delays)

    @unit_of_work
    def _receipts_due(self) -> list[messages.Outgoing]:
        return messages.receipts_due(self.db, utcnow())

    @unit_of_work
    def _record_receipt(self, message_id: str, status: str, code: str | None) -> None:
        messages.record_receipt(self.db, message_id, status, code, utcnow())

    # -- other services' facts ------------------------------------------------------------------
    @event_handler("sales", "visit_checked_in")
    def on_visit_checked_in(self, envelope: dict) -> None:
        projection.record_visit(self.db, envelope["event_id"], envelope["payload"])
        messages.on_checked_in(self.db, envelope["event_id"], envelope["payload"], utcnow())

    @event_handler("workshop", "work_order_completed")
    def on_work_order_completed(self, envelope: dict) -> None:
        messages.on_work_completed(self.db, envelope["event_id"], envelope["payload"], utcnow())

    @event_handler("sales", "quote_presented")
    def on_quote_presented(self, envelope: dict) -> None:
        messages.on_quote_presented(self.db, envelope["event_id"], envelope["payload"], utcnow())

    @event_handler("finance", "payment_received")
    def on_payment_received(self, envelope: dict) -> None:
        messages.on_payment_received(self.db, envelope["event_id"], envelope["payload"], utcnow())

    @event_handler("sales", "order_confirmed")
    def on_order_confirmed(self, envelope: dict) -> None:
        projection.record_order(self.db, envelope["event_id"], envelope["payload"])

    @event_handler("sales", "order_cancelled")
    def on_order_cancelled(self, envelope: dict) -> None:
        projection.record_order_cancelled(self.db, envelope["event_id"], envelope["payload"])

    @event_handler("workshop", "vehicle_delivered")
    def on_vehicle_delivered(self, envelope: dict) -> None:
        projection.record_delivery(self.db, envelope["event_id"], envelope["payload"])

    @event_handler("finance", "invoice_paid")
    def on_invoice_paid(self, envelope: dict) -> None:
        projection.record_invoice_paid(self.db, envelope["event_id"], envelope["payload"])

    @event_handler("finance", "company_account_overdue")
    def on_company_account_overdue(self, envelope: dict) -> None:
        messages.on_account_overdue(self.db, envelope["payload"], utcnow())

    @event_handler("finance", "refund_issued")
    def on_refund_issued(self, envelope: dict) -> None:
        projection.record_refund(self.db, envelope["event_id"], envelope["occurred_at"], envelope["payload"])


SERVICE = CrmService
