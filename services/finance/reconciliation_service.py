"""finance's payment reconciliation entrypoints (对账), mixed into the finance service: thin over
`domain/statements.py`. A run is claimed in one short transaction, the statement is downloaded with none
open, and matched in another; the daily job reconciles yesterday's statement of every merchant account of
every configured provider (the chain's, and each store's own: services/finance/accounts.py) once it is due,
once per provider, merchant account and day."""
from __future__ import annotations

import logging
from datetime import date, timedelta

from nameko.timer import timer
from sqlalchemy.orm import Session

from services.common.config import payment_reconcile_seconds, payment_statement_hour
from services.common.context import Caller
from services.common.db import utcnow
from services.common.entrypoints import rpc, unit_of_work
from services.common.policy import visible_stores
from services.common.schemas import load, page
from services.common.transactions import before_remote_call
from services.contracts.rpc.finance import PaymentIntentOut
from services.contracts.rpc.finance.payment_reconciliations import (DifferenceResolve, PaymentReconciliationOut,
                                                                    PaymentReconciliationQuery,
                                                                    PaymentReconciliationRun,
                                                                    ReconciliationDifferenceOut)

from .domain import intents, statements
from .domain.common import require_manager
from .models import PaymentIntent, PaymentReconciliation
from .accounts import PaymentAccounts
from .providers import ProviderError, Transaction, of_merchant, provider_failed, unavailable

log = logging.getLogger(__name__)
run_out = PaymentReconciliationOut()


class ReconciliationEntrypoints:
    db: Session  # ServiceBase's dependencies and the finance service's providers
    caller: Caller
    providers: PaymentAccounts

    @rpc
    def list_payment_reconciliations(self, query: dict) -> dict:
        params = load(PaymentReconciliationQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        found = page(statements.list_runs(self.db, stores, params), params["limit"])
        return {"items": [run_out.dump(statements.shown(run, stores)) for run in found["items"]],
                "next_cursor": found["next_cursor"]}

    @rpc
    def run_payment_reconciliation(self, data: dict) -> dict:
        """Reconcile a day's statements now (a manager): every merchant account of every configured provider,
        or of the one named."""
        request = load(PaymentReconciliationRun(), data)
        require_manager(self.caller, "Reconciling a provider's statement")
        if request["provider"] and request["provider"] not in self.providers:
            raise unavailable(request["provider"])
        names = [request["provider"]] if request["provider"] else list(self.providers)
        stores = visible_stores(self.caller, None)
        runs = [self.reconcile(name, account, request["date"], self.caller, again=True)
                for name in names for account in self.providers.accounts(name)]
        return {"items": [run_out.dump(statements.shown(run, stores)) for run in runs if run is not None]}

    @rpc
    def resolve_reconciliation_difference(self, reconciliation_id: str, difference_id: str, data: dict) -> dict:
        request = load(DifferenceResolve(), data)
        return ReconciliationDifferenceOut().dump(statements.resolve_difference(
            self.db, self.caller, reconciliation_id, difference_id, request["note"]))

    @rpc
    def check_payment_intent(self, intent_id: str) -> dict:
        """Ask the provider about an intent now (a difference `record_payment`, or a customer who says they
        paid): an order it says is paid is recorded as its notification would be, even once closed here."""
        intent = intents.get_intent(self.db, self.caller, intent_id)
        provider = of_merchant(self.providers, intent.provider, intent.merchant_id)
        before_remote_call(self.db, "the payment provider")
        try:
            order = provider.query(intent_id)
        except ProviderError as exc:
            raise provider_failed(provider.name, exc) from None
        if order.state == "paid":
            self._apply(provider.name, order)
        return PaymentIntentOut().dump(self.db.get_one(PaymentIntent, intent_id))

    @unit_of_work
    def _apply(self, provider: str, order: Transaction) -> None:
        intents.apply_transaction(self.db, provider, order)

    @timer(interval=payment_reconcile_seconds())
    def reconcile_statements(self) -> None:
        """Yesterday's statement of every merchant account of every configured provider, once the provider
        has it; one not yet reconciled (or whose download failed) is tried on each look, one done is left alone."""
        now = utcnow().astimezone(statements.CHINA)
        if now.hour < payment_statement_hour():
            return
        for name in self.providers:
            for account in self.providers.accounts(name):
                try:
                    self.reconcile(name, account, now.date() - timedelta(days=1), Caller(), again=False)
                except Exception:
                    self.db.rollback()
                    log.exception("reconciling %s's statement of %s failed", name, account.merchant_id)

    def reconcile(self, name: str, provider, day: date, caller: Caller, again: bool) -> PaymentReconciliation | None:
        """One merchant account's statement of `day`: claimed, downloaded (no transaction open), matched
        with the orders opened on that account. None when the daily job finds it done or running elsewhere."""
        run_id = self._claim(caller, name, provider.merchant_id, day, again)
        if run_id is None:
            return None
        before_remote_call(self.db, "the payment provider")
        try:
            statement = provider.statement(day)
        except ProviderError as exc:
            log.warning("downloading %s's statement of %s failed: %s", name, day, exc)
            return self._failed(run_id, exc.code)
        except Exception:
            self._failed(run_id, "unexpected")
            raise
        return self._matched(run_id, statement, provider.merchant_id == self.providers.chain_merchant(name))

    @unit_of_work
    def _claim(self, caller: Caller, name: str, merchant_id: str, day: date, again: bool) -> str | None:
        return statements.claim_run(self.db, caller, name, merchant_id, day, again=again)

    @unit_of_work
    def _failed(self, run_id: str, code: str) -> PaymentReconciliation:
        return statements.record_failure(self.db, run_id, code)

    @unit_of_work
    def _matched(self, run_id: str, statement, chains: bool) -> PaymentReconciliation:
        return statements.record_statement(self.db, run_id, statement, chains=chains)
