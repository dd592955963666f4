"""finance's fapiao worker (`send_fapiao`) against a fake issuing provider, real SQLite: a queued blue
fapiao is issued in two steps, each claimed and committed by the timer with no transaction open while
the provider is called; a provider that is down leaves the row queued with an attempt counted, one
that refuses fails it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import update

from services.common.db import utcnow
from services.finance.domain import fapiao
from services.finance.fapiao_nuonuo import IssueResult
from services.finance.models import Base, Fapiao
from services.finance.providers import ProviderError
from services.finance.service import FinanceService
from tests.service.test_finance_service import CASHIER, finance, issue
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
