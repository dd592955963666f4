"""Where messages go: crm's outbox (domain/messages.py) and its campaign messages (domain/campaigns.py) through
`Providers` — Alibaba Cloud SMS and the WeChat official account, configured by `ALIYUN_SMS_*` and `WECHAT_MP_*`
(the chain's), a store's own sign / account by its keys files under `PROVIDER_KEYS_DIR/sms` and `…/wechat_mp`.
A campaign's text goes out as the one parameter of the marketing template `campaign`.

`CRM_RATE_LIMIT_<CHANNEL>` caps campaign messages per minute per channel (default 120).
"""
from __future__ import annotations

from services.common.config import CrmSenderSettings
from services.common.messaging import ProviderError
from services.common.messaging.accounts import MessageAccounts
from services.common.messaging.sms import Delivery
from services.common.messaging.templates import TEMPLATES
from services.common.messaging.wechat_mp import WeChatMp
from services.contracts.rpc.crm.campaigns import CHANNELS

from .domain.messages import Outcome, Outgoing

DEFAULT_RATE_PER_MINUTE = 120


def rate_limits_from_env() -> dict[str, int]:
    return {channel: CrmSenderSettings.rate_per_minute(channel, DEFAULT_RATE_PER_MINUTE) for channel in CHANNELS}


class Providers(MessageAccounts):
    """Sends a message by its channel and asks for its receipt, under the account of the message's store
    (`MessageAccounts`: its own where it has a keys file, else the chain's; a store whose keys file is broken sends
    nothing under the chain's name: its messages wait, `down`, until the file is mended). A template message goes
    to the openid the owner has at the official account it goes out under — never another account's: without one
    there it is refused (`no_openid`) and the sender falls back to a text. Never called with a transaction open."""

    def send(self, item: Outgoing) -> Outcome:
        template = TEMPLATES[item.template]
        try:
            if item.channel == "wechat":
                wechat = self.wechat_of(item.store_keys)
                openid = self.openid_at(wechat, item)
                if not (openid and wechat.configured):
                    return Outcome("refused", detail="no_openid" if wechat.configured else "not_configured")
                return Outcome("sent", wechat.send(openid, template, item.params, item.params.get("url")))
            if not item.mobile:
                return Outcome("refused", detail="no_mobile")
            return Outcome("sent", self.sms_of(item.store_keys).send(item.mobile, template, item.params,
                                                                     out_id=item.id))
        except ProviderError as exc:
            return Outcome("down" if exc.down else "refused", detail=exc.code)

    def openid_at(self, wechat: WeChatMp, item: Outgoing) -> str | None:
        """The owner's openid at `wechat`'s official account: the one 网页授权 told crm for that appid, else — the
        chain's messaging account only — the customer's `wechat_openid`."""
        appid = wechat.settings.appid
        return item.openids.get(appid) or (item.openid if appid == self.wechat.settings.appid else None)

    def receipt(self, item: Outgoing) -> Delivery | None:
        """The text's delivery as the provider reports it, asked of the account that sent it (None: the
        provider did not answer)."""
        if not (item.mobile and item.provider_id and item.sent_on):
            return None
        try:
            return self.sms_of(item.store_keys).delivery(item.mobile, item.provider_id, item.sent_on)
        except ProviderError:
            return None
