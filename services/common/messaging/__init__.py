"""Messages to car owners through the providers: Alibaba Cloud SMS (`sms`), WeChat official-account
template messages (`wechat_mp`) and the templates both speak (`templates`). crm's outbox and the
gateway's one-time codes use the same adapters and the same settings (services/common/config.py)."""
from __future__ import annotations


class ProviderError(Exception):
    """A provider did not take a message: `down` (unreachable, 5xx, throttled: try again later) or refused
    for good (`code`: the provider's own, e.g. `isv.MOBILE_NUMBER_ILLEGAL`)."""

    def __init__(self, code: str, down: bool):
        super().__init__(code)
        self.code, self.down = code, down
