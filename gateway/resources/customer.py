"""The customer channel (车主端) under `/c/v1/`: a car owner signs in with a one-time code and sees
only their own cars and documents. Each service's customer RPC takes the customer from the caller
(role `customer`), never from the request, and answers another customer's document as unknown (404)."""
from __future__ import annotations

import time
from datetime import datetime

import falcon
from marshmallow import fields
from sqlalchemy import select

from services.common.errors import Conflict, Unavailable
from services.common.messaging import ProviderError
from services.common.messaging.templates import TEMPLATES
from services.common.policy import COUNTER
from services.common.timeline import TimelineStepOut
from services.contracts.rpc.crm import VehicleOut
from services.contracts.rpc.sales import AppointmentOut
from services.contracts.rpc.sales import customer as cs
from services.contracts.rpc.workshop import CustomerFindingOut

from ..api import ValidationFailed, endpoint
from ..auth import CUSTOMER
from ..customer import codes, links
from ..signatures import png_of, stored_signature
from ..customer.schemas import (CodeRequest, CodeSent, CustomerLoginRequest, CustomerLoginResponse,
                                CustomerStoreOut, DecisionBody, LinkLoginResponse, LinkOut, LinkRequest,
                                LinksRevokedOut, TimelineQuery)
from ..models import Store
from . import Resource

TAG = "customer"


