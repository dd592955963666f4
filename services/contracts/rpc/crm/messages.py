"""Messages to car owners (crm's outbox): a quote's link to send, the outbox as staff list it."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.messaging.templates import TEMPLATES
from services.common.schemas import ListQuery


OUTBOX_STATES = ("queued", "sent", "delivered", "failed", "skipped")
"""skipped: a campaign's message to a customer who had their week's marketing (the outbox's fails instead)."""
FAILURE_CODES = ("customer_gone", "no_consent", "customer_rate_limited", "provider_refused", "retries_exhausted",
                 "undeliverable", "provider_down", "wechat_refused", "unsubscribed", "campaign_cancelled")
MESSAGE_KINDS = ("outbox", "campaign")


class QuoteLinkQueue(Schema):
    """The decision link of a presented quote, to be sent to its customer (the gateway made the link)."""
    quote_id = fields.String(required=True)
    link_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    store_id = fields.String(required=True)
    number = fields.String(required=True, validate=validate.Length(max=40))
    url = fields.String(required=True, validate=validate.Length(max=200))


class OutboxQuery(ListQuery):
    store_id = fields.String()
    customer_id = fields.String()
    status = fields.String(validate=validate.OneOf(OUTBOX_STATES))
    template = fields.String(validate=validate.OneOf(list(TEMPLATES)), metadata={
        "description": "campaign: campaigns' messages alone"})


class OutboxMessageOut(Schema):
    """A message to a car owner: the outbox's (a template with its parameters) or a campaign's (template
    `campaign`, its campaign named), newest first across both."""
    id = fields.String()
    kind = fields.String(dump_default="outbox", metadata={
        "enum": list(MESSAGE_KINDS), "description": "outbox: a step of the car, a receipt, a reminder; campaign: a "
                                                    "marketing campaign's (营销)"})
    campaign_id = fields.String(allow_none=True, dump_default=None)
    campaign_name = fields.String(allow_none=True, dump_default=None)
    customer_id = fields.String()
    customer_name = fields.String(allow_none=True)
    to_masked = fields.String(allow_none=True, metadata={"description": "The customer's mobile, masked (138****5678)"})
    store_id = fields.String(allow_none=True)
    template = fields.String(metadata={"enum": list(TEMPLATES)})
    marketing = fields.Boolean()
    channel = fields.String(metadata={"enum": ["sms", "wechat"]})
    status = fields.String(metadata={"enum": list(OUTBOX_STATES)})
    attempts = fields.Integer()
    failure_code = fields.String(allow_none=True, metadata={
        "enum": list(FAILURE_CODES), "description": "Why it failed, or why it is being retried (queued)"})
    failure_detail = fields.String(allow_none=True, metadata={"description": "The provider's own code"})
    next_attempt_at = fields.DateTime(allow_none=True, metadata={
        "description": "Queued: not tried before this (a retry, the end of quiet hours, the store's next minute)"})
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)


class MessageAccountOut(Schema):
    """One account a store's messages go out under: ids masked, never a key or secret."""
    configured = fields.Boolean()
    own = fields.Boolean(metadata={"description": "The store's own (its keys file), not the chain's"})
    sign_name = fields.String(allow_none=True, metadata={"description": "SMS: the sign (签名) its texts carry"})
    appid_masked = fields.String(allow_none=True, metadata={"description": "WeChat: the official account's appid, "
                                                                           "masked"})


class MessageAccountsOut(Schema):
    """The accounts a store's messages to car owners go out under (`GET /v1/stores/{id}/message-accounts`)."""
    store_id = fields.String()
    keys_file = fields.String(metadata={"description": "Its keys file's name under PROVIDER_KEYS_DIR/sms and "
                                                       "…/wechat_mp"})
    sms = fields.Nested(MessageAccountOut)
    wechat = fields.Nested(MessageAccountOut, metadata={"description": "The official account of its template "
                                                                       "messages"})
    payer_authorization = fields.Nested(MessageAccountOut, metadata={
        "description": "The gateway's: the official account whose 网页授权 pays the store by JSAPI inside WeChat"})
