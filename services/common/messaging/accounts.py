"""The one place that picks the account a store's message goes out under — crm's outbox and campaign messages,
the gateway's one-time sign-in codes: the store's own where it has a keys file (`PROVIDER_KEYS_DIR/sms/<store
code or id>.json`: its SMS sign `sign_name`, and its own AccessKey if it has an Alibaba Cloud account of its
own; `PROVIDER_KEYS_DIR/wechat_mp/<…>.json`: its own official account's `appid`/`secret`), each field it names
overriding the chain's, else the chain's (`ALIYUN_SMS_*`, `WECHAT_MP_*`). A store whose keys file is broken sends
nothing under the chain's name: `ProviderError("store_account_unusable", down=True)`."""
from __future__ import annotations

import logging
import threading

from services.common.config import SmsSettings, WeChatMpSettings, provider_settings, store_file
from services.common.validators import mask_id

from . import ProviderError
from .sms import AliyunSms
from .wechat_mp import WeChatMp

log = logging.getLogger(__name__)

StoreKeys = tuple[str | None, ...]
"""What names a store's keys files: its code, then its id (the first with a file counts)."""


class MessageAccounts:
    """One adapter per distinct account (the official account's access token is kept by its adapter)."""

    def __init__(self, sms: AliyunSms, wechat: WeChatMp):
        self.sms, self.wechat = sms, wechat  # the chain's
        self._adapters: dict[object, AliyunSms | WeChatMp] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls):
        return cls(AliyunSms(SmsSettings()), WeChatMp(WeChatMpSettings()))

    def _of_store(self, folder: str, chain, store_keys: StoreKeys):
        """The store's adapter for `folder` (sms | wechat_mp): the chain's when it has no keys file of its own."""
        if store_file(folder, *store_keys) is None:
            return chain
        try:
            settings = provider_settings(folder, *store_keys, chain=chain.settings)
        except (ValueError, OSError) as exc:
            log.error("a store's %s account is not usable: %s", folder, exc)
            raise ProviderError("store_account_unusable", down=True) from None
        if settings == chain.settings:
            return chain
        with self._lock:
            if settings not in self._adapters:
                self._adapters[settings] = type(chain)(settings)
            return self._adapters[settings]

    def sms_of(self, store_keys: StoreKeys) -> AliyunSms:
        return self._of_store("sms", self.sms, store_keys)

    def wechat_of(self, store_keys: StoreKeys) -> WeChatMp:
        return self._of_store("wechat_mp", self.wechat, store_keys)

    def sender(self, channel: str, store_keys: StoreKeys) -> dict:
        """Whom a message of `channel` (sms | wechat) of the store goes out as — ids, never a secret: the
        Alibaba Cloud AccessKeyId and the sign, or the official account's appid."""
        if channel == "wechat":
            return {"appid": self.wechat_of(store_keys).settings.appid}
        sms = self.sms_of(store_keys).settings
        return {"access_key_id": sms.access_key_id, "sign_name": sms.sign_name}

    def shown(self, store_keys: StoreKeys) -> dict:
        """The store's message accounts as its screen shows them: whether each is its own (a keys file), the
        SMS sign and the official account's appid masked — never a key; a broken file shows as not configured
        (nothing goes out under it)."""
        shown = {}
        for channel, folder, configured in (("sms", "sms", "access_key_id"), ("wechat", "wechat_mp", "appid")):
            try:
                sender = self.sender(channel, store_keys)
            except ProviderError:
                sender = {}
            shown[channel] = {"own": store_file(folder, *store_keys) is not None,
                              "configured": bool(sender.get(configured)), "sign_name": sender.get("sign_name"),
                              "appid_masked": mask_id(sender.get("appid"))}
        return shown