class CodeRequests(Resource):
    @endpoint("Send a one-time sign-in code by SMS, under the SMS account of the customer's home store (its own, "
              "else the chain's; 202 whether or not the number is a customer's)", tag=TAG,
              roles=None, body=CodeRequest, response=CodeSent, status=202, errors=(429, 503))
    def on_post(self, req, resp):
        mobile, client_ip = req.context.body["mobile"], req.context.client_ip
        with self.deps.identity_db() as session:
            codes.require_may_send(session, mobile, client_ip, self.deps.settings.customer_codes_per_address)
        owner = self.deps.rpc.call("crm", "customer_for_sign_in", {"request_id": req.context.request_id},
                                   mobile=mobile)
        with self.deps.identity_db() as session, session.begin():
            code = codes.new_code(session, self.deps.settings.jwt_secret, mobile, client_ip)
        if owner is not None:  # a number nobody owns gets a code row (same limits) but no message
            minutes = str(codes.CODE_TTL.seconds // 60)
            try:  # synchronous (the customer waits for it), after the code's transaction committed
                sms = self.deps.messages.sms_of(tuple(owner.get("store_keys") or ()))  # the home store's account
                sms.send(mobile, TEMPLATES["sign_in"], {"code": code, "minutes": minutes})
            except ProviderError as exc:
                raise Unavailable("The SMS provider did not take the code; ask again shortly.",
                                  code="sms_unavailable", params={"provider_code": exc.code}) from None
        return {"expires_in": int(codes.CODE_TTL.total_seconds()),
                "resend_after": int(codes.RESEND_AFTER.total_seconds())}


class CustomerLogin(Resource):
    @endpoint("Exchange a mobile and its one-time code for a customer token", tag=TAG, roles=None,
              body=CustomerLoginRequest, response=CustomerLoginResponse, errors=(401, 429, 503))
    def on_post(self, req, resp):
        mobile, key = req.context.body["mobile"], self.deps.settings.jwt_secret
        # asked first, so that crm being down never uses up the code; told only after the code is checked
        owner = self.deps.rpc.call("crm", "customer_for_sign_in", {"request_id": req.context.request_id},
                                   mobile=mobile)
        try:
            with self.deps.identity_db() as session, session.begin():
                codes.redeem(session, key, mobile, req.context.body["code"])
        except codes.WrongGuess as guess:
            with self.deps.identity_db() as session, session.begin():
                refusal = codes.guessed_wrong(session, guess)
            raise refusal from None
        if owner is None:
            raise falcon.HTTPUnauthorized(title="code_invalid", description="The code is wrong or has expired.")
        tokens = self.deps.auth.tokens
        return {"access_token": tokens.issue_customer(owner["id"]), "token_type": "bearer",
                "expires_in": tokens.customer_ttl, "customer": {"id": owner["id"], "name": owner["name"]}}


class LinkLogin(Resource):
    @endpoint("Open a link the store sent: a customer token for that one document, while the link lives",
              tag=TAG, roles=None, body=LinkRequest, response=LinkLoginResponse, errors=(401,))
    def on_post(self, req, resp):
        with self.deps.identity_db() as session:
            link = links.redeem(session, req.context.body["token"])
        tokens = self.deps.auth.tokens
        token = tokens.issue_customer(link.customer_id, link)
        return {"access_token": token, "token_type": "bearer", "document_type": link.document_type,
                "document_id": link.document_id, "expires_in": int(tokens.customer(token)["exp"] - time.time())}


class QuoteLink(Resource):
    """Staff send a customer a link to decide a presented quote, and revoke it."""

    @endpoint("A signed link for the customer to decide this presented quote (expires in 3 days)", tag=TAG,
              roles=COUNTER, response=LinkOut, status=201)
    def on_post(self, req, resp, quote_id: str):
        quote = self.call(req, "sales", "get_quote", quote_id=quote_id)  # the staff member's store, checked
        if quote["state"] != "presented":
            raise Conflict("Only a presented quote is sent to the customer.", code="quote_state",
                              params={"status": quote["state"]})
        with self.deps.identity_db() as session, session.begin():
            link, token = links.create(session, req.context.principal.id, quote)
        url = f"/m/#/link/{token}"
        # queued in crm's message outbox after the link is stored; crm texts (or sends by WeChat) it
        message = self.call(req, "crm", "queue_quote_link", data={
            "quote_id": quote["id"], "link_id": link.id, "customer_id": quote["customer_id"],
            "store_id": quote["store_id"], "number": quote["number"],
            "url": f"{self.deps.settings.public_origin or req.prefix}{url}"})
        return LinkOut().dump({"id": link.id, "url": url, "expires_at": link.expires_at,
                               "texted_to": message["to_masked"] if message else None})

    @endpoint("Revoke every live link to this quote", tag=TAG, roles=COUNTER, response=LinksRevokedOut)
    def on_delete(self, req, resp, quote_id: str):
        self.call(req, "sales", "get_quote", quote_id=quote_id)
        with self.deps.identity_db() as session, session.begin():
            return {"revoked": links.revoke(session, req.context.principal.id, "quote", quote_id)}


class Vehicles(Resource):
    @endpoint("The signed-in customer's cars", tag=TAG, roles=CUSTOMER, response=VehicleOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "customer_vehicles")


class CustomerQuoteWithFindings(cs.CustomerQuoteOut):
    findings = fields.List(fields.Nested(CustomerFindingOut), metadata={
        "description": "The inspection findings the quote was opened for, with their photos"})


class QuoteItem(Resource):
    @endpoint("One of the customer's quotes (presented or decided) with each line's price and the inspection "
              "findings (with photos) it was opened for", tag=TAG, roles=CUSTOMER, response=CustomerQuoteWithFindings)
    def on_get(self, req, resp, quote_id: str):
        quote = self.call(req, "sales", "customer_quote", quote_id=quote_id)  # 404 unless it is the caller's
        return {**quote, "findings": self.call(req, "workshop", "customer_quote_findings", quote_id=quote_id)["items"]}


class QuoteDecision(Resource):
    @endpoint("Approve or decline each line of a presented quote, optionally signed on screen (the staff's "
              "decision rules; the audit names the customer and the address)", tag=TAG, roles=CUSTOMER,
              body=DecisionBody, response=cs.CustomerQuoteOut)
    def on_post(self, req, resp, quote_id: str):
        body = req.context.body
        data = {"approved_line_ids": body["approved_line_ids"], "declined_line_ids": body["declined_line_ids"],
                "client_ip": req.context.client_ip}
        if not body.get("signature_png"):
            return self.call(req, "sales", "customer_decide_quote", quote_id=quote_id, data=data)
        png = png_of(body["signature_png"], "signature_png")
        quote = self.call(req, "sales", "customer_quote", quote_id=quote_id)  # 404 before storing anything
        with stored_signature(self.deps.storage, quote["store_id"], png) as data["signature"]:
            return self.call(req, "sales", "customer_decide_quote", quote_id=quote_id, data=data)


class Timeline(Resource):
    @endpoint("The steps of the customer's cars (one car with vehicle_id), oldest first: checked in, quoted, "
              "approved, work started, waiting for parts, QC passed, ready, delivered", tag=TAG, roles=CUSTOMER,
              query=TimelineQuery, response=TimelineStepOut, paginated=True, errors=(404,))
    def on_get(self, req, resp):
        vehicle_id = req.context.query.get("vehicle_id")
        answers = self.call_all(req, {"vehicles": ("crm", "customer_vehicles", {}),
                                      "sales": ("sales", "customer_timeline", {"vehicle_id": vehicle_id}),
                                      "workshop": ("workshop", "customer_timeline", {"vehicle_id": vehicle_id})})
        if vehicle_id and vehicle_id not in {v["id"] for v in answers["vehicles"]["items"]}:
            raise falcon.HTTPNotFound(title="not_found", description=f"No vehicle {vehicle_id}.")
        steps = answers["sales"]["items"] + answers["workshop"]["items"]
        steps.sort(key=lambda step: (datetime.fromisoformat(step["at"]), STEP_ORDER.index(step["step"])))
        return {"items": steps, "next_cursor": None}


STEP_ORDER = ["checked_in", "quoted", "approved", "partially_approved", "declined", "order_confirmed",
              "work_started", "waiting_parts", "qc_passed", "ready", "delivered", "cancelled"]


class Stores(Resource):
    @endpoint("The chain's stores a customer can book at", tag=TAG, roles=CUSTOMER, response=CustomerStoreOut,
              paginated=True)
    def on_get(self, req, resp):
        with self.deps.identity_db() as session:
            rows = session.scalars(select(Store).order_by(Store.name, Store.id)).all()
        return {"items": CustomerStoreOut().dump(rows, many=True), "next_cursor": None}


class FreeSlots(Resource):
    @endpoint("A store's slots of one day with the bays still free", tag=TAG, roles=CUSTOMER,
              query=cs.FreeSlotsQuery, response=cs.FreeSlotOut, paginated=True)
    def on_get(self, req, resp):
        _require_store(self, req.context.query["store_id"], "store_id")
        answer = self.call(req, "sales", "free_slots", query=req.context.query_json)
        return {"items": answer["items"], "next_cursor": None}


class Appointments(Resource):
    @endpoint("Book one of the customer's cars at a store (the staff's slot rules; no overbooking)", tag=TAG,
              roles=CUSTOMER, body=cs.CustomerBookingIn, response=AppointmentOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        _require_store(self, req.context.body["store_id"], "store_id")
        vehicle_id = req.context.body["vehicle_id"]
        if vehicle_id not in {v["id"] for v in self.call(req, "crm", "customer_vehicles")["items"]}:
            raise falcon.HTTPNotFound(title="not_found", description=f"No vehicle {vehicle_id}.")
        return self.call(req, "sales", "customer_book_appointment", data=req.context.body_json)

    @endpoint("The customer's bookings, the latest slot first", tag=TAG, roles=CUSTOMER, response=AppointmentOut,
              paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "sales", "customer_appointments")


class AppointmentCancel(Resource):
    @endpoint("Cancel one of the customer's bookings before its slot starts", tag=TAG, roles=CUSTOMER,
              response=AppointmentOut)
    def on_post(self, req, resp, appointment_id: str):
        return self.call(req, "sales", "customer_cancel_appointment", appointment_id=appointment_id)


def _require_store(resource: Resource, store_id: str, field: str) -> None:
    if resource.store(store_id) is None:
        raise ValidationFailed({field: ["Unknown store."]})


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/c/v1/auth/code", CodeRequests(deps)),
        ("/c/v1/auth/login", CustomerLogin(deps)),
        ("/c/v1/auth/link", LinkLogin(deps)),
        ("/v1/quotes/{quote_id}/customer-link", QuoteLink(deps)),
        ("/c/v1/vehicles", Vehicles(deps)),
        ("/c/v1/quotes/{quote_id}", QuoteItem(deps)),
        ("/c/v1/quotes/{quote_id}/decision", QuoteDecision(deps)),
        ("/c/v1/timeline", Timeline(deps)),
        ("/c/v1/stores", Stores(deps)),
        ("/c/v1/slots", FreeSlots(deps)),
        ("/c/v1/appointments", Appointments(deps)),
        ("/c/v1/appointments/{appointment_id}/cancel", AppointmentCancel(deps)),
    ]
