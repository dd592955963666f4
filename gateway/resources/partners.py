"""The partner API's management (HQ, or a store manager for their stores): API keys, webhooks and their
delivery log."""
from __future__ import annotations

from datetime import timedelta

from services.common.policy import MANAGERS

from ..api import endpoint
from ..models import ApiKey
from ..partners import keys, webhooks
from ..partners.vault import Vault
from ..partners.schemas import (ApiKeyCreate, ApiKeyCreated, ApiKeyListQuery, ApiKeyOut, ApiKeyRotate,
                                DeliveryListQuery, DeliveryOut, WebhookCreate, WebhookCreated, WebhookListQuery,
                                WebhookOut)
from . import Resource

key_out, key_created = ApiKeyOut(), ApiKeyCreated()
webhook_out, webhook_created, delivery_out = WebhookOut(), WebhookCreated(), DeliveryOut()


def _dump(session, key: ApiKey, secret: str | None = None) -> dict:
    data = {**{column: getattr(key, column) for column in key_out.fields if hasattr(key, column)},
            "status": keys.status(key), "usage": keys.usage(session, key.id)}
    return key_created.dump({**data, "secret": secret}) if secret else key_out.dump(data)


class ApiKeys(Resource):
    @endpoint("Create an API key for a machine client (its secret is answered this once)", tag="partners",
              roles=MANAGERS, body=ApiKeyCreate, response=ApiKeyCreated, status=201)
    def on_post(self, req, resp):
        with self.deps.identity_db() as session, session.begin():
            key, secret = keys.create(session, req.context.principal, req.context.body,
                                      self.deps.settings.api_key_rate_per_minute)
            return _dump(session, key, secret)

    @endpoint("API keys of the user's stores, with their use", tag="partners", roles=MANAGERS,
              query=ApiKeyListQuery, response=ApiKeyOut, paginated=True)
    def on_get(self, req, resp):
        with self.deps.identity_db() as session:
            result = keys.list_keys(session, req.context.principal, req.context.query)
            return {"items": [_dump(session, key) for key in result["items"]], "next_cursor": result["next_cursor"]}


class ApiKeyRevoke(Resource):
    @endpoint("Revoke an API key: refused from the next request on", tag="partners", roles=MANAGERS,
              response=ApiKeyOut)
    def on_post(self, req, resp, key_id: str):
        with self.deps.identity_db() as session, session.begin():
            return _dump(session, keys.revoke(session, req.context.principal, key_id))


class ApiKeyRotation(Resource):
    @endpoint("Replace an API key by a new secret with the same grants; the old one works on for the overlap",
              tag="partners", roles=MANAGERS, body=ApiKeyRotate, response=ApiKeyCreated, status=201)
    def on_post(self, req, resp, key_id: str):
        overlap = timedelta(minutes=req.context.body["overlap_minutes"])
        with self.deps.identity_db() as session, session.begin():
            key, secret = keys.rotate(session, req.context.principal, key_id, overlap)
            return _dump(session, key, secret)


def _webhook(subscription, schema=webhook_out) -> dict:
    return schema.dump({**{name: getattr(subscription, name) for name in schema.fields if hasattr(subscription, name)},
                        "status": "disabled" if subscription.disabled_at else "active"})


class Webhooks(Resource):
    @endpoint("Subscribe a URL to events of some stores (its signing secret is answered this once)",
              tag="partners", roles=MANAGERS, body=WebhookCreate, response=WebhookCreated, status=201)
    def on_post(self, req, resp):
        with self.deps.identity_db() as session, session.begin():
            subscription, secret = webhooks.create(session, req.context.principal, req.context.body,
                                                   self.deps.settings.webhook_allow_private,
                                                   Vault(self.deps.settings.webhook_secret_keys))
            return {**_webhook(subscription, webhook_created), "secret": secret}

    @endpoint("Webhook subscriptions of the user's stores (`owner=me&status=disabled`: the user's own that kept "
              "failing and were disabled, which the console tells its owner about)", tag="partners", roles=MANAGERS,
              query=WebhookListQuery, response=WebhookOut, paginated=True)
    def on_get(self, req, resp):
        with self.deps.identity_db() as session:
            result = webhooks.list_subscriptions(session, req.context.principal, req.context.query)
            return {"items": [_webhook(s) for s in result["items"]], "next_cursor": result["next_cursor"]}


class Deliveries(Resource):
    @endpoint("A webhook's delivery log, newest first: request, answer, attempts", tag="partners", roles=MANAGERS,
              query=DeliveryListQuery, response=DeliveryOut, paginated=True)
    def on_get(self, req, resp, webhook_id: str):
        with self.deps.identity_db() as session:
            result = webhooks.list_deliveries(session, req.context.principal, webhook_id, req.context.query)
            return {"items": delivery_out.dump(result["items"], many=True), "next_cursor": result["next_cursor"]}


class Redelivery(Resource):
    @endpoint("Send a delivery again now (re-enables a disabled webhook)", tag="partners", roles=MANAGERS,
              response=DeliveryOut)
    def on_post(self, req, resp, webhook_id: str, delivery_id: str):
        with self.deps.identity_db() as session, session.begin():
            return delivery_out.dump(webhooks.redeliver(session, req.context.principal, webhook_id, delivery_id))


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/api-keys", ApiKeys(deps)),
        ("/v1/api-keys/{key_id}/revoke", ApiKeyRevoke(deps)),
        ("/v1/api-keys/{key_id}/rotate", ApiKeyRotation(deps)),
        ("/v1/webhooks", Webhooks(deps)),
        ("/v1/webhooks/{webhook_id}/deliveries", Deliveries(deps)),
        ("/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", Redelivery(deps)),
    ]
