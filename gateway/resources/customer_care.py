"""The customer channel after the work (`/c/v1/`): the car owner's invoices and paying what is due
by WeChat Pay (H5 in the phone's browser, JSAPI inside WeChat), accepting the car (验收), rating the visit
(the follow-up staff would phone for), complaints, service-due reminders, moving a booking, their own
marketing consent, a visit's walk-around and signed contract, member cards and the messages the stores sent. As in
`customer.py`, each service takes the customer from the caller and answers another customer's
document as unknown (404)."""
from __future__ import annotations

import falcon

from services.contracts.rpc.crm import customer as crm
from services.contracts.rpc.finance import customer as finance
from services.contracts.rpc.sales import AppointmentOut
from services.contracts.rpc.sales import customer as sales
from services.contracts.rpc.workshop import customer as workshop

from ..api import ValidationFailed, endpoint
from ..auth import CUSTOMER
from ..customer import wechat_oauth
from ..partners import limits
from . import Resource
from .customer import TAG
from .customer_wechat import payer_account

PAY_ERRORS = (409, 503)


class Invoices(Resource):
    @endpoint("The customer's invoices across the chain's stores (one car with vehicle_id), newest first",
              tag=TAG, roles=CUSTOMER, query=finance.CustomerInvoiceQuery, response=finance.CustomerInvoiceOut,
              paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "customer_invoices", query=req.context.query_json)


class InvoiceItem(Resource):
    @endpoint("One of the customer's invoices: its lines, total, paid and due, and the payments taken", tag=TAG,
              roles=CUSTOMER, response=finance.CustomerInvoiceOut)
    def on_get(self, req, resp, invoice_id: str):
        return self.call(req, "finance", "customer_invoice", invoice_id=invoice_id)


def _service_key(req) -> str | None:
    key = req.get_header("Idempotency-Key")
    return f"customer:{req.context.principal.id}:{key}" if key else None


class InvoicePayment(Resource):
    @endpoint("Pay what one's own invoice still owes by WeChat Pay: in the phone's browser by H5 (`channel: h5`, "
              "the default: the link to open, pay_url), inside WeChat by JSAPI (`channel: jsapi`: the parameters "
              "of getBrandWCPayRequest, jsapi, for the owner's openid at the official account of the invoice's "
              "store, its own else the chain's — 409 wechat_openid_needed until WeChat's 网页授权 told it, "
              "/c/v1/wechat/authorizations). Always the whole "
              "balance, never more; a pending order is given again while it lives. Recorded as paid when WeChat "
              "Pay's notification (or a poll) says so; 409 invoice_state when nothing is due, 503 "
              "payment_provider_unavailable when WeChat Pay does not answer",
              tag=TAG, roles=CUSTOMER, body=finance.CustomerPayIn, response=finance.CustomerPaymentIntentOut,
              status=201, idempotent=True, errors=PAY_ERRORS)
    def on_post(self, req, resp, invoice_id: str):
        channel, payer = req.context.body["channel"], None
        if channel == "jsapi":
            payer = self.payer(req, invoice_id)
        intent = self.call(req, "finance", "customer_pay_invoice", invoice_id=invoice_id,
                           idempotency_key=_service_key(req), client_ip=req.context.client_ip, channel=channel,
                           payer=payer)
        resp.location = f"/c/v1/payment-intents/{intent['id']}"
        return intent

    def payer(self, req, invoice_id: str) -> dict:
        """The owner's openid (crm keeps it) at the official account that pays the invoice: its store's own,
        else the chain's (the one its 网页授权 was asked at)."""
        appid = wechat_oauth.configured(payer_account(self, req, invoice_id)).appid
        openid = self.call(req, "crm", "customer_wechat_openid", appid=appid)["openid"]
        if not openid:
            raise falcon.HTTPConflict(title="wechat_openid_needed",
                                      description="WeChat's web authorization must tell the openid first.")
        return {"appid": appid, "openid": openid}


class PaymentIntentItem(Resource):
    @endpoint("A payment the customer started, and whether WeChat Pay has reported it paid", tag=TAG,
              roles=CUSTOMER, response=finance.CustomerPaymentIntentOut)
    def on_get(self, req, resp, intent_id: str):
        return self.call(req, "finance", "customer_payment_intent", intent_id=intent_id)


class WorkOrders(Resource):
    @endpoint("The customer's work orders (one car with vehicle_id), latest first: completed ones wait for the "
              "owner's acceptance", tag=TAG, roles=CUSTOMER, query=workshop.CustomerWorkOrderQuery,
              response=workshop.CustomerWorkOrderOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "workshop", "customer_work_orders", query=req.context.query_json)


class Acceptance(Resource):
    @endpoint("Accept the car (验收) from the phone once its work order is completed and its invoice paid in "
              "full: the staff's delivery, signed with the customer's name; 409 delivery_balance_open while "
              "anything is due", tag=TAG, roles=CUSTOMER, body=workshop.CustomerAcceptanceBody,
              response=workshop.CustomerWorkOrderOut, errors=(409, 503))
    def on_post(self, req, resp, work_order_id: str):
        name = self.call(req, "crm", "customer_profile")["name"][:50]  # what a delivery is signed with
        return self.call(req, "workshop", "customer_accept_delivery", work_order_id=work_order_id,
                         data={**req.context.body_json, "accepted_by": name})


