"""What finance needs of a payment provider, whichever it is (services/finance/wechatpay.py,
services/finance/alipay.py): the provider's answers turned into a few plain records, its failures
into two exceptions, and the account of a store or of an order (services/finance/accounts.py).

A provider adapter offers `prepay(channel, out_trade_no, description, amount_fen, expires_at,
client_ip, payer=None) -> url` (WeChat Pay's JSAPI: the `package`, payer the openid),
`query(out_trade_no) -> Transaction`, `close(out_trade_no)`,
`refund(RefundAsk) -> RefundState`, `query_refund(RefundAsk) -> RefundState` and
`verify(headers, body) -> Transaction | RefundState` (a notification), `statement(day) -> Statement` (the
day's statement, 对账单, downloaded and parsed), `shown()` (the account's ids for the console, never a key),
plus `name`, `merchant_id` (the account the money lands on), `verifier` (accounts sharing it verify each
other's notifications) and `ack` (the body its notifications must be answered with, or None for an empty 204)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from services.common.errors import Conflict, Unavailable


class ProviderError(Exception):
    """The provider could not be reached or failed (`status` 0 or ≥ 500), or refused (4xx, its `code`)."""

    def __init__(self, status: int, code: str, message: str = ""):
        super().__init__(f"{status} {code} {message}".strip())
        self.status, self.code, self.message = status, code, message

    @property
    def down(self) -> bool:
        return self.status == 0 or self.status >= 500

    @property
    def refund_refused(self) -> bool:
        """A business refusal of a refund, which says it was not made (Alipay's `ACQ.*` sub codes, WeChat Pay's
        documented refund refusals) — not a request the provider did not hear out (signature, authority,
        frequency): after which a refund asked before may still have been made."""
        return not self.down and (self.code.startswith("ACQ.") or self.code in WECHAT_REFUND_REFUSALS)


WECHAT_REFUND_REFUSALS = frozenset({"NOT_ENOUGH", "USER_ACCOUNT_ABNORMAL", "RESOURCE_NOT_EXISTS", "PARAM_ERROR",
                                    "INVALID_REQUEST", "ORDER_NOT_EXIST"})
"""WeChat Pay's refund API answers that refuse the refund itself (pay.weixin.qq.com, 申请退款 错误码)."""


class JsapiAccount(Conflict):
    """A JSAPI payer whose openid is of an official account this merchant cannot take payments for (or no
    openid at all): the page must ask WeChat for the openid again (网页授权) under the right account."""

    def __init__(self, reason: str):
        super().__init__(f"WeChat Pay JSAPI: {reason}.", code="wechat_openid_needed")


class Rejected(Exception):
    """A notification that failed verification (its reason, never its content)."""


@dataclass(frozen=True)
class Transaction:
    """An order at the provider: `state` paid | unpaid | closed; `transaction_id` the provider's number."""
    out_trade_no: str
    state: str
    amount_fen: int
    transaction_id: str | None = None
    merchant_id: str | None = field(default=None, compare=False)
    """The merchant account the provider says the order is of (None when it does not say)."""


@dataclass(frozen=True)
class RefundAsk:
    """A refund asked of the provider: `out_refund_no` is ours (the provider dedupes by it)."""
    out_refund_no: str
    out_trade_no: str
    transaction_id: str
    amount_fen: int
    total_fen: int
    reason: str


@dataclass(frozen=True)
class RefundState:
    """A refund as the provider holds it: `state` succeeded | pending | failed."""
    out_refund_no: str
    state: str
    refund_id: str | None = None
    merchant_id: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class StatementLine:
    """One line of a provider's daily statement: a payment (`kind` payment: `amount_fen` collected) or a
    refund (`kind` refund: `amount_fen` refunded, `out_refund_no` ours); `fee_fen` the provider's fee on
    it (charged: positive; returned with a refund: negative)."""
    kind: str
    out_trade_no: str
    transaction_id: str
    amount_fen: int
    fee_fen: int = 0
    out_refund_no: str | None = None
    refund_id: str | None = None


@dataclass(frozen=True)
class Statement:
    """A provider's statement of one day (Beijing date) for one merchant account; `summary` its own
    totals section as written (the lines are checked against its count)."""
    provider: str
    merchant_id: str
    lines: tuple[StatementLine, ...]
    summary: dict


def yuan(fen: int) -> str:
    """Fen as the yuan string Alipay's amounts are written in ("12.34")."""
    return f"{fen // 100}.{fen % 100:02d}"


def fen(yuan_text: str) -> int:
    """A yuan amount as a provider writes it ("12.34", "-0.01") in fen."""
    return int(Decimal(yuan_text) * 100)


def signed_fen(yuan_text: str) -> int:
    """A statement's amount in fen: blank is 0."""
    text = yuan_text.strip()
    return fen(text) if text else 0



def unavailable(name: str) -> Unavailable:
    return Unavailable(f"{name} pay is not configured.", code="payment_provider_unavailable",
                       params={"provider": name})


def of_store(accounts, name: str, *store_keys: str | None):
    """The adapter of the account the store uses for provider `name` (services/finance/accounts.py);
    503 payment_provider_unavailable when the provider is not configured for it."""
    adapter = accounts.for_store(name, *store_keys)
    if adapter is None:
        raise unavailable(name)
    return adapter


def of_merchant(accounts, name: str, merchant_id: str | None):
    """The adapter of the account an order was opened on; 503 payment_provider_unavailable when that account
    is no longer configured."""
    adapter = accounts.for_merchant(name, merchant_id)
    if adapter is None:
        raise unavailable(name)
    return adapter


def provider_failed(name: str, exc: ProviderError) -> Exception:
    """What the caller is told of a provider's failure: 503 when it is down (nothing was recorded), 409 when
    it refused (its code in the params)."""
    if exc.down:
        return Unavailable(f"{name} pay did not answer; nothing was charged. Try again or take another method.",
                           code="payment_provider_unavailable", params={"provider": name})
    return Conflict(f"{name} pay refused ({exc.code}).", code="payment_provider_refused",
                    params={"provider": name, "provider_code": exc.code})
