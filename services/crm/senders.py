"""Where messages go. Messages to car owners (crm's outbox, domain/messages.py) through `Providers`:
Alibaba Cloud SMS and the WeChat official account, configured by `ALIYUN_SMS_*` and `WECHAT_MP_*` (the
chain's), a store's own sign / account by its keys files under `PROVIDER_KEYS_DIR/sms` and `…/wechat_mp`.
Campaign messages: `RecordingSender` (the default) only records: the message row
itself is the record, marked sent. `WebhookSender` posts each message to an SMS/WeChat
gateway, naming the account it goes out under (`account`: the store's own SMS AccessKeyId and sign or official
account, else the chain's — `MessageAccounts.sender`, as for the outbox); the message id travels as an
idempotency key so a retried send is not doubled.

Configured from the environment: `CRM_SENDER_WEBHOOK_URL` (and optional
`CRM_SENDER_WEBHOOK_TOKEN`, `CRM_SENDER_TIMEOUT`) selects the webhook sender;
`CRM_RATE_LIMIT_<CHANNEL>` caps messages per minute per channel (default 120).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import requests

from services.common.config import CrmSenderSettings
from services.common.messaging import ProviderError
from services.common.messaging.accounts import MessageAccounts
from services.common.messaging.sms import Delivery
from services.common.messaging.templates import TEMPLATES
from services.contracts.rpc.crm.campaigns import CHANNELS

from .domain.messages import Outcome, Outgoing

DEFAULT_RATE_PER_MINUTE = 120


class SendFailed(Exception):
    """The gateway refused or could not be reached; the message is marked failed with the reason."""


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: str
    campaign_id: str
    channel: str
    to: str
    body: str
    store_keys: tuple[str | None, ...] = ()
    """The store it goes out for (the campaign's; a chain-wide campaign's: the customer's home store)."""
    account: dict = field(default_factory=dict)
    """Whom it goes out as (`MessageAccounts.sender`), set just before it is sent."""


class RecordingSender:
    """Accepts everything and keeps what it was given (tests read `sent`)."""

    name = "recording"

    def __init__(self):
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> None:
        self.sent.append(message)


class WebhookSender:
    name = "webhook"

    def __init__(self, url: str, token: str | None = None, timeout: float = 5.0, session=None):
        self.url = url
        self.token = token
        self.timeout = timeout
        self.http = session or requests.Session()

    def send(self, message: OutgoingMessage) -> None:
        headers = {"Idempotency-Key": message.message_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            reply = self.http.post(self.url, json={"message_id": message.message_id, "campaign_id": message.campaign_id,
                                                   "channel": message.channel, "to": message.to, "body": message.body,
                                                   "account": message.account},
                                   headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SendFailed(f"gateway unreachable: {type(exc).__name__}") from exc
        if reply.status_code >= 300:
            raise SendFailed(f"gateway answered {reply.status_code}")


def sender_from_env():
    settings = CrmSenderSettings()
    if settings.webhook_url:
        return WebhookSender(settings.webhook_url, settings.webhook_token, settings.timeout)
    return RecordingSender()


def rate_limits_from_env() -> dict[str, int]:
    return {channel: CrmSenderSettings.rate_per_minute(channel, DEFAULT_RATE_PER_MINUTE) for channel in CHANNELS}



class Providers(MessageAccounts):
    """Sends an outbox message by its channel and asks for its receipt, under the account of the message's
    store (`MessageAccounts`: its own where it has a keys file, else the chain's; a store whose keys file is
    broken sends nothing under the chain's name: its messages wait, `down`, until the file is mended). Never
    called with a transaction open."""

    def send(self, item: Outgoing) -> Outcome:
        template = TEMPLATES[item.template]
        try:
            if item.channel == "wechat":
                wechat = self.wechat_of(item.store_keys)
                if not (item.openid and wechat.configured):
                    return Outcome("refused", detail="not_configured")
                return Outcome("sent", wechat.send(item.openid, template, item.params, item.params.get("url")))
            if not item.mobile:
                return Outcome("refused", detail="no_mobile")
            return Outcome("sent", self.sms_of(item.store_keys).send(item.mobile, template, item.params,
                                                                     out_id=item.id))
        except ProviderError as exc:
            return Outcome("down" if exc.down else "refused", detail=exc.code)

    def receipt(self, item: Outgoing) -> Delivery | None:
        """The text's delivery as the provider reports it, asked of the account that sent it (None: the
        provider did not answer)."""
        if not (item.mobile and item.provider_id and item.sent_on):
            return None
        try:
            return self.sms_of(item.store_keys).delivery(item.mobile, item.provider_id, item.sent_on)
        except ProviderError:
            return None
