"""Messages to car owners (crm's outbox): a template and its parameters queued in the transaction that
decided it, once per cause (`dedupe_key`), sent later by the timer outside any transaction.

Rules: transactional messages (steps of the customer's car, links, receipts) always go; marketing ones
need the customer's consent (checked again at send time), wait out the store's quiet hours
(21:00–08:00 local unless its crm settings say otherwise), and are rationed (`MessageLimits`): a few a week to one
customer — campaign messages counted in the same allowance (marketing.py, the rules both senders follow) — so many
a minute for one store. A provider that is down is tried again with growing delays; a refusal by WeChat
(the customer no longer follows the account) falls back to SMS; a refusal by SMS fails the message with
the provider's code. Delivery comes from the provider's receipt. A message is claimed with a
conditional UPDATE that moves its `next_attempt_at` past a lease, so replicas never send it twice at once
and one whose sender died is tried again after the lease.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.config import MessageLimits
from services.common.context import Caller
from services.common.db import rowcount
from services.common.errors import Invalid
from services.common.messaging.templates import TEMPLATES, MessageTemplate
from services.common.money import format_yuan
from services.common.policy import sees_every_store
from services.common.validators import mask_mobile

from ..models import (Campaign, CampaignMessage, Customer, Message, ReportSubscription, ServiceDue, Vehicle,
                      WeChatOpenid)
from .common import VEHICLE_ROWS, keyset_page, resolve_customer, store_keys, zone
from .marketing import MINUTE, RATE_LIMITED, Allowance, store_quiet_until
from .reminders import service_name, service_names

LEASE = timedelta(minutes=2)
RECEIPT_EVERY = timedelta(seconds=5)
RECEIPT_FOR = timedelta(hours=24)
"""After this long without a receipt the provider will not send one; the message stays `sent`."""
BATCH = 50
SECRET_PARAMS = frozenset({"url", "code"})
LINK_GRACE = timedelta(minutes=2)
"""How long "your quote is ready" waits for the advisor's link to come with it."""
DUE_NOTICE = timedelta(days=7)
"""A service-due reminder goes this long before the car is due."""
METHOD_NAMES = {"cash": "现金", "card": "银行卡", "wechat": "微信支付", "alipay": "支付宝", "stored_value": "储值卡",
                "package": "套餐卡"}


@dataclass(frozen=True)
class Outgoing:
    """A claimed message as the sender needs it (plain data: no session is open while it goes out)."""
    id: str
    channel: str
    template: str
    params: dict
    mobile: str | None
    openid: str | None
    sent_on: date | None = None
    provider_id: str | None = None
    store_keys: tuple[str | None, ...] = ()
    """The store's code and id: they name its own message accounts (else the chain's are used)."""
    openids: dict[str, str] = field(default_factory=dict)
    """The owner's openid per official account (appid → openid, `customer_wechat_openids`): a template message goes
    to the one at the account it goes out under (`openid`, the chain's messaging account's, only under that)."""


@dataclass(frozen=True)
class Outcome:
    """What the provider answered: `sent` (with its id), `down` (try again) or `refused`; `detail` is the
    provider's own code."""
    result: str
    provider_id: str | None = None
    detail: str | None = None


