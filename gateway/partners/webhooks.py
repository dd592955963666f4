"""Webhook subscriptions and their delivery log (plain functions over the gateway's Session).

A subscription names event types (`<source>.<fact>` as declared in services/contracts) and stores; an
event reaches it only when the event's store is one of them. A chain-wide subscription (made by someone who
sees every store) covers every store, those opened later too, and the chain's store-less facts
(`crm.customer_merged`, `crm.customer_erased`), which no single store's subscription may see. `fan_out`
turns an event into one pending delivery per matching subscription (at most one per subscription and event
id, so an event the bus hands over twice is delivered once); the deliverer (`deliverer.py`) posts them, retrying with
exponential backoff for a day, then gives up; a subscription whose deliveries are given up on
`DISABLE_AFTER` times in a row is disabled, and its owner is told: the console counts the owner's disabled
webhooks on its menu and names them on the partner screen (`owner=me&status=disabled`)."""
from __future__ import annotations

import ipaddress
import logging
import json
import secrets
import socket
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from typing import NamedTuple, cast

from sqlalchemy import Row, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from services.common.db import dialect_insert, utcnow
from services.common.errors import Forbidden, Invalid, NotFound
from services.common.ids import new_id
from services.common.policy import require_store, sees_every_store
from services.common.schemas import page
from services.contracts import EVENTS

from ..identity import check_stores_exist
from ..models import WebhookDelivery, WebhookSubscription
from .vault import Vault

log = logging.getLogger(__name__)
EVENT_TYPES = tuple(sorted({f"{source}.{fact}" for source, fact, _version in EVENTS}))
"""Every event a service publishes under a contract: each is a partner's to subscribe to."""
RETRY_FOR = timedelta(days=1)
MAX_BACKOFF = timedelta(hours=1)
DISABLE_AFTER = 5
RESPONSE_KEPT = 500
"""Characters of a receiver's answer kept in the log."""


