"""Payment intents (finance): money asked for through WeChat Pay or Alipay, by a QR code at the till or a
link, and the provider's asynchronous notification (of a payment or of a refund). The notification
carries no staff token: finance verifies its signature (and decrypts it); the gateway only hands the
raw body and the provider's headers over, and answers what the provider's protocol expects. Also the
providers' daily statements reconciled (对账): the runs with their totals and differences, a run now, a
difference resolved."""
from __future__ import annotations

import falcon
import segno
from marshmallow import fields

from services.common.policy import FRONT_DESK, MANAGERS, TILL
from services.contracts.rpc.finance import (NOTIFICATION_HEADERS_OF, PaymentIntentCreate, PaymentIntentOut,
                                            PaymentIntentQuery)
from services.contracts.rpc.finance.payment_reconciliations import (DifferenceResolve, PaymentReconciliationOut,
                                                                    PaymentReconciliationQuery,
                                                                    PaymentReconciliationRun,
                                                                    PaymentReconciliationsOut,
                                                                    ReconciliationDifferenceOut)

from ..api import endpoint
from . import Resource, checked
from .finance import _service_key


class PaymentIntentShown(PaymentIntentOut):
    qr_svg = fields.String(allow_none=True, metadata={
        "description": "qr: the code as an SVG data URI (for an <img>), drawn by the gateway from code_url."})


def _shown(intent: dict) -> dict:
    code_url = intent.get("code_url")
    qr = segno.make(code_url, error="m").svg_data_uri(scale=6, border=2) if code_url else None
    return {**intent, "qr_svg": qr}