# -- queueing ------------------------------------------------------------------------------------
def queue(session: Session, *, customer_id: str, store_id: str | None, template: str, params: dict[str, str],
          dedupe_key: str, now: datetime, not_before: datetime | None = None) -> Message | None:
    """A message for the customer (the live record a merged id stands for), once per `dedupe_key`;
    None for a customer who is gone (erased or unknown)."""
    known = _template(template, params)
    existing = session.scalar(select(Message).where(Message.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    customer = resolve_customer(session, customer_id)
    if customer is None or customer.erased_at is not None:
        return None
    message = Message(customer_id=customer.id, store_id=store_id, template=template,
                      params={name: str(params[name]) for name in known.params}, marketing=known.marketing,
                      channel=first_channel(session, customer), status="queued", attempts=0,
                      next_attempt_at=not_before or now, dedupe_key=dedupe_key, created_at=now)
    return _added(session, message)


def first_channel(session: Session, customer: Customer) -> str:
    """WeChat for an owner with an openid at some official account (the chain's or a store's; one at another
    account than the message's is refused when it goes out and the message falls back to a text), else SMS."""
    if customer.wechat_openid or session.scalar(select(WeChatOpenid.appid).where(
            WeChatOpenid.customer_id == customer.id).limit(1)):
        return "wechat"
    return "sms"


def openids_of(session: Session, customer_ids: set[str]) -> dict[str, dict[str, str]]:
    """Each customer's openid per official account (one read for a batch)."""
    found: dict[str, dict[str, str]] = {}
    if customer_ids:
        for customer_id, appid, openid in session.execute(select(
                WeChatOpenid.customer_id, WeChatOpenid.appid, WeChatOpenid.openid).where(
                WeChatOpenid.customer_id.in_(customer_ids))):
            found.setdefault(customer_id, {})[appid] = openid
    return found


def queue_to_staff(session: Session, *, subscription_id: str, store_id: str | None, template: str,
                   params: dict[str, str], dedupe_key: str, now: datetime) -> bool:
    """A text to a staff member's report subscription (domain/reports.py), once per `dedupe_key`; whether it is
    new."""
    known = _template(template, params)
    if session.scalar(select(Message.id).where(Message.dedupe_key == dedupe_key)) is not None:
        return False
    message = Message(customer_id=None, subscription_id=subscription_id, store_id=store_id, template=template,
                      params={name: str(params[name]) for name in known.params}, marketing=known.marketing,
                      channel="sms", status="queued", attempts=0, next_attempt_at=now, dedupe_key=dedupe_key,
                      created_at=now)
    return _added(session, message) is message


def _template(template: str, params: dict) -> MessageTemplate:
    known = TEMPLATES.get(template)
    if known is None:
        raise Invalid("Unknown template.", fields={"template": [f"One of {', '.join(TEMPLATES)}."]},
                      code="unknown_message_template", params={"template": template})
    missing = sorted(set(known.params) - set(params))
    if missing:
        raise Invalid("Parameters missing.", fields={"params": [f"Missing: {', '.join(missing)}."]},
                      code="message_params_missing", params={"missing": missing})
    return known


def _added(session: Session, message: Message) -> Message | None:
    """The message added, or the one its cause queued at the same moment in another worker (the unique key)."""
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return session.scalar(select(Message).where(Message.dedupe_key == message.dedupe_key))
    return message


def _plate(session: Session, vehicle_id: str | None) -> str | None:
    vehicle = session.get(Vehicle, vehicle_id, options=VEHICLE_ROWS) if vehicle_id else None
    return vehicle.plate if vehicle is not None else None


def on_checked_in(session: Session, event_id: str, payload: dict, now: datetime) -> None:
    plate = _plate(session, payload.get("vehicle_id"))
    if plate:
        queue(session, customer_id=payload["customer_id"], store_id=payload["store_id"],
              template="vehicle_checked_in", params={"plate": plate}, dedupe_key=f"event:{event_id}", now=now)


def on_work_completed(session: Session, event_id: str, payload: dict, now: datetime) -> None:
    plate = _plate(session, payload.get("vehicle_id"))
    if plate:
        queue(session, customer_id=payload["customer_id"], store_id=payload["store_id"], template="car_ready",
              params={"plate": plate}, dedupe_key=f"event:{event_id}", now=now)


def on_quote_presented(session: Session, event_id: str, payload: dict, now: datetime) -> None:
    """"Your quote is ready", held back `LINK_GRACE`: a link the advisor sends meanwhile takes its place
    (`queue_quote_link`); none is queued when a link already went out. Both write the quote's one message under the
    key `quote:<id>`, so whichever comes second — even at the same moment — finds the other's (the unique key)."""
    key = f"quote:{payload['quote_id']}"
    if session.scalar(select(Message.id).where(Message.dedupe_key.like(f"{key}:link:%")).limit(1)):
        return  # a link texted on its own (the quote's message had gone out before it)
    queue(session, customer_id=payload["customer_id"], store_id=payload["store_id"], template="quote_presented",
          params={"number": payload["quote_number"], "total": format_yuan(payload["total_fen"])},
          dedupe_key=key, now=now, not_before=now + LINK_GRACE)


def queue_quote_link(session: Session, *, quote_id: str, link_id: str, customer_id: str, store_id: str | None,
                     params: dict[str, str], now: datetime) -> Message | None:
    """The quote's link: the quote's one message (`quote:<id>`) while it has not gone out — the held "quote
    presented" becomes it, or it is made now so that the presented event, heard later, queues nothing — else a
    message of its own."""
    key = f"quote:{quote_id}"
    ready = {name: str(params[name]) for name in TEMPLATES["quote_ready"].params}
    waiting = session.scalar(select(Message).where(Message.dedupe_key == key).with_for_update())
    if waiting is None:
        made = queue(session, customer_id=customer_id, store_id=store_id, template="quote_ready", params=params,
                     dedupe_key=key, now=now)
        if made is None or (made.template == "quote_ready" and made.params == ready):
            return made  # the customer is gone, or this link is the quote's message
        # the presented event's message was written at the same moment: take its place as below
        waiting = session.scalar(select(Message).where(Message.dedupe_key == key).with_for_update())
    if waiting is not None and waiting.status == "queued" and waiting.attempts == 0:
        waiting.template, waiting.params, waiting.next_attempt_at = "quote_ready", ready, now
        return waiting
    return queue(session, customer_id=customer_id, store_id=store_id, template="quote_ready", params=params,
                 dedupe_key=f"{key}:link:{link_id}", now=now)


def on_payment_received(session: Session, event_id: str, payload: dict, now: datetime) -> None:
    params = {"amount": format_yuan(payload["amount_fen"]),
              "method": METHOD_NAMES.get(payload["method"], payload["method"]),
              "due": format_yuan(payload.get("due_fen") or 0)}
    queue(session, customer_id=payload["customer_id"], store_id=payload["store_id"], template="payment_receipt",
          params=params, dedupe_key=f"event:{event_id}", now=now)


def on_account_overdue(session: Session, payload: dict, now: datetime) -> Message | None:
    """finance's daily overdue reminder of a company account, to its contact: the customer with the
    contact's mobile, else the first of the account's people crm still knows (None: nobody to text).
    Once per account and day, however often the event comes."""
    contact = session.scalar(select(Customer.id).where(Customer.mobile == payload["contact_phone"],
                                                       Customer.erased_at.is_(None)))
    for customer_id in ([contact] if contact else []) + list(payload.get("member_customer_ids") or []):
        message = queue(session, customer_id=customer_id, store_id=None, template="account_overdue",
                        params={"company": payload["name"],
                                "contact": payload.get("contact_name") or "",
                                "amount": format_yuan(payload["overdue_fen"]), "days": str(payload["overdue_days"])},
                        dedupe_key=f"overdue:{payload['account_id']}:{payload['day']}", now=now)
        if message is not None:
            return message
    return None


def queue_service_due(session: Session, now: datetime) -> int:
    """A service-due reminder (marketing) for each car due within `DUE_NOTICE` whose owner consents, once
    per due date (a due moved by the next service is a new reminder). Answers how many were queued."""
    horizon = now.date() + DUE_NOTICE
    dues = session.execute(select(ServiceDue, Vehicle.plate)
                           .join(Vehicle, Vehicle.id == ServiceDue.vehicle_id)
                           .join(Customer, Customer.id == ServiceDue.customer_id)
                           .where(ServiceDue.due_on <= horizon, ServiceDue.due_on >= now.date() - timedelta(days=1),
                                  Customer.marketing_consent.is_(True), Customer.erased_at.is_(None))
                           .order_by(ServiceDue.due_on).limit(BATCH * 10)).all()
    keys = {f"due:{due.id}:{due.due_on.isoformat()}": (due, plate) for due, plate in dues}
    known = set(session.scalars(select(Message.dedupe_key).where(Message.dedupe_key.in_(keys)))) if keys else set()
    names = service_names(session)
    for key, (due, plate) in keys.items():
        if key not in known:
            queue(session, customer_id=due.customer_id, store_id=due.store_id, template="service_due",
                  params={"plate": plate, "service": service_name(names, due.service_type),
                          "due_on": due.due_on.isoformat()}, dedupe_key=key, now=now)
    return len(keys) - len(known)


# -- sending (the timer) -------------------------------------------------------------------------
def claim_due(session: Session, now: datetime, limits: MessageLimits | None = None) -> list[Outgoing]:
    """Queued messages whose time has come, each claimed for `LEASE` (one attempt counted); marketing
    without consent fails here, marketing in quiet hours is put off to their end, marketing beyond a customer's
    weekly allowance fails (`customer_rate_limited`) and beyond the store's allowance a minute waits a minute — both
    counted with the campaigns' messages (marketing.Allowance)."""
    claimed: list[Outgoing] = []
    due = session.scalars(select(Message).where(Message.status == "queued", Message.next_attempt_at <= now)
                          .order_by(Message.next_attempt_at).limit(BATCH)).all()
    marketing = [message for message in due if message.marketing]
    allowance = Allowance.read(session, {m.customer_id for m in marketing}, {m.store_id for m in marketing}, now,
                               limits)
    openids = openids_of(session, {m.customer_id for m in due if m.channel == "wechat" and m.customer_id})
    for message in due:
        if message.subscription_id is not None:
            _claim_to_staff(session, message, now, claimed)
            continue
        customer_id = message.customer_id
        assert customer_id is not None  # a message is to a customer or to a subscription (the table's check)
        customer = session.get(Customer, customer_id)
        if customer is None or customer.erased_at is not None:
            _finish(session, message, "failed", "customer_gone")
            continue
        if message.marketing and not customer.marketing_consent:
            _finish(session, message, "failed", "no_consent")
            continue
        later = store_quiet_until(session, message.store_id, now) if message.marketing else None
        if later is not None:
            message.next_attempt_at = later
            continue
        refusal = allowance.refusal(customer_id, message.store_id) if message.marketing else None
        if refusal == RATE_LIMITED:
            _finish(session, message, "failed", RATE_LIMITED)
            continue
        if refusal is not None:  # the store's minute
            message.next_attempt_at = now + MINUTE
            continue
        if _claim(session, message, now):
            claimed.append(Outgoing(message.id, message.channel, message.template, dict(message.params),
                                    customer.mobile, customer.wechat_openid,
                                    store_keys=store_keys(session, message.store_id),
                                    openids=openids.get(customer_id, {})))
            if message.marketing:
                allowance.take(customer_id, message.store_id)
    return claimed


def _claim(session: Session, message: Message, now: datetime) -> bool:
    return bool(rowcount(session.execute(update(Message).where(Message.id == message.id, Message.status == "queued",
                                                               Message.next_attempt_at == message.next_attempt_at)
                                         .values(next_attempt_at=now + LEASE, attempts=Message.attempts + 1)
                                         .execution_options(synchronize_session=False))))


def _claim_to_staff(session: Session, message: Message, now: datetime, claimed: list[Outgoing]) -> None:
    """A scheduled report: to its subscription's mobile as it is now; none once unsubscribed."""
    subscription = session.get(ReportSubscription, message.subscription_id)
    if subscription is None:
        _finish(session, message, "failed", "unsubscribed")
    elif _claim(session, message, now):
        claimed.append(Outgoing(message.id, "sms", message.template, dict(message.params), subscription.mobile, None,
                                store_keys=store_keys(session, message.store_id)))


@dataclass(frozen=True)
class Step:
    """What a provider's answer does to a queued message — the outbox's and a campaign's alike: `sent`, `to_sms`
    (WeChat refused it: by text instead), `failed` with `code`, or `retry` after `delay` (`code` provider_down)."""
    action: str
    code: str | None = None
    delay: timedelta | None = None


def next_step(outcome: Outcome, channel: str, attempts: int, retry_delays: tuple[float, ...]) -> Step:
    if outcome.result == "sent":
        return Step("sent")
    if outcome.result == "refused" and channel == "wechat":
        return Step("to_sms", "wechat_refused")  # no longer a follower, or no openid at the account
    if outcome.result == "refused":
        return Step("failed", "provider_refused")
    if attempts > len(retry_delays):
        return Step("failed", "retries_exhausted")
    return Step("retry", "provider_down", timedelta(seconds=retry_delays[attempts - 1]))


def record_outcome(session: Session, message_id: str, outcome: Outcome, now: datetime,
                   retry_delays: tuple[float, ...]) -> None:
    message = session.get(Message, message_id, with_for_update=True)
    if message is None or message.status != "queued":
        return
    step = next_step(outcome, message.channel, message.attempts, retry_delays)
    if step.action == "sent":
        message.status, message.provider_id, message.sent_at = "sent", outcome.provider_id, now
        message.params = _without_secrets(message.params)
        message.failure_code = message.failure_detail = None
        message.next_attempt_at = now + RECEIPT_EVERY if message.channel == "sms" else None
    elif step.action == "failed":
        _finish(session, message, "failed", step.code or "", outcome.detail)
    else:
        message.next_attempt_at = now + (step.delay or timedelta(0))
        message.channel = "sms" if step.action == "to_sms" else message.channel
        message.failure_code, message.failure_detail = step.code, outcome.detail


def _without_secrets(params: dict) -> dict:
    """A link carries the customer's secret: crm keeps it only until the message is out."""
    return {name: ("" if name in SECRET_PARAMS else value) for name, value in params.items()}


def _finish(session: Session, message: Message, status: str, code: str, detail: str | None = None) -> None:
    message.status, message.next_attempt_at = status, None
    message.params = _without_secrets(message.params)
    message.failure_code, message.failure_detail = code, (detail or None) and detail[:100]


def receipts_due(session: Session, now: datetime) -> list[Outgoing]:
    """Sent texts whose receipt is to be asked for now (each put off by `RECEIPT_EVERY` meanwhile)."""
    mobile = func.coalesce(Customer.mobile, ReportSubscription.mobile)
    due = session.execute(select(Message, mobile).outerjoin(Customer, Customer.id == Message.customer_id)
                          .outerjoin(ReportSubscription, ReportSubscription.id == Message.subscription_id)
                          .where(Message.status == "sent", Message.channel == "sms", Message.next_attempt_at <= now)
                          .order_by(Message.next_attempt_at).limit(BATCH)).all()
    asked = []
    for message, mobile in due:
        if message.sent_at is None or now - message.sent_at > RECEIPT_FOR or not mobile:
            message.next_attempt_at = None
            continue
        message.next_attempt_at = now + RECEIPT_EVERY
        asked.append(Outgoing(message.id, "sms", message.template, {}, mobile, None,
                              message.sent_at.astimezone(zone(None)).date(), message.provider_id,
                              store_keys(session, message.store_id)))
    return asked


def record_receipt(session: Session, message_id: str, status: str, code: str | None, now: datetime) -> None:
    message = session.get(Message, message_id)
    if message is None or message.status != "sent" or status == "pending":
        return
    if status == "delivered":
        message.status, message.delivered_at, message.next_attempt_at = "delivered", now, None
    else:
        _finish(session, message, "failed", "undeliverable", code)


# -- reading ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CampaignLine:
    """A campaign's message as a line of the messages to car owners: the outbox's fields (template `campaign`, its
    text the parameter `body`; `failure_code` and `failure_detail` from its `error`), its campaign named."""
    id: str
    customer_id: str
    store_id: str | None
    campaign_id: str
    campaign_name: str
    channel: str
    status: str
    attempts: int
    failure_code: str | None
    failure_detail: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    params: dict
    template: str = "campaign"
    marketing: bool = True
    kind: str = "campaign"


CAMPAIGN_ERRORS = {"no marketing consent": "no_consent", "campaign cancelled": "campaign_cancelled"}
"""A campaign message's `error` worded as the outbox's failure codes (else `code:provider's code`)."""


def _campaign_line(message: CampaignMessage, name: str, store_id: str | None) -> CampaignLine:
    code, _, detail = (message.error or "").partition(":")
    return CampaignLine(message.id, message.customer_id, store_id, message.campaign_id, name, message.channel,
                        message.status, message.attempts, CAMPAIGN_ERRORS.get(code, code) or None, detail or None,
                        message.not_before if message.status == "queued" else None, message.created_at,
                        message.sent_at if message.status != "queued" else None, message.delivered_at,
                        {"body": message.body})


def message_log(session: Session, filters: dict, stores: list[str] | None = None) -> dict:
    """The messages to car owners — the outbox's and campaigns' in one list, newest first (ids of both are
    time-ordered: the keyset is the id across both tables) — of `stores` (None: every store) and of the filters'
    `customer_id`, `status` and `template` (`campaign`: campaign messages alone)."""
    limit, cursor = filters["limit"], filters.get("cursor")
    outbox = select(Message).where(Message.customer_id.is_not(None))
    sent = (select(CampaignMessage, Campaign.name, CampaignMessage.store_id)
            .join(Campaign, Campaign.id == CampaignMessage.campaign_id))
    if stores is not None:
        outbox, sent = outbox.where(Message.store_id.in_(stores)), sent.where(CampaignMessage.store_id.in_(stores))
    if filters.get("customer_id"):
        outbox = outbox.where(Message.customer_id == filters["customer_id"])
        sent = sent.where(CampaignMessage.customer_id == filters["customer_id"])
    if filters.get("status"):
        outbox = outbox.where(Message.status == filters["status"])
        sent = sent.where(CampaignMessage.status == filters["status"])
    if cursor:
        outbox, sent = outbox.where(Message.id < cursor), sent.where(CampaignMessage.id < cursor)
    lines: list = []
    if filters.get("template") != "campaign":
        if filters.get("template"):
            outbox = outbox.where(Message.template == filters["template"])
        lines += session.scalars(outbox.order_by(Message.id.desc()).limit(limit + 1)).all()
    if filters.get("template") in (None, "", "campaign"):
        lines += [_campaign_line(message, name, store_id) for message, name, store_id in
                  session.execute(sent.order_by(CampaignMessage.id.desc()).limit(limit + 1))]
    lines.sort(key=lambda line: line.id, reverse=True)
    return keyset_page(lines[:limit + 1], limit, key=lambda line: line.id)


def list_messages(session: Session, filters: dict, caller: Caller) -> dict:
    """Messages to car owners at the caller's stores (staff's own scheduled reports are listed with their
    subscriptions); a campaign's are of its store (a chain-wide one's: the customer's home store)."""
    if filters.get("store_id"):
        caller.require_store(filters["store_id"])
        return message_log(session, filters, [filters["store_id"]])
    return message_log(session, filters, None if sees_every_store(caller) else sorted(caller.store_ids))


def recipients(session: Session, messages: list) -> dict[str, tuple[str, str | None]]:
    """Each message's customer: (name, masked mobile)."""
    ids = {m.customer_id for m in messages}
    if not ids:
        return {}
    rows = session.execute(select(Customer.id, Customer.name, Customer.mobile, Customer.erased_at)
                           .where(Customer.id.in_(ids)))
    return {cid: (name, None if erased else mask_mobile(mobile)) for cid, name, mobile, erased in rows}

