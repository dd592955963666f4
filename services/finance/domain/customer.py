"""The customer channel's view of finance: a car owner (caller role `customer`) sees their own
invoices (never a void one) and pays what is still due through a payment intent; anyone else's
invoice is unknown (NotFound), so an id reveals nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import NotFound

from ..models import Invoice, MemberCard, PaymentIntent
from ..providers import of_merchant
from . import intents
from .invoices import VOID

PHONE_PAY = {"provider": "wechat", "channel": "h5"}
"""How a car owner pays from the phone: WeChat Pay's H5 (a link opened in the phone's browser), or its JSAPI
(`channel: jsapi`) inside WeChat's own browser, where H5 is refused."""
PHONE_CHANNELS = ("h5", "jsapi")


def own_invoice(session: Session, caller: Caller, invoice_id: str) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.customer_id != caller.require_customer() or invoice.status == VOID:
        raise NotFound(f"No invoice {invoice_id}.")
    return invoice


def own_invoices(session: Session, caller: Caller, vehicle_id: str | None) -> list[Invoice]:
    """The customer's invoices across the chain's stores (one car with `vehicle_id`), newest first
    (at most 50)."""
    query = select(Invoice).where(Invoice.customer_id == caller.require_customer(), Invoice.status != VOID)
    if vehicle_id:
        query = query.where(Invoice.vehicle_id == vehicle_id)
    return list(session.scalars(query.order_by(Invoice.issued_at.desc(), Invoice.id.desc()).limit(50)))


def pay_due(session: Session, caller: Caller, providers, invoice_id: str, key: str | None,
            client_ip: str | None, lifetime: timedelta, channel: str = "h5",
            payer: dict | None = None) -> PaymentIntent:
    """A WeChat Pay intent for exactly what the customer's own invoice still owes (the staff's intent
    rules: a settled invoice is 409, never more than is due): H5 in the phone's browser, JSAPI inside
    WeChat with the owner's openid (`payer`: {appid, openid})."""
    invoice = own_invoice(session, caller, invoice_id)
    scoped, due = caller.at_store(invoice.store_id), invoice.due_fen
    live = session.scalars(select(PaymentIntent).where(
        PaymentIntent.invoice_id == invoice.id, PaymentIntent.status == "pending",
        PaymentIntent.channel == channel, PaymentIntent.amount_fen == due,
        PaymentIntent.expires_at > utcnow()).order_by(PaymentIntent.created_at.desc()).limit(1)).first()
    if live is not None:  # asked again (a second tap, a reload): the order already open at WeChat Pay
        return live
    data = {**PHONE_PAY, "channel": channel, "amount_fen": due, **({"payer": payer} if payer else {})}
    return intents.create_intent(session, scoped, providers, invoice_id, data, key, client_ip, lifetime)


def jsapi_params(providers, intent: PaymentIntent, appid: str) -> dict:
    """The getBrandWCPayRequest parameters of a pending JSAPI intent, signed afresh by the account its
    order was opened on (appId: the official account of the payer's openid)."""
    provider = of_merchant(providers, intent.provider, intent.merchant_id)
    return provider.jsapi_params(appid, intent.pay_url)  # a local signature: nothing leaves the process


def own_intent(session: Session, caller: Caller, intent_id: str) -> PaymentIntent:
    intent = session.get(PaymentIntent, intent_id)
    if intent is None:
        raise NotFound(f"No payment intent {intent_id}.")
    own_invoice(session, caller, intent.invoice_id)
    return intent


def own_cards(session: Session, caller: Caller) -> list[MemberCard]:
    """The customer's member cards, live ones first (cancelled ones stay visible with their status)."""
    return list(session.scalars(select(MemberCard).where(MemberCard.customer_id == caller.require_customer())
                                .order_by((MemberCard.status != "active"), MemberCard.created_at.desc(),
                                          MemberCard.id).limit(50)))