class PaymentIntents(Resource):
    @endpoint("Payment intents of a store, newest first; status=unapplied lists money paid at the provider "
              "that the invoice no longer owed (to refund there)", tag="finance", roles=FRONT_DESK,
              query=PaymentIntentQuery, response=PaymentIntentOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_payment_intents", query=checked(req))


class InvoicePaymentIntents(Resource):
    @endpoint("Ask for (part of) an invoice's due through WeChat Pay or Alipay: a QR code to scan (qr) or a link (h5). "
              "Recorded as a payment when the provider's notification (or a poll) says it was paid; 503 "
              "payment_provider_unavailable when the provider does not answer (nothing recorded)",
              tag="finance", roles=TILL, body=PaymentIntentCreate, response=PaymentIntentShown, status=201,
              idempotent=True, errors=(409, 503))
    def on_post(self, req, resp, invoice_id: str):
        intent = self.call(req, "finance", "create_payment_intent", invoice_id=invoice_id,
                           data=req.context.body_json, idempotency_key=_service_key(req),
                           client_ip=req.context.client_ip)
        resp.location = f"/v1/payment-intents/{intent['id']}"
        return _shown(intent)


class PaymentIntentItem(Resource):
    @endpoint("A payment intent and its status (pending, paid, closed, unapplied, refunded)", tag="finance",
              roles=FRONT_DESK, response=PaymentIntentShown)
    def on_get(self, req, resp, intent_id: str):
        return _shown(self.call(req, "finance", "get_payment_intent", intent_id=intent_id))


class PaymentIntentCheck(Resource):
    @endpoint("Ask the provider about an intent now: one it says is paid is recorded as its notification would "
              "be (also once closed here; unapplied when the invoice no longer owes it). For a reconciliation's "
              "missing payment, or a customer who says they paid", tag="finance", roles=TILL,
              response=PaymentIntentShown, errors=(409, 503))
    def on_post(self, req, resp, intent_id: str):
        return _shown(self.call(req, "finance", "check_payment_intent", intent_id=intent_id))


class PaymentIntentRefund(Resource):
    @endpoint("Refund an unapplied intent (paid at the provider when the invoice no longer owed it) whole, through "
              "the provider and from the merchant account it was paid to; once, however often it is asked (a second "
              "ask is answered the intent as it is). `refund_id` set: asked; `refunded` when the provider confirms "
              "(Alipay at once, WeChat Pay by its notification or a poll). Above the store's refund limit a manager "
              "only (403 refund_needs_manager); not unapplied: 409 payment_intent_state; the provider refusing: "
              "409 payment_provider_refused, down: 503 (nothing changed, ask again)", tag="finance", roles=TILL,
              response=PaymentIntentShown, idempotent=True, errors=(409, 503))
    def on_post(self, req, resp, intent_id: str):
        return _shown(self.call(req, "finance", "refund_payment_intent", intent_id=intent_id,
                                idempotency_key=_service_key(req)))


class PaymentNotifications(Resource):
    @endpoint("A payment provider's asynchronous notification of a payment or a refund (no token: verified by "
              "the provider's signature); 204 when applied (once per transaction; Alipay: 200 with the text "
              "`success` its protocol requires), 422 notification_rejected when it fails verification",
              tag="finance", roles=None, status=204, errors=(404, 409, 413, 422, 503))
    def on_post(self, req, resp, provider: str):
        if provider not in NOTIFICATION_HEADERS_OF:
            raise falcon.HTTPNotFound(title="not_found", description="No such payment provider.")
        limit = self.deps.settings.max_body_bytes
        body = req.bounded_stream.read(limit + 1)
        if len(body) > limit:
            raise falcon.HTTPContentTooLarge(title="payload_too_large",
                                             description=f"Bodies are limited to {limit} bytes.")
        headers = {name: req.get_header(name) or "" for name in NOTIFICATION_HEADERS_OF[provider]}
        answer = self.deps.rpc.call("finance", "payment_notified", {"request_id": req.context.request_id},
                                    provider=provider, headers=headers, body=body.decode("utf-8", "replace"))
        if answer.get("ack") is not None:
            resp.status, resp.content_type, resp.text = 200, falcon.MEDIA_TEXT, answer["ack"]


class PaymentReconciliations(Resource):
    @endpoint("The providers' daily statements (对账单) reconciled with the payments and refunds recorded, newest "
              "day first: each run's totals and differences (missing here, extra here, amount mismatch) with "
              "what to do, for the store asked for (default the caller's stores; HQ the chain)", tag="finance",
              roles=TILL, query=PaymentReconciliationQuery, response=PaymentReconciliationOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_payment_reconciliations", query=checked(req))

    @endpoint("Reconcile a day's statement now (a manager): every configured provider or the one named; a run "
              "of the same day again matches into the same differences. A download the provider fails is "
              "answered as a failed run (tried again by the daily job)", tag="finance", roles=MANAGERS,
              body=PaymentReconciliationRun, response=PaymentReconciliationsOut, errors=(409, 503))
    def on_post(self, req, resp):
        return self.call(req, "finance", "run_payment_reconciliation", data=checked(req, "body_json"))


class ReconciliationDifferenceResolution(Resource):
    @endpoint("Mark a reconciliation difference dealt with, with a note (a manager of its store; HQ for a line "
              "naming no store)", tag="finance", roles=MANAGERS, body=DifferenceResolve,
              response=ReconciliationDifferenceOut, errors=(409,))
    def on_post(self, req, resp, reconciliation_id: str, difference_id: str):
        return self.call(req, "finance", "resolve_reconciliation_difference", reconciliation_id=reconciliation_id,
                         difference_id=difference_id, data=checked(req, "body_json"))


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/invoices/{invoice_id}/payment-intents", InvoicePaymentIntents(deps)),
        ("/v1/payment-intents", PaymentIntents(deps)),
        ("/v1/payment-intents/{intent_id}", PaymentIntentItem(deps)),
        ("/v1/payment-intents/{intent_id}/check", PaymentIntentCheck(deps)),
        ("/v1/payment-intents/{intent_id}/refund", PaymentIntentRefund(deps)),
        ("/v1/payments/notify/{provider}", PaymentNotifications(deps)),
        ("/v1/payment-reconciliations", PaymentReconciliations(deps)),
        ("/v1/payment-reconciliations/{reconciliation_id}/differences/{difference_id}/resolve",
         ReconciliationDifferenceResolution(deps)),
    ]
