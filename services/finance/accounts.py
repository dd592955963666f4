"""The merchant accounts finance takes money on, per store: a chain's stores are often separate legal
entities, each with its own merchant account (a service provider's sub-merchant on WeChat Pay, a merchant
who granted the chain's Alipay app 第三方应用授权, or the store's own). Which account a store uses is
services/common/config.py `provider_settings` (the chain's from the environment, the store's keys file
overriding it); this registry builds one adapter per distinct account and finds it again by store (to open
an order), by merchant id (to ask about, close or refund that order: its intent records the account), every
account (to reconcile each one's statement) and every distinct verifier (to verify a notification)."""
from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator

from services.common.config import provider_settings, provider_store_keys, store_file

from .alipay import AlipayProvider
from .wechatpay import WeChatPayProvider

log = logging.getLogger(__name__)

KINDS: dict[str, tuple[str, type[WeChatPayProvider] | type[AlipayProvider], str]] = {
    "wechat": ("wechatpay", WeChatPayProvider, "mchid"), "alipay": ("alipay", AlipayProvider, "appid")}
"""Our provider name: (its keys folder and settings, its adapter, the field without which it is not configured)."""


def _settings(folder: str, store_keys: tuple):
    """`provider_settings`, or None (logged: the file and the fields, never a value) where the store's keys
    file is broken: that store's provider is then not configured, the other stores' are unaffected."""
    try:
        return provider_settings(folder, *store_keys)
    except (ValueError, OSError) as exc:
        log.error("a store's %s account is not usable: %s", folder, exc)
        return None


class PaymentAccounts:
    """The configured payment providers' accounts. Iterating gives the provider names configured (the
    chain's account or at least one store's)."""

    def __init__(self, fixed: dict | None = None):
        """`fixed`: one adapter per provider name for every store, instead of the settings (tests)."""
        self._fixed = fixed
        self._adapters: dict[tuple[str, object], object] = {}
        self._lock = threading.Lock()

    def _adapter(self, name: str, settings):
        folder, kind, required = KINDS[name]
        if not getattr(settings, required):
            return None
        with self._lock:  # one adapter per account: it keeps the platform certificates it downloaded
            key = (name, settings)
            if key not in self._adapters:
                self._adapters[key] = kind(settings)
            return self._adapters[key]

    def for_store(self, name: str, *store_keys: str | None):
        """The adapter of the account the store uses (its code, then its id, name its keys file); None
        when the provider is not configured for it."""
        if self._fixed is not None:
            return self._fixed.get(name)
        if name not in KINDS:
            return None
        settings = _settings(KINDS[name][0], store_keys)
        return None if settings is None else self._adapter(name, settings)

    def accounts(self, name: str) -> list:
        """Every account of the provider: the chain's, then each store's own, one per merchant id."""
        if self._fixed is not None:
            return [self._fixed[name]] if name in self._fixed else []
        if name not in KINDS:
            return []
        found: dict[str, object] = {}
        for keys in ((), *((key,) for key in provider_store_keys(KINDS[name][0]))):
            adapter = self.for_store(name, *keys)
            if adapter is not None:
                found.setdefault(adapter.merchant_id, adapter)
        return list(found.values())

    def for_merchant(self, name: str, merchant_id: str | None):
        """The account an order was opened on (None: an order from before accounts were recorded, the
        chain's); None when that account is no longer configured."""
        if merchant_id is None:
            return self.for_store(name)
        return next((adapter for adapter in self.accounts(name) if adapter.merchant_id == merchant_id), None)

    def verifiers(self, name: str) -> list:
        """One account per distinct verifier (a service provider's sub-merchants verify alike)."""
        found: dict[object, object] = {}
        for adapter in self.accounts(name):
            found.setdefault(adapter.verifier, adapter)
        return list(found.values())

    def chain_merchant(self, name: str) -> str | None:
        chain = self.for_store(name)
        return chain.merchant_id if chain is not None else None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self.accounts(name))

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(name for name in (self._fixed or KINDS) if name in self))

    def get(self, name: str, merchant_id: str | None = None):
        return self.for_merchant(name, merchant_id)



class StoreProviders:
    """A provider (诺诺, the health-record system) per store: the adapter of the settings the store uses
    (`provider_settings(folder, code, id)`), one per distinct settings; None where it is not configured."""

    def __init__(self, folder: str, factory, required: str):
        self.folder, self.factory, self.required = folder, factory, required
        self._adapters: dict[object, object] = {}
        self._lock = threading.Lock()

    def settings(self, *store_keys: str | None):
        """The store's settings; the chain's where its keys file is broken (then `for_store` is None: nothing
        is sent under the chain's name for a store that has an account of its own)."""
        return _settings(self.folder, store_keys) or provider_settings(self.folder)

    def for_store(self, *store_keys: str | None):
        settings = _settings(self.folder, store_keys)
        if settings is None or not getattr(settings, self.required):
            return None
        key = tuple(sorted(dataclasses.asdict(settings).items()))  # these settings are not frozen (hashable)
        with self._lock:
            if key not in self._adapters:
                self._adapters[key] = self.factory(settings)
            return self._adapters[key]

    def any_configured(self) -> bool:
        return self.for_store() is not None or any(
            self.for_store(key) is not None for key in provider_store_keys(self.folder))


def store_accounts(accounts: PaymentAccounts, store_id: str, store_code: str | None,
                   licence_no: str | None) -> dict:
    """What the store's screen shows of its accounts: ids, never a secret (`shown()` and the fields below)."""
    keys = (store_code, store_id)
    owned = {folder: _has_file(folder, keys) for folder in ("wechatpay", "alipay", "nuonuo", "health_record")}
    payments = []
    for name, (folder, _kind, _required) in KINDS.items():
        adapter = accounts.for_store(name, *keys)
        payments.append({"provider": name, "configured": adapter is not None, "own": owned[folder],
                         **(adapter.shown() if adapter is not None else {})})
    nuonuo, record = _settings("nuonuo", keys), _settings("health_record", keys)  # None: its file is broken
    return {"store_id": store_id, "store_code": store_code, "keys_file": f"{store_code or store_id}.json",
            "payments": payments,
            "fapiao": {"configured": bool(nuonuo and nuonuo.app_key), "own": owned["nuonuo"],
                       "tax_num": (nuonuo and nuonuo.tax_num) or None, "seller_name": (nuonuo and nuonuo.seller_name)
                       or None},
            "health_record": {"configured": bool(record and record.base_url), "own": owned["health_record"],
                              "company_code": licence_no or None,
                              "has_password": bool(record and licence_no and record.password_of(licence_no))}}


def _has_file(folder: str, keys: tuple[str | None, str]) -> bool:
    return store_file(folder, *keys) is not None