def check_url(url: str, allow_private: bool, resolve: bool = True) -> None:
    """An https (or, for tests, http) URL whose host resolves to public addresses only, unless private ones
    are allowed by configuration (WEBHOOK_ALLOW_PRIVATE): no loopback, private, link-local or reserved
    address, so a subscription cannot make the deliverer probe the chain's own network. `resolve=False`
    checks an address written in the URL but leaves a name to the caller (the deliverer's connector checks
    every address it connects to: `public_address`)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port, parts = 0, urlsplit("")
    if parts.scheme not in ("https", "http") or not parts.hostname or not 0 < port < 65536:
        raise Invalid("A webhook URL is http(s)://host/…", fields={"url": ["Not an http(s) URL."]},
                      code="webhook_url_refused")
    if allow_private:
        return
    try:
        addresses = {str(ipaddress.ip_address(parts.hostname))}
    except ValueError:  # a name
        if not resolve:
            return
        try:
            addresses = {str(info[4][0]) for info in socket.getaddrinfo(parts.hostname, port)}
        except OSError as exc:
            raise Invalid("The webhook host does not resolve.", fields={"url": ["Unknown host."]},
                          code="webhook_url_refused") from exc
    if not all(public_address(address) for address in addresses):
        raise Invalid("Webhooks go to public addresses only.", fields={"url": ["Not a public address."]},
                      code="webhook_url_refused")


def public_address(address: str) -> bool:
    """Whether an IP address is a public one (not loopback, private, link-local or reserved)."""
    return ipaddress.ip_address(address.split("%")[0]).is_global


def _visible(actor, subscription: WebhookSubscription) -> bool:
    if sees_every_store(actor):
        return True
    return not subscription.chain_wide and set(subscription.store_ids) <= set(actor.store_ids)


def create(session: Session, actor, data: dict, allow_private: bool, vault: Vault) -> tuple[WebhookSubscription, str]:
    """The subscription and its signing secret in clear (answered once; kept sealed)."""
    chain_wide = bool(data.get("chain_wide"))
    if chain_wide and not sees_every_store(actor):
        raise Forbidden("Only a user who sees every store subscribes for the whole chain.",
                        code="store_out_of_scope")
    store_ids = [] if chain_wide else list(dict.fromkeys(data.get("store_ids") or []))
    if not chain_wide and not store_ids:
        raise Invalid("Name the stores, or subscribe for the whole chain.",
                      fields={"store_ids": ["Name at least one store."]}, code="webhook_stores_missing")
    for store_id in store_ids:
        require_store(actor, store_id)
    check_stores_exist(session, store_ids)
    check_url(data["url"], allow_private)
    secret = data.get("secret") or secrets.token_urlsafe(32)
    subscription = WebhookSubscription(url=data["url"], event_types=sorted(set(data["event_types"])),
                                       store_ids=store_ids, chain_wide=chain_wide, secret=vault.seal(secret),
                                       created_by=actor.id, failures=0)
    session.add(subscription)
    session.flush()
    return subscription, secret


def get(session: Session, actor, subscription_id: str) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound("No such webhook.", code="not_found")
    if not _visible(actor, subscription):
        raise Forbidden("This webhook covers stores outside your account's.", code="store_out_of_scope")
    return subscription


def list_subscriptions(session: Session, actor, query: dict) -> dict:
    if query.get("store_id"):
        require_store(actor, query["store_id"])
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.id)
    if query.get("cursor"):
        stmt = stmt.where(WebhookSubscription.id > query["cursor"])
    if query.get("owner") == "me":
        stmt = stmt.where(WebhookSubscription.created_by == actor.id)
    if query.get("status"):
        stmt = stmt.where(WebhookSubscription.disabled_at.is_(None) if query["status"] == "active"
                          else WebhookSubscription.disabled_at.is_not(None))
    rows = [s for s in session.scalars(stmt) if _visible(actor, s)
            and (not query.get("store_id") or query["store_id"] in s.store_ids or s.chain_wide)]
    return page(rows[:query["limit"] + 1], query["limit"])


def list_deliveries(session: Session, actor, subscription_id: str, query: dict) -> dict:
    get(session, actor, subscription_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if query.get("status"):
        stmt = stmt.where(WebhookDelivery.status == query["status"])
    if query.get("cursor"):
        stmt = stmt.where(WebhookDelivery.id < query["cursor"])
    rows = session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(query["limit"] + 1)).all()
    return page(list(rows), query["limit"])


def redeliver(session: Session, actor, subscription_id: str, delivery_id: str) -> WebhookDelivery:
    """Send a delivery again now (delivered or given up on alike); a disabled subscription is enabled."""
    subscription = get(session, actor, subscription_id)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != subscription.id:
        raise NotFound("No such delivery.", code="not_found")
    delivery.status, delivery.next_attempt_at = "pending", utcnow()
    subscription.disabled_at, subscription.failures = None, 0
    session.flush()
    return delivery


def body_of(envelope: dict) -> str:
    """What a receiver gets: the event's id (for de-duplication), type, contract version, time, store and
    its payload exactly as the contract writes it."""
    return json.dumps({"id": envelope["event_id"], "type": envelope["type"], "version": envelope["version"],
                       "occurred_at": envelope["occurred_at"], "store_id": envelope.get("store_id"),
                       "data": envelope["payload"]}, ensure_ascii=False, separators=(",", ":"))


def covers(subscription: WebhookSubscription | Row, event_type: str, store_id: str | None) -> bool:
    """Whether the event reaches the subscription: its type, and its store (a store-less fact of the chain
    only a chain-wide subscription)."""
    return event_type in subscription.event_types and (
        subscription.chain_wide or (store_id is not None and store_id in subscription.store_ids))


class Target(NamedTuple):
    """A delivery taken for one attempt: what its post needs."""
    delivery_id: str
    url: str
    secret: str
    """Sealed (vault.py)."""
    body: str
    event_id: str
    event_type: str


def fan_out(session: Session, envelope: dict) -> int:
    """One pending delivery per active subscription covering the event, due now; how many were new."""
    return len(fan_out_held(session, [envelope], timedelta(0)))


def fan_out_held(session: Session, envelopes: list[dict], lease: timedelta) -> list[Target]:
    """`fan_out` of several events in one INSERT, the new deliveries taken by the caller for their first attempt:
    not due for any other sender before `lease` ends (then they are, if the caller died before recording an
    outcome)."""
    now = utcnow()
    active = select(WebhookSubscription.id, WebhookSubscription.url, WebhookSubscription.secret,
                    WebhookSubscription.event_types, WebhookSubscription.store_ids, WebhookSubscription.chain_wide
                    ).where(WebhookSubscription.disabled_at.is_(None))  # plain rows, cheaper than objects
    subscriptions = {subscription.id: subscription for subscription in session.execute(active)}
    rows: dict[tuple[str, str], dict] = {}  # an event handed over twice in one batch: once
    for envelope in envelopes:
        body = body_of(envelope)
        for subscription in subscriptions.values():
            if covers(subscription, envelope["type"], envelope.get("store_id")):
                rows[(subscription.id, envelope["event_id"])] = {
                    "id": new_id(), "subscription_id": subscription.id, "event_id": envelope["event_id"],
                    "event_type": envelope["type"], "body": body, "status": "pending", "attempts": 0,
                    "next_attempt_at": now + lease, "created_at": now}
    if not rows:
        return []
    insert = (dialect_insert(session)(WebhookDelivery)  # rows as parameters: compiled once, sent as one INSERT
              .on_conflict_do_nothing(index_elements=["subscription_id", "event_id"])
              .returning(WebhookDelivery.id, WebhookDelivery.subscription_id, WebhookDelivery.event_id))
    made = session.execute(insert, list(rows.values()))
    return [Target(delivery_id, subscriptions[subscription_id].url, subscriptions[subscription_id].secret,
                   rows[(subscription_id, event_id)]["body"], event_id, rows[(subscription_id, event_id)]["event_type"])
            for delivery_id, subscription_id, event_id in made]


def claim_due(session: Session, limit: int, lease: timedelta) -> list[Target]:
    """Take up to `limit` due deliveries (retries, and those whose sender's lease ran out) for one attempt each.
    Rows another deliverer holds are skipped (PostgreSQL's SKIP LOCKED), and the conditional update takes
    only what nobody took meanwhile; a taken row is not due again before the lease ends (a sender that
    died mid-post)."""
    now = utcnow()
    candidates = list(session.scalars(
        select(WebhookDelivery.id).where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at).limit(limit).with_for_update(skip_locked=True)))
    if not candidates:
        return []
    taken = list(session.scalars(update(WebhookDelivery).where(
        WebhookDelivery.id.in_(candidates), WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .values(next_attempt_at=now + lease).returning(WebhookDelivery.id)))
    rows = session.execute(select(WebhookDelivery.id, WebhookSubscription.url, WebhookSubscription.secret,
                                  WebhookDelivery.body, WebhookDelivery.event_id, WebhookDelivery.event_type)
                           .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                           .where(WebhookDelivery.id.in_(taken)))
    return [Target(*row) for row in rows]


def seconds_to_next(session: Session, at_most: float) -> float:
    """How long until the earliest pending delivery comes due (0 when one is due now), at most `at_most`."""
    soonest = session.scalar(select(func.min(WebhookDelivery.next_attempt_at))
                             .where(WebhookDelivery.status == "pending"))
    if soonest is None:
        return at_most
    return min(max((soonest - utcnow()).total_seconds(), 0.0), at_most)


def backoff(attempts: int, base_seconds: float) -> timedelta:
    return min(timedelta(seconds=base_seconds * 2 ** (attempts - 1)), MAX_BACKOFF)


def record_delivered(session: Session, outcomes: list[tuple[str, int, str | None, int]],
                     now: datetime | None = None) -> None:
    """Answered 2xx, in two statements however many: each delivery delivered with its answer (one UPDATE,
    compiled once, executed for every row: the deliverer's engine sends them a hundred to a round trip), and the
    failure count of their subscriptions back to zero (what `record` does one by one)."""
    if not outcomes:
        return
    now = now or utcnow()
    table = cast(Table, WebhookDelivery.__table__)
    session.execute(
        update(table).where(table.c.id == bindparam("delivery_id")).values(
            status="delivered", delivered_at=now, next_attempt_at=None, attempted_at=now, error=None,
            attempts=table.c.attempts + 1, duration_ms=bindparam("took"), response_status=bindparam("answered"),
            response_body=bindparam("answer")),
        [{"delivery_id": delivery_id, "took": duration_ms, "answered": status,
          "answer": (answer or "")[:RESPONSE_KEPT] or None} for delivery_id, status, answer, duration_ms in outcomes])
    delivered = select(WebhookDelivery.subscription_id).where(WebhookDelivery.id.in_([o[0] for o in outcomes]))
    session.execute(update(WebhookSubscription).where(WebhookSubscription.id.in_(delivered),
                                                      WebhookSubscription.failures != 0).values(failures=0))


def record(session: Session, delivery: WebhookDelivery, status: int | None, answer: str | None, error: str | None,
           duration_ms: int, base_seconds: float, now: datetime | None = None) -> None:
    """The attempt's outcome: delivered on a 2xx; else retried after the backoff while the event is under a
    day old, then given up on (and the subscription disabled after DISABLE_AFTER in a row)."""
    now = now or utcnow()
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    delivery.attempts += 1
    delivery.attempted_at, delivery.duration_ms = now, duration_ms
    delivery.response_status, delivery.error = status, (error or "")[:200] or None
    delivery.response_body = (answer or "")[:RESPONSE_KEPT] or None
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        if subscription is not None:
            subscription.failures = 0
        return
    retry_at = now + backoff(delivery.attempts, base_seconds)
    if retry_at - delivery.created_at <= RETRY_FOR:
        delivery.next_attempt_at = retry_at
        return
    delivery.status, delivery.next_attempt_at = "failed", None
    if subscription is not None:
        subscription.failures += 1
        if subscription.failures >= DISABLE_AFTER and subscription.disabled_at is None:
            subscription.disabled_at = now
            log.warning("webhook disabled after deliveries given up in a row; its owner sees it in the console",
                        extra={"webhook_id": subscription.id, "owner": subscription.created_by,
                               "failures": subscription.failures})
