"""HTTP resources, one module per area; each is handed its collaborators (`Deps`)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

import falcon
from sqlalchemy.orm import sessionmaker

from services.common.config import WeChatMpSettings
from services.common.messaging.accounts import MessageAccounts
from services.common.messaging.sms import AliyunSms
from services.common.messaging.wechat_mp import WeChatMp
from services.common.policy import require_store, with_default_store
from services.common.storage import Storage, storage_from_env

from .. import media
from ..auth import Authenticator
from ..config import Settings
from ..models import Store
from ..rpc import RpcClient


def checked(req: falcon.Request, source: str = "query_json", field: str = "store_id") -> dict:
    """The client's query (or `body_json`) as sent, its store, when named, one of the caller's
    (403 otherwise); where it names none the service narrows to the caller's stores."""
    data = getattr(req.context, source)
    require_store(req.context.principal, data.get(field))
    return data


def scoped(req: falcon.Request, source: str = "query_json", field: str = "store_id") -> dict:
    """The client's query (or `body_json`) with the caller's only store filled in where it names
    none, then checked like `checked`."""
    return with_default_store(req.context.principal, getattr(req.context, source), field)


@dataclass
class Deps:
    settings: Settings
    rpc: RpcClient
    auth: Authenticator
    identity_db: sessionmaker
    admission: Callable[[falcon.Request, falcon.Response, Any], None]
    """After authentication: an API key's scopes, the caller's rate limit (gateway/partners/admission.py)."""
    storage: Storage = field(default_factory=storage_from_env)
    """Where attachment bytes are (`STORAGE_BACKEND`)."""
    messages: MessageAccounts = field(init=False)
    """The one-time codes' SMS account: the customer's home store's own, else the chain's (`settings.sms`:
    Alibaba Cloud SMS, the local sandbox under `make run`)."""

    reencode_slots: media.ReencodeSlots = field(init=False)
    """How many photos this process re-encodes at once (`settings.reencode_slots`)."""

    def __post_init__(self) -> None:
        self.messages = MessageAccounts(AliyunSms(self.settings.sms), WeChatMp(WeChatMpSettings()))
        self.reencode_slots = media.ReencodeSlots(self.settings.reencode_slots, self.settings.reencode_wait_seconds)


class Resource:
    def __init__(self, deps: Deps):
        self.deps = deps

    def call(self, req: falcon.Request, service: str, method: str, **kwargs):
        """One RPC on behalf of the request's user (their identity and request id travel along)."""
        context = req.context.principal.rpc_context(req.context.request_id)
        return self.deps.rpc.call(service, method, context, **kwargs)

    def call_all(self, req: falcon.Request, calls: dict[str, tuple[str, str, dict]]) -> dict:
        """Several RPCs (`name: (service, method, kwargs)`) in parallel on behalf of the request's
        user: their answers by name."""
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            futures = {name: pool.submit(self.call, req, service, method, **kwargs)
                       for name, (service, method, kwargs) in calls.items()}
            return {name: future.result() for name, future in futures.items()}

    def store(self, store_id: str) -> Store | None:
        """The store as the gateway's identity database knows it (name, address, phone, time zone)."""
        with self.deps.identity_db() as session:
            return session.get(Store, store_id)

    def store_keys(self, store_id: str) -> tuple[str | None, str]:
        """What names the store's own provider keys files (PROVIDER_KEYS_DIR/<provider>/<key>.json): its code,
        then its id."""
        store = self.store(store_id)
        return (store.code if store is not None else None), store_id
