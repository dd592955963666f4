"""finance's fapiao worker (`send_fapiao`) against a fake issuing provider, real SQLite: a queued blue
fapiao is issued in two steps, each claimed and committed by the timer with no transaction open while
the provider is called; a provider that is down leaves the row queued with an attempt counted, one
that refuses fails it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select, update

from services.common.db import utcnow
from services.finance.domain import fapiao
from services.finance.fapiao_nuonuo import IssueResult
from services.finance.models import Base, Fapiao
from services.finance.providers import ProviderError
from services.finance.service import FinanceService
from tests.service.test_finance_service import CASHIER, MANAGER, finance, issue
from tests.support.service import sqlite_session

CODES = {"labour": "3040201", "part": "1090101", "fee": "3049900"}


class Settings:
    tax_num, clerk, seller_name = "91310000MA1FL0000X", "张三", "某某汽修"


class FakeProvider:
    def __init__(self, session, fail: ProviderError | None = None):
        self.session, self.fail, self.calls, self.open_during_call = session, fail, [], []

    def _called(self, name):
        self.calls.append(name)
        self.open_during_call.append(self.session.in_transaction())
        if self.fail is not None:
            raise self.fail

    def issue(self, order: dict) -> str:
        self._called("issue")
        return f"serial-{order['orderNo']}"

    def query(self, serial_no: str) -> IssueResult:
        self._called("query")
        return IssueResult(serial_no=serial_no, state="issued", number="24310000000000000001")


class FakeFapiaoProvider:
    def __init__(self, provider):
        self.provider, self.settings = provider, Settings()

    def for_store(self, *store_keys):
        return self.provider, self.settings


@pytest.fixture
def session():
    with sqlite_session(Base.metadata, "finance", CASHIER.to_context()) as opened:
        yield opened


def queued(session) -> str:
    invoice = issue(session)
    finance(session, CASHIER).take_payment(invoice["id"], {"method": "cash", "amount_fen": invoice["due_fen"]})
    row = fapiao.request_fapiao(session, CASHIER, invoice["id"], {"type": "normal", "buyer_title": "张伟"}, None,
                                CODES)
    session.commit()
    return row.id


def tick(session, provider):
    """The timer once, with the row due now whatever its last step scheduled."""
    session.execute(update(Fapiao).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    worker_factory(FinanceService, db=session, fapiao_provider=FakeFapiaoProvider(provider)).send_fapiao()


def test_a_blue_fapiao_is_issued_in_two_steps_with_no_transaction_open_at_the_provider(session):
    fapiao_id = queued(session)
    provider = FakeProvider(session)
    tick(session, provider)
    assert session.get_one(Fapiao, fapiao_id, populate_existing=True).status == "issuing"
    tick(session, provider)
    row = session.get_one(Fapiao, fapiao_id, populate_existing=True)
    assert (row.status, row.number) == ("issued", "24310000000000000001")
    assert provider.calls == ["issue", "query"]
    assert provider.open_during_call == [False, False]


def test_a_provider_that_is_down_counts_an_attempt_and_one_that_refuses_fails_the_row(session):
    fapiao_id = queued(session)
    tick(session, FakeProvider(session, ProviderError(0, "connection refused")))
    row = session.get_one(Fapiao, fapiao_id, populate_existing=True)
    assert (row.status, row.attempts) == ("queued", 1) and row.next_attempt_at > utcnow()
    tick(session, FakeProvider(session, ProviderError(400, "buyer title refused")))
    row = session.get_one(Fapiao, fapiao_id, populate_existing=True)
    assert row.status == "failed" and "refused" in row.failure


def test_an_invoice_refunded_whole_gets_its_issued_fapiao_reversed_and_a_partial_refund_does_not(session):
    """红冲 on a full refund: the red fapiao (reason refund, 销货退回) is queued in the refund's transaction, once; a
    partial refund leaves the blue one to staff."""
    fapiao_id = queued(session)
    provider = FakeProvider(session)
    tick(session, provider)
    tick(session, provider)
    blue = session.get_one(Fapiao, fapiao_id, populate_existing=True)
    assert blue.status == "issued"
    [payment] = finance(session, MANAGER).get_invoice(blue.invoice_id)["payments"]
    finance(session, MANAGER).refund_payment(payment["id"], {"amount_fen": 100, "reason": "少收了"})
    assert session.scalars(select(Fapiao).where(Fapiao.kind == "red")).all() == []
    finance(session, MANAGER).refund_payment(payment["id"], {"amount_fen": payment["amount_fen"] - 100,
                                                             "reason": "整单退款"})
    [red] = session.scalars(select(Fapiao).where(Fapiao.kind == "red")).all()
    assert (red.original_id, red.red_reason, red.status, red.amount_fen) == (
        fapiao_id, "refund", "queued", -blue.amount_fen)


def test_a_customers_earlier_titles_are_offered_once_each_most_recent_first(session):
    for title in ("张伟", "某某科技有限公司", "张伟"):
        invoice = issue(session)
        finance(session, CASHIER).take_payment(invoice["id"], {"method": "cash", "amount_fen": invoice["due_fen"]})
        fapiao.request_fapiao(session, CASHIER, invoice["id"], {"type": "normal", "buyer_title": title}, None, CODES)
        session.commit()
    titles = finance(session, CASHIER).fapiao_titles("cust-1")["items"]
    assert [t["buyer_title"] for t in titles] == ["张伟", "某某科技有限公司"]
    assert finance(session, CASHIER).fapiao_titles("someone-else")["items"] == []


def refund_whole(session, invoice_id: str) -> None:
    [payment] = finance(session, MANAGER).get_invoice(invoice_id)["payments"]
    finance(session, MANAGER).refund_payment(payment["id"], {"amount_fen": payment["amount_fen"],
                                                             "reason": "整单退款"})
    session.commit()


def test_a_blue_fapiao_still_queued_with_the_provider_down_is_cancelled_by_a_full_refund_never_issued(session):
    fapiao_id = queued(session)
    tick(session, FakeProvider(session, ProviderError(0, "ConnectionError")))  # the provider down
    blue = session.get_one(Fapiao, fapiao_id, populate_existing=True)
    assert (blue.status, blue.attempts) == ("queued", 1)
    refund_whole(session, blue.invoice_id)
    assert session.get_one(Fapiao, fapiao_id, populate_existing=True).status == "cancelled"
    assert session.scalars(select(Fapiao).where(Fapiao.kind == "red")).all() == []  # nothing to reverse
    back = FakeProvider(session)  # the provider back
    tick(session, back)
    tick(session, back)
    assert back.calls == [] and session.get_one(Fapiao, fapiao_id, populate_existing=True).status == "cancelled"
    assert finance(session, CASHIER).get_fapiao(fapiao_id)["status"] == "cancelled"


def test_a_queued_blue_fapiao_whose_answer_was_lost_is_issued_then_reversed_not_cancelled(session):
    """A send that timed out may have been issued at the provider (known there by its orderNo): it is sent again and,
    once issued, reversed by its red one, since the invoice was refunded whole."""
    fapiao_id = queued(session)
    tick(session, FakeProvider(session, ProviderError(0, "ReadTimeout")))
    refund_whole(session, session.get_one(Fapiao, fapiao_id).invoice_id)
    assert session.get_one(Fapiao, fapiao_id, populate_existing=True).status == "queued"
    back = FakeProvider(session)
    tick(session, back)
    tick(session, back)
    assert back.calls == ["issue", "query"]
    [red] = session.scalars(select(Fapiao).where(Fapiao.kind == "red")).all()
    assert (red.original_id, red.red_reason, red.status) == (fapiao_id, "refund", "queued")


def test_a_blue_fapiao_cancelled_while_its_send_was_under_way_follows_what_the_provider_answered(session):
    first, second = queued(session), queued(session)
    now = utcnow()
    claimed = []
    for fapiao_id in (first, second):  # a worker has claimed each and is calling the provider
        seen = session.get_one(Fapiao, fapiao_id).next_attempt_at
        claimed.append(fapiao.claim(session, fapiao_id, seen, now))
        session.commit()
    for fapiao_id in (first, second):
        refund_whole(session, session.get_one(Fapiao, fapiao_id).invoice_id)
        assert session.get_one(Fapiao, fapiao_id, populate_existing=True).status == "cancelled"
    assert fapiao.claim(session, first, now + fapiao.LEASE, now) is None  # never claimed again
    # the first send found the provider down: it stays cancelled; the second was taken: it is followed and reversed
    assert fapiao.record_step(session, first, {"attempts": 1, "last_error": "503 ERROR"}) == "cancelled"
    assert fapiao.record_step(session, second, {"status": "issuing", "serial_no": "s-2"}) == "issuing"
    session.commit()
    tick(session, FakeProvider(session))
    assert session.get_one(Fapiao, second, populate_existing=True).status == "issued"
    assert session.get_one(Fapiao, first, populate_existing=True).status == "cancelled"
    [red] = session.scalars(select(Fapiao).where(Fapiao.kind == "red")).all()
    assert red.original_id == second


class Seller:
    def __init__(self, tax_num: str, seller_name: str):
        self.tax_num, self.seller_name, self.clerk = tax_num, seller_name, "张三"


class RedProvider(FakeProvider):
    def __init__(self, session):
        super().__init__(session)
        self.forms: list[dict] = []

    def apply_red_confirm(self, form: dict) -> tuple[str, str]:
        self._called("apply_red_confirm")
        self.forms.append(form)
        return "bill-1", "01"


class SellersByKey:
    """The accounts a chain keeps: by store key, and one kept under the tax number of a seller the store left."""

    def __init__(self, provider, accounts: dict[str, Seller], store: Seller):
        self.provider, self.accounts, self.store, self.asked = provider, accounts, store, []

    def for_store(self, *keys):
        self.asked.append(keys)
        return self.provider, next((self.accounts[key] for key in keys if key in self.accounts), self.store)


def test_a_red_fapiao_is_filed_by_the_blue_ones_seller_after_the_store_changed_its_seller(session):
    """A store that became a new legal entity (a new 销方税号) reverses what the old one issued under the old
    seller: the account kept under the old tax number files it; without that account it fails, saying why."""
    old, new = Seller("91310000MA1FL0000X", "某某汽修"), Seller("91310000MA1NEW0001", "某某汽修二店有限公司")
    blue_id = queued(session)
    provider = RedProvider(session)
    for _ in range(2):
        session.execute(update(Fapiao).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        session.commit()
        worker_factory(FinanceService, db=session, fapiao_provider=SellersByKey(provider, {}, old)).send_fapiao()
    blue = session.get_one(Fapiao, blue_id, populate_existing=True)
    assert (blue.status, blue.seller_tax_num, blue.seller_name) == ("issued", old.tax_num, old.seller_name)

    red = fapiao.red_letter(session, MANAGER, blue_id, "error")
    session.commit()
    session.execute(update(Fapiao).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    moved = SellersByKey(provider, {}, new)  # the old seller's account is gone
    worker_factory(FinanceService, db=session, fapiao_provider=moved).send_fapiao()
    failed = session.get_one(Fapiao, red.id, populate_existing=True)
    assert failed.status == "failed" and old.tax_num in failed.failure and "原销方" in failed.failure
    assert moved.asked[-1][0] == old.tax_num and provider.forms == []

    again = fapiao.red_letter(session, MANAGER, blue_id, "error")
    session.commit()
    session.execute(update(Fapiao).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    kept = SellersByKey(provider, {old.tax_num: old}, new)  # HQ kept it under nuonuo/<old tax number>.json
    worker_factory(FinanceService, db=session, fapiao_provider=kept).send_fapiao()
    row = session.get_one(Fapiao, again.id, populate_existing=True)
    assert (row.status, row.seller_tax_num) == ("confirming", old.tax_num)
    assert [(form["sellerTaxNo"], form["sellerName"]) for form in provider.forms] == [(old.tax_num, old.seller_name)]
