"""Payment intents (finance): money asked for through WeChat Pay or Alipay, by a QR code at the till or a
link, and the provider's asynchronous notification (of a payment or of a refund). The notification
carries no staff token: finance verifies its signature (and decrypts it); the gateway only hands the
raw body and the provider's headers over, and answers what the provider's protocol expects."""
from __future__ import annotations

import falcon
import segno
from marshmallow import fields

from services.common.policy import FRONT_DESK, TILL
from services.contracts.rpc.finance import (NOTIFICATION_HEADERS_OF, PaymentIntentCreate, PaymentIntentOut,
                                            PaymentIntentQuery)

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
    @endpoint("A payment intent and its status (pending, paid, closed, unapplied)", tag="finance",
              roles=FRONT_DESK, response=PaymentIntentShown)
    def on_get(self, req, resp, intent_id: str):
        return _shown(self.call(req, "finance", "get_payment_intent", intent_id=intent_id))


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


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/invoices/{invoice_id}/payment-intents", InvoicePaymentIntents(deps)),
        ("/v1/payment-intents", PaymentIntents(deps)),
        ("/v1/payment-intents/{intent_id}", PaymentIntentItem(deps)),
        ("/v1/payments/notify/{provider}", PaymentNotifications(deps)),
    ]