class FollowUps(Resource):
    @endpoint("The customer's follow-ups after each delivery: open ones wait for a rating", tag=TAG,
              roles=CUSTOMER, query=crm.VehicleQuery, response=crm.CustomerFollowUpOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "customer_follow_ups", query=req.context.query_json)


class Rating(Resource):
    @endpoint("Rate a visit 1–5 with a comment: the follow-up's satisfaction, as if staff had phoned; 2 or "
              "less opens a complaint for the store", tag=TAG, roles=CUSTOMER, body=crm.RatingIn,
              response=crm.CustomerFollowUpOut)
    def on_post(self, req, resp, follow_up_id: str):
        return self.call(req, "crm", "customer_rate", follow_up_id=follow_up_id, data=req.context.body_json)


class Complaints(Resource):
    @endpoint("File a complaint about a store (and one of one's cars): the store sees it in its complaint list. "
              "A few an hour per customer (CUSTOMER_COMPLAINTS_PER_HOUR), then 429 rate_limited", tag=TAG,
              roles=CUSTOMER, body=crm.CustomerComplaintIn, response=crm.CustomerComplaintOut, status=201,
              idempotent=True, errors=(429,))
    def on_post(self, req, resp):
        if self.store(req.context.body["store_id"]) is None:
            raise ValidationFailed({"store_id": ["Unknown store."]})
        # the bucket is the token's customer: nobody can spend another's complaints
        limits.enforce(self.deps.identity_db, resp, f"complaints:{req.context.principal.id}",
                       self.deps.settings.customer_complaints_per_hour, period=3600.0)
        return self.call(req, "crm", "customer_complain", data=req.context.body_json)

    @endpoint("The customer's complaints with their status and the store's resolution", tag=TAG,
              roles=CUSTOMER, response=crm.CustomerComplaintOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "customer_complaints")


class Reminders(Resource):
    @endpoint("When each of the customer's cars is next due a service, soonest first", tag=TAG,
              roles=CUSTOMER, response=crm.ReminderOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "customer_reminders")


class Me(Resource):
    @endpoint("The signed-in customer: name, masked mobile and marketing consent", tag=TAG, roles=CUSTOMER,
              response=crm.ProfileOut)
    def on_get(self, req, resp):
        return self.call(req, "crm", "customer_profile")

    @endpoint("Switch one's own marketing consent (care and offer messages) on or off", tag=TAG, roles=CUSTOMER,
              body=crm.ProfilePatch, response=crm.ProfileOut)
    def on_patch(self, req, resp):
        return self.call(req, "crm", "customer_set_consent", data=req.context.body_json)


class Reschedule(Resource):
    @endpoint("Move one of the customer's bookings to another slot of the same store (the staff's slot rules; "
              "a full slot changes nothing)", tag=TAG, roles=CUSTOMER, body=sales.RescheduleIn,
              response=AppointmentOut)
    def on_post(self, req, resp, appointment_id: str):
        return self.call(req, "sales", "customer_reschedule_appointment", appointment_id=appointment_id,
                         data=req.context.body_json)


class VisitItem(Resource):
    @endpoint("One of the customer's visits: the walk-around photos with their damage marks (at check-in and at "
              "delivery) and the contracts the customer signed, with the drawn signature", tag=TAG, roles=CUSTOMER,
              response=sales.CustomerVisitOut)
    def on_get(self, req, resp, visit_id: str):
        return self.call(req, "sales", "customer_visit", visit_id=visit_id)


class Cards(Resource):
    @endpoint("The customer's member cards: stored-value balance or a package's services left (every store of "
              "the chain takes them); points and tier are on /c/v1/me", tag=TAG, roles=CUSTOMER,
              response=finance.CustomerCardOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "customer_cards")


class Messages(Resource):
    @endpoint("The messages the stores sent the customer (progress of the car, receipts, reminders, campaigns' "
              "offers), newest first", tag=TAG, roles=CUSTOMER, query=crm.CustomerMessageQuery,
              response=crm.CustomerMessageOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "customer_messages", query=req.context.query_json)


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/c/v1/me", Me(deps)),
        ("/c/v1/invoices", Invoices(deps)),
        ("/c/v1/invoices/{invoice_id}", InvoiceItem(deps)),
        ("/c/v1/invoices/{invoice_id}/payment-intents", InvoicePayment(deps)),
        ("/c/v1/payment-intents/{intent_id}", PaymentIntentItem(deps)),
        ("/c/v1/work-orders", WorkOrders(deps)),
        ("/c/v1/work-orders/{work_order_id}/acceptance", Acceptance(deps)),
        ("/c/v1/follow-ups", FollowUps(deps)),
        ("/c/v1/follow-ups/{follow_up_id}/rating", Rating(deps)),
        ("/c/v1/complaints", Complaints(deps)),
        ("/c/v1/reminders", Reminders(deps)),
        ("/c/v1/visits/{visit_id}", VisitItem(deps)),
        ("/c/v1/cards", Cards(deps)),
        ("/c/v1/messages", Messages(deps)),
        ("/c/v1/appointments/{appointment_id}/reschedule", Reschedule(deps)),
    ]
