"""finance's daily reconciliation job with a real SQLite session and both sandboxes in the test's process: once
the statements are due it reconciles yesterday's of each provider once, payments and a refund matched (a later
look changes nothing); a provider down leaves a failed run that the next look tries again; before the hour
nothing is asked. The job holds no transaction across a download (`before_remote_call` would refuse one)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from services.finance import reconciliation_service
from services.finance.domain.statements import CHINA, beijing_today
from services.finance.models import Base, PaymentReconciliation
from services.finance.accounts import PaymentAccounts
from services.finance.service import FinanceService
from tests.service.test_finance_service import CASHIER, MANAGER, SYSTEM, issue
from tests.support.alipay import alipay_world
from tests.support.service import sqlite_session
from tests.support.wechatpay import wechatpay_world


@pytest.fixture
def session():
    with sqlite_session(Base.metadata, "finance", CASHIER.to_context()) as opened:
        yield opened


@pytest.fixture
def worlds(tmp_path_factory):
    with wechatpay_world(tmp_path_factory.mktemp("wechatpay")) as wechat, \
            alipay_world(tmp_path_factory.mktemp("alipay")) as alipay:
        yield {"wechat": wechat, "alipay": alipay}


def finance(session, worlds, caller=CASHIER):
    return worker_factory(FinanceService, db=session, caller=caller,
                          providers=PaymentAccounts({name: world.provider for name, world in worlds.items()}))


def pay(session, worlds, provider: str) -> dict:
    invoice = issue(session)
    intent = finance(session, worlds).create_payment_intent(invoice["id"], {
        "provider": provider, "channel": "qr", "amount_fen": invoice["due_fen"]})
    before = len(worlds[provider].receiver.received)
    worlds[provider].pay(intent["code_url"])
    headers, body = worlds[provider].receiver.received[before]
    finance(session, worlds, SYSTEM).payment_notified(provider, headers, body)
    return intent


def runs(session) -> dict[str, tuple[str, int, str | None]]:
    session.rollback()
    return {run.provider: (run.status, run.runs, run.error_code)
            for run in session.execute(select(PaymentReconciliation)).scalars()}


def test_the_daily_job_reconciles_yesterday_once_and_tries_a_failed_download_again(session, worlds, monkeypatch):
    paid = {provider: pay(session, worlds, provider) for provider in ("wechat", "alipay")}
    refund = finance(session, worlds, MANAGER).refund_payment(  # Alipay confirms a refund in its answer
        finance(session, worlds).get_payment_intent(paid["alipay"]["id"])["payment_id"],
        {"amount_fen": 1_000, "reason": "多收"})
    assert refund["amount_fen"] == 1_000
    tomorrow = beijing_today() + timedelta(days=1)  # so that "yesterday" is today, whose statement is served
    clock = {"now": datetime.combine(tomorrow, time(8, 0), tzinfo=CHINA)}
    monkeypatch.setattr(reconciliation_service, "utcnow", lambda: clock["now"])
    job = finance(session, worlds, SYSTEM)

    job.reconcile_statements()
    assert runs(session) == {}  # before PAYMENT_STATEMENT_HOUR nothing is asked

    clock["now"] = clock["now"].replace(hour=11)
    worlds["alipay"].down()
    job.reconcile_statements()
    assert runs(session) == {"wechat": ("done", 1, None), "alipay": ("failed", 0, "isp.unknow-error")}
    job.reconcile_statements()
    assert runs(session) == {"wechat": ("done", 1, None), "alipay": ("failed", 0, "isp.unknow-error")}

    worlds["alipay"].down(False)
    job.reconcile_statements()
    job.reconcile_statements()
    assert runs(session) == {"wechat": ("done", 1, None), "alipay": ("done", 1, None)}
    shown = finance(session, worlds).list_payment_reconciliations({"date": beijing_today().isoformat()})["items"]
    for run in shown:
        assert run["differences"] == [] and run["open_differences"] == 0
        assert (run["totals"]["payment_count"], run["totals"]["collected_fen"]) == (
            1, paid[run["provider"]]["amount_fen"])
        assert (run["totals"]["refund_count"], run["totals"]["refunded_fen"]) == (
            (1, 1_000) if run["provider"] == "alipay" else (0, 0))
