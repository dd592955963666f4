"""The finance nameko service: thin entrypoints over `domain`, schemas at the boundary."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from services.common.config import payment_intent_ttl_seconds, payment_poll_seconds
from services.common.db import utcnow
from services.common.entrypoints import AuditTrail, ServiceBase, event_handler, rpc, unit_of_work
from services.common.errors import DomainError
from services.common.policy import visible_stores
from services.common.schemas import dump_page, page
from services.common.schemas import load
from services.common.transactions import before_remote_call
from services.common.upstream import ServiceRpc, answer_within_timeout, as_domain_error
from services.contracts.rpc.finance import ProviderAccountsOut
from services.contracts.rpc.finance import (AccountChargeCreate, AccountChargeOut, AccountOut, AccountPaymentCreate,
                                            AccountPaymentOut, AccountStatementOut, AccountStatementQuery, AgeingQuery,
                                            BalanceSheetOut, BalanceSheetQuery, BookSidesOut, CardCancel, CardCreate,
                                            CardOut, CardQuery, CardTransactionOut, CommissionRuleIn, CommissionRuleOut,
                                            CommissionsOut, PeopleFiguresOut, PeopleFiguresQuery, CompanyAccountCreate,
                                            CompanyAccountOut,
                                            CompanyAccountPatch, CompanyAccountQuery, DailyCloseCreate, DailyCloseOut,
                                            DailyCloseQuery, ExpenseCreate, ExpenseOut, ExpenseQuery, InvoiceOut,
                                            InvoiceQuery, JournalEntryOut, JournalQuery, KpisOut, MemberCreate,
                                            MemberOut, MonthQuery, PayablesAgeingOut, PaymentCreate,
                                            PaymentIntentCreate, PaymentIntentOut, PaymentIntentQuery, PaymentOut,
                                            PaymentQuery, PeriodQuery, PnlOut, ReceivablesWithAccountsOut,
                                            ReconciliationQuery, RefundCreate, RefundOut, SettingsOut, SettingsPatch,
                                            SettlementOut, SettlementPositionsOut, SettlementQuery, SettleRequest,
                                            StatementQuery, StoreMonthQuery, SupplierCreditNoteCreate,
                                            SupplierCreditNoteOut, SupplierCreditNoteQuery, SupplierInvoiceCreate,
                                            SupplierInvoiceDecision, SupplierInvoiceOut, SupplierInvoiceQuery,
                                            SupplierPaymentCreate, SupplierPaymentOut, SupplierPaymentQuery,
                                            SupplierStatementOut, TargetIn, TargetMonth, TargetOut, TargetsOverOut,
                                            TargetsOverQuery, TopUpCreate, TrialBalanceOut, TrialBalanceQuery,
                                            VoidRequest, KpiTargetsIn, KpiTargetsOut, KpiTargetsQuery)
from services.contracts.rpc.finance.customer import (CustomerCardOut, CustomerInvoiceOut, CustomerInvoiceQuery,
                                                     CustomerPaymentIntentOut, CustomerPaymentOut)
from services.contracts.rpc.finance.close import MonthCloseCreate, MonthCloseOut, MonthCloseQuery, MonthClosesOut
from services.contracts.rpc.finance.liabilities import CardLiabilitiesOut, CardLiabilitiesQuery
from services.contracts.rpc.finance.cohorts import (CustomerFiguresOut, CustomerFiguresQuery, RetentionOut,
                                                    RetentionQuery, WindowFiguresOut, WindowFiguresQuery)

from .domain import (accounts, ageing, books, cards, close, cohorts, commission, customer, insurers, intents, invoices,
                     ledger, liabilities, payables, health_records, payments, reconciliation, refunds, reports, stock,
                     targets)
from .domain.common import require_manager
from .models import PaymentIntent, ProviderRefund, Refund, StoreSettings
from .providers import ProviderError, RefundState
from .accounts import KINDS, PaymentAccounts, store_accounts
from .fapiao_service import FapiaoEntrypoints
from .health_record_service import HealthRecordEntrypoints
from .insurer_service import InsurerEntrypoints
from .reconciliation_service import ReconciliationEntrypoints
from .refund_request_service import RefundRequestEntrypoints

log = logging.getLogger(__name__)

PAYMENT_POLL_SECONDS = payment_poll_seconds()
"""How often pending payment intents are asked about at the provider (and how old one must be)."""
PAYMENT_INTENT_TTL = timedelta(seconds=payment_intent_ttl_seconds())
OVERDUE_TICK_SECONDS = 3600
"""How often the overdue reminders are looked at; each account gets at most one a day."""

invoice_out, payment_out, refund_out = InvoiceOut(), PaymentOut(), RefundOut()
card_out, card_txn_out, expense_out = CardOut(), CardTransactionOut(), ExpenseOut()
intent_out = PaymentIntentOut()
supplier_invoice_out, supplier_payment_out = SupplierInvoiceOut(), SupplierPaymentOut()


class PaymentProviders(DependencyProvider):
    """The payment providers' merchant accounts (services/finance/accounts.py): the chain's from the
    environment, a store's own from its keys file; a provider a store has no account of answers 503."""

    def setup(self):
        self.providers = PaymentAccounts()

    def get_dependency(self, worker_ctx) -> PaymentAccounts:
        return self.providers




class FinanceService(FapiaoEntrypoints, HealthRecordEntrypoints, RefundRequestEntrypoints,  # type: ignore[misc]
                     ReconciliationEntrypoints, InsurerEntrypoints,
                     AuditTrail, ServiceBase):  # db, caller: see AuditTrail
    name = "finance"
    providers = PaymentProviders()
    inventory = ServiceRpc("inventory")
    crm = ServiceRpc("crm")

    # -- events ---------------------------------------------------------------------------------
    @event_handler("sales", "order_confirmed")
    def on_order_confirmed(self, envelope: dict) -> None:
        invoices.record_order(self.db, envelope["payload"])

    @event_handler("crm", "customer_erased")
    def on_customer_erased(self, envelope: dict) -> None:
        health_records.forget_customer(self.db, envelope["payload"]["customer_id"])

    @event_handler("sales", "order_cancelled")
    def on_order_cancelled(self, envelope: dict) -> None:
        invoices.cancel_order(self.db, envelope["payload"])

    @event_handler("workshop", "work_order_completed")
    def on_work_order_completed(self, envelope: dict) -> None:
        invoices.issue_invoice(self.db, envelope["payload"])

    @event_handler("inventory", "stock_issued")
    def on_stock_issued(self, envelope: dict) -> None:
        books.record_cost_of_sale(self.db, envelope["payload"])

    @event_handler("inventory", "stock_valued")
    def on_stock_valued(self, envelope: dict) -> None:
        stock.record_stock_value(self.db, envelope["payload"])

    # -- invoices -------------------------------------------------------------------------------
    def _invoice(self, invoice, with_payments: bool = True) -> dict:
        data = invoice_out.dump(invoice)
        if with_payments:
            data["payments"] = payment_out.dump(payments.payments_of(self.db, invoice.id), many=True)
        return data

    @rpc
    def get_invoice(self, invoice_id: str) -> dict:
        return self._invoice(invoices.get_invoice(self.db, self.caller, invoice_id))

    @rpc
    def get_order_balance(self, order_id: str) -> dict:
        """For delivery: the balance of the order's open invoice."""
        return invoices.order_balance(self.db, self.caller, order_id)

    @rpc
    def list_invoices(self, query: dict) -> dict:
        params = load(InvoiceQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return dump_page(page(invoices.list_invoices(self.db, stores, params), params["limit"]), invoice_out)

    @rpc
    def void_invoice(self, invoice_id: str, data: dict) -> dict:
        request = load(VoidRequest(), data)
        return self._invoice(invoices.void_invoice(self.db, self.caller, invoice_id, request["reason"]))

    @rpc
    def reissue_invoice(self, invoice_id: str) -> dict:
        return self._invoice(invoices.reissue_invoice(self.db, self.caller, invoice_id))

    # -- payments and refunds -------------------------------------------------------------------
    @rpc
    def take_payment(self, invoice_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        request = load(PaymentCreate(), data)
        payment, invoice = payments.take_payment(self.db, self.caller, invoice_id, request, idempotency_key)
        return {"payment": payment_out.dump(payment), "invoice": self._invoice(invoice, with_payments=False)}

    # -- payment intents (WeChat Pay) -----------------------------------------------------------
    @rpc
    def create_payment_intent(self, invoice_id: str, data: dict, idempotency_key: str | None = None,
                              client_ip: str | None = None) -> dict:
        return intent_out.dump(intents.create_intent(
            self.db, self.caller, self.providers, invoice_id, load(PaymentIntentCreate(), data), idempotency_key,
            client_ip, PAYMENT_INTENT_TTL))

    @rpc
    def list_payment_intents(self, query: dict) -> dict:
        params = load(PaymentIntentQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return dump_page(page(intents.list_intents(self.db, stores, params), params["limit"]), intent_out)

    @rpc
    def get_payment_intent(self, intent_id: str) -> dict:
        return intent_out.dump(intents.get_intent(self.db, self.caller, intent_id))

    @rpc
    def refund_payment_intent(self, intent_id: str, idempotency_key: str | None = None) -> dict:
        """Refund an unapplied intent whole through its provider, once: the claim is committed before the
        provider is asked (a second click sees it and is answered the intent as it is), withdrawn if the
        provider refuses, left to the poller if it does not answer."""
        intent, won = refunds.claim_unapplied(self.db, self.caller, self.providers, intent_id, idempotency_key)
        if won:
            self.db.commit()
            self.ask_refund(intent.refund_id or "")
            intent = self.db.get_one(PaymentIntent, intent_id)
        return intent_out.dump(intent)

    def ask_refund(self, number: str) -> ProviderRefund:
        """Ask the provider for a refund claimed and committed under `number` (domain/refunds.py): a refusal
        withdraws the claim, in its own transaction, and is raised; silence leaves it pending for the poller."""
        try:
            return refunds.ask_refund(self.db, self.providers, number)
        except DomainError:
            self.db.rollback()
            refunds.withdraw(self.db, number)
            self.db.commit()
            raise

    @rpc
    def payment_notified(self, provider: str, headers: dict, body: str) -> dict:
        """A provider's notification as the gateway received it (no user: its signature vouches); answers
        the acknowledgement the provider's protocol wants (`ack`: a body, or None for an empty 204)."""
        intents.notified(self.db, self.providers, provider, headers, body)
        return {"ack": KINDS[provider][1].ack}

    # -- the customer channel (caller role `customer`) ---------------------------------------
    @rpc
    def customer_invoices(self, query: dict) -> dict:
        vehicle_id = load(CustomerInvoiceQuery(), query)["vehicle_id"]
        return {"items": CustomerInvoiceOut(exclude=("payments",)).dump(
            customer.own_invoices(self.db, self.caller, vehicle_id), many=True), "next_cursor": None}

    @rpc
    def customer_invoice(self, invoice_id: str) -> dict:
        invoice = customer.own_invoice(self.db, self.caller, invoice_id)
        return {**CustomerInvoiceOut(exclude=("payments",)).dump(invoice),
                "payments": CustomerPaymentOut().dump(payments.payments_of(self.db, invoice.id), many=True)}

    @rpc
    def customer_pay_invoice(self, invoice_id: str, idempotency_key: str | None = None,
                             client_ip: str | None = None, channel: str = "h5", payer: dict | None = None) -> dict:
        """H5, or JSAPI with `payer` {appid, openid}: then also the page's getBrandWCPayRequest parameters."""
        intent = customer.pay_due(self.db, self.caller, self.providers, invoice_id, idempotency_key, client_ip,
                                  PAYMENT_INTENT_TTL, channel, payer)
        out = CustomerPaymentIntentOut().dump(intent)
        if intent.channel == "jsapi" and intent.status == "pending" and payer:
            out["jsapi"] = customer.jsapi_params(self.providers, intent, payer["appid"])
        return out

    @rpc
    def customer_cards(self) -> dict:
        return {"items": CustomerCardOut().dump(customer.own_cards(self.db, self.caller), many=True),
                "next_cursor": None}

    @rpc
    def customer_payment_intent(self, intent_id: str) -> dict:
        return CustomerPaymentIntentOut().dump(customer.own_intent(self.db, self.caller, intent_id))

    @timer(interval=PAYMENT_POLL_SECONDS)
    def poll_payment_intents(self) -> None:
        """The fallback when a notification never comes (payments and provider refunds); each intent or
        refund commits on its own."""
        now = utcnow()
        for intent in intents.open_intents(self.db, now - timedelta(seconds=PAYMENT_POLL_SECONDS)):
            try:
                self.poll_intent(intent, now)
            except Exception:
                self.db.rollback()
                log.exception("polling payment intent %s failed", intent.id)
        for row in refunds.pending_refunds(self.db, now - timedelta(seconds=PAYMENT_POLL_SECONDS)):
            try:
                self.poll_refund(row)
            except Exception:
                self.db.rollback()
                log.exception("asking again about provider refund %s failed", row.id)

    def poll_intent(self, intent: PaymentIntent, now: datetime) -> str:
        """Ask the provider about one pending intent (its notification may never come): a paid order is
        applied; an unpaid one is closed at the provider, then here, once `intents.expired`. The read
        ends before the provider is called (no transaction is open across it); what it answers is
        committed on its own. Answers the intent's status."""
        provider = self.providers.for_merchant(intent.provider, intent.merchant_id)  # the account it was opened on
        if provider is None:
            return intent.status
        intent_id, name, status = intent.id, intent.provider, intent.status
        close = intents.expired(self.db, intent, now)
        before_remote_call(self.db, "the payment provider")
        try:
            order = intents.ask_provider(provider, intent_id, close)
        except ProviderError as exc:
            log.warning("polling payment intent %s at %s failed: %s", intent_id, name, exc)
            self.db.rollback()
            return status
        if order is None:
            return status
        return self._record_poll(name, intent_id, order, now)

    @unit_of_work
    def _record_poll(self, provider: str, intent_id: str, order, now: datetime) -> str:
        return intents.record_poll(self.db, provider, intent_id, order, now)

    def poll_refund(self, row: ProviderRefund) -> str:
        """Ask the provider about a refund still pending (its answer or confirmation never came: finance may
        have stopped between the claim and the provider's answer) under its own number — the provider
        answers the refund it holds, or makes it if the first ask never arrived, never a second one. A
        refusal of the refund itself marks it failed; any other failure leaves it for the next tick. The
        read ends before the call (no transaction is open across it), its answer is committed on its own.
        Answers the status."""
        provider = self.providers.for_merchant(row.provider, self.db.get_one(PaymentIntent, row.intent_id).merchant_id)
        if provider is None:
            return row.status
        name, ask = row.provider, refunds.refund_question(self.db, row)
        before_remote_call(self.db, "the payment provider")
        try:
            state = provider.query_refund(ask)
        except ProviderError as exc:
            log.warning("asking %s again about refund %s failed: %s", name, ask.out_refund_no, exc)
            self.db.rollback()
            if not exc.refund_refused:  # not heard out: asked again next time (it may have been made before)
                return "pending"
            state = RefundState(ask.out_refund_no, "failed")
        return self._record_refund_state(name, state)

    @unit_of_work
    def _record_refund_state(self, provider: str, state) -> str:
        return refunds.apply_refund_state(self.db, provider, state).status

    @rpc
    def list_payments(self, query: dict) -> dict:
        params = load(PaymentQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return dump_page(page(payments.list_payments(self.db, stores, params), params["limit"]), payment_out)

    @rpc
    def get_payment(self, payment_id: str) -> dict:
        return payment_out.dump(payments.get_payment(self.db, self.caller, payment_id))

    @rpc
    def refund_payment(self, payment_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        """At the till, or through the payment provider that took the money (recorded when it confirms)."""
        found, claimed = refunds.refund(self.db, self.caller, self.providers, payment_id,
                                        load(RefundCreate(), data), idempotency_key)
        if isinstance(found, ProviderRefund) and claimed:
            self.db.commit()  # the claim: found by the poller if the provider's answer never comes
            found = self.ask_refund(found.id)
        if isinstance(found, ProviderRefund) and found.refund_id is not None:
            found = self.db.get_one(Refund, found.refund_id)
        return refund_out.dump(found)  # a provider refund not yet confirmed: its id, amount and status

    # -- member cards ---------------------------------------------------------------------------
    def _card(self, card, with_transactions: bool = False) -> dict:
        data = card_out.dump(card)
        data["balance_fen"] = card.paid_balance_fen + card.bonus_balance_fen
        if with_transactions:
            data["transactions"] = card_txn_out.dump(cards.card_transactions(self.db, card.id), many=True)
        return data

    @rpc
    def issue_card(self, data: dict, idempotency_key: str | None = None) -> dict:
        card = cards.issue_card(self.db, self.caller, load(CardCreate(), data), idempotency_key)
        return self._card(card, with_transactions=True)

    @rpc
    def get_card(self, card_id: str) -> dict:
        return self._card(cards.get_card(self.db, card_id), with_transactions=True)

    @rpc
    def list_cards(self, query: dict) -> dict:
        params = load(CardQuery(), query)
        rows = cards.list_cards(self.db, params)
        result = page(rows, params["limit"])
        return {"items": [self._card(c) for c in result["items"]], "next_cursor": result["next_cursor"]}

    @rpc
    def top_up_card(self, card_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        card = cards.top_up(self.db, self.caller, card_id, load(TopUpCreate(), data), idempotency_key)
        return self._card(card, with_transactions=True)

    @rpc
    def cancel_card(self, card_id: str, data: dict) -> dict:
        return self._card(cards.cancel_card(self.db, self.caller, card_id, load(CardCancel(), data)), True)

    # -- expenses -------------------------------------------------------------------------------
    @rpc
    def record_expense(self, data: dict) -> dict:
        return expense_out.dump(books.record_expense(self.db, self.caller, load(ExpenseCreate(), data)))

    @rpc
    def list_expenses(self, query: dict) -> dict:
        params = load(ExpenseQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return dump_page(page(books.list_expenses(self.db, stores, params), params["limit"]), expense_out)

    # -- reports, close, ledger -----------------------------------------------------------------
    @rpc
    def daily_close(self, query: dict) -> dict:
        params = load(DailyCloseQuery(), query)
        self.caller.require_store(params["store_id"])
        return DailyCloseOut().dump(close.daily_report(self.db, params["store_id"], params["date"]))

    @rpc
    def close_day(self, data: dict) -> dict:
        return DailyCloseOut().dump(close.close_day(self.db, self.caller, load(DailyCloseCreate(), data)))

    @rpc
    def close_month(self, data: dict) -> dict:
        asked = load(MonthCloseCreate(), data)
        return MonthCloseOut().dump(close.close_month(self.db, self.caller, asked["store_id"], asked["month"]))

    @rpc
    def month_closes(self, query: dict) -> dict:
        params = load(MonthCloseQuery(), query)
        return MonthClosesOut().dump({"items": close.month_closes(self.db, self.caller, params["store_id"])})

    @rpc
    def trial_balance(self, query: dict) -> dict:
        params = load(TrialBalanceQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        result = ledger.trial_balance(self.db, stores, params.get("as_of"))
        return TrialBalanceOut().dump({**result, "store_id": params.get("store_id")})

    @rpc
    def book_sides(self, query: dict) -> dict:
        """finance's sides of the reconciliation (the gateway joins inventory's valuation)."""
        stores = visible_stores(self.caller, load(ReconciliationQuery(), query).get("store_id"))
        return {"stores": BookSidesOut(many=True).dump(reconciliation.book_sides(self.db, stores))}

    @rpc
    def balance_sheet(self, query: dict) -> dict:
        params = load(BalanceSheetQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        result = reconciliation.balance_sheet(self.db, stores, params.get("as_of"))
        return BalanceSheetOut().dump({**result, "store_id": params.get("store_id")})

    # -- accounts payable -----------------------------------------------------------------------
    def _purchase_order(self, po_id: str) -> dict:
        """inventory's purchase order with its receipts (read before this worker writes anything)."""
        try:
            with answer_within_timeout("inventory", "the purchase order is needed to match the invoice; try again."):
                return self.inventory.get_purchase_order(po_id)
        except RemoteError as exc:
            raise (as_domain_error(exc) or exc) from exc

    @rpc
    def record_supplier_invoice(self, data: dict, idempotency_key: str | None = None) -> dict:
        request = load(SupplierInvoiceCreate(), data)
        po = self._purchase_order(request["purchase_order_id"])
        return supplier_invoice_out.dump(payables.record_invoice(self.db, self.caller, request, po, idempotency_key))

    @rpc
    def decide_supplier_invoice(self, supplier_invoice_id: str, data: dict) -> dict:
        decision = load(SupplierInvoiceDecision(), data)
        return supplier_invoice_out.dump(payables.decide(self.db, self.caller, supplier_invoice_id, decision))

    @rpc
    def get_supplier_invoice(self, supplier_invoice_id: str) -> dict:
        return supplier_invoice_out.dump(payables.get_invoice(self.db, self.caller, supplier_invoice_id))

    @rpc
    def list_supplier_invoices(self, query: dict) -> dict:
        params = load(SupplierInvoiceQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return dump_page(page(payables.list_invoices(self.db, stores, params), params["limit"]), supplier_invoice_out)

    @rpc
    def pay_suppliers(self, data: dict, idempotency_key: str | None = None) -> dict:
        request = load(SupplierPaymentCreate(), data)
        return supplier_payment_out.dump(payables.pay(self.db, self.caller, request, idempotency_key))

    @rpc
    def list_supplier_payments(self, query: dict) -> dict:
        params = load(SupplierPaymentQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return dump_page(page(payables.list_payments(self.db, stores, params), params["limit"]), supplier_payment_out)

    @rpc
    def record_supplier_credit_note(self, data: dict, idempotency_key: str | None = None) -> dict:
        request = load(SupplierCreditNoteCreate(), data)
        self.caller.require_store(request["store_id"])  # before asking inventory
        po = None if request.get("supplier_invoice_id") else self._purchase_order(request["purchase_order_id"])
        return SupplierCreditNoteOut().dump(payables.record_credit_note(self.db, self.caller, request, po,
                                                                        idempotency_key))

    @rpc
    def list_supplier_credit_notes(self, query: dict) -> dict:
        params = load(SupplierCreditNoteQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return dump_page(page(payables.list_credit_notes(self.db, stores, params), params["limit"]),
                         SupplierCreditNoteOut())

    @rpc
    def payables_ageing(self, query: dict) -> dict:
        params = load(AgeingQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        as_of = params.get("as_of") or ledger.today(self.db, params.get("store_id"))
        return PayablesAgeingOut().dump(payables.payables_ageing(self.db, stores, as_of))

    @rpc
    def retention(self, query: dict) -> dict:
        """Customer retention by the month of their first invoice (the caller's stores, or one)."""
        params = load(RetentionQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return RetentionOut().dump({"items": cohorts.cohorts(self.db, stores, params["from_"], params["to"],
                                                               ledger.today(self.db, params.get("store_id")))})

    @rpc
    def customer_figures(self, query: dict) -> dict:
        """Invoices and revenue over local days of the customers named, at the caller's stores (or one)."""
        params = load(CustomerFiguresQuery(), query)
        require_manager(self.caller, "Reading customers' revenue")
        stores = visible_stores(self.caller, params.get("store_id"))
        return CustomerFiguresOut().dump({"items": cohorts.customer_figures(
            self.db, stores, params["customer_ids"], params["from_"], params["to"])})

    @rpc
    def card_liabilities(self, query: dict) -> dict:
        """What the open member cards each of the caller's stores (or one) issued hold, beside 2205 + 2206."""
        params = load(CardLiabilitiesQuery(), query)
        require_manager(self.caller, "Reading card liabilities")
        stores = visible_stores(self.caller, params.get("store_id"))
        return CardLiabilitiesOut().dump({"as_of": ledger.today(self.db, params.get("store_id")),
                                          **liabilities.card_liabilities(self.db, stores)})

    @rpc
    def window_figures(self, query: dict) -> dict:
        """Invoices and revenue of each customer over their own business days, at the caller's stores (or one)."""
        params = load(WindowFiguresQuery(), query)
        require_manager(self.caller, "Reading customers' revenue")
        stores = visible_stores(self.caller, params.get("store_id"))
        return WindowFiguresOut().dump({"items": cohorts.window_figures(self.db, stores, params["windows"])})

    @rpc
    def receivables_ageing(self, query: dict) -> dict:
        params = load(AgeingQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        as_of = params.get("as_of") or ledger.today(self.db, params.get("store_id"))
        report = ageing.receivables_ageing(self.db, stores, as_of)
        report = insurers.add_to_ageing(self.db, accounts.add_to_ageing(self.db, report, stores, as_of), stores, as_of)
        return ReceivablesWithAccountsOut().dump(report)

    @rpc
    def supplier_statement(self, supplier_id: str, query: dict) -> dict:
        params = load(StatementQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return SupplierStatementOut().dump(payables.supplier_statement(self.db, stores, supplier_id, params["from_"],
                                                                       params["to"]))

    # -- company accounts (挂账) ------------------------------------------------------------------
    def _crm(self, method: str, record_id: str) -> dict:
        """A customer or vehicle as crm has it (asked with no transaction of ours open)."""
        try:
            with answer_within_timeout("crm", "the customer or car is needed; try again."):
                return getattr(self.crm, method)(record_id)
        except RemoteError as exc:
            raise (as_domain_error(exc) or exc) from exc

    @rpc
    def create_company_account(self, data: dict) -> dict:
        return CompanyAccountOut().dump(accounts.create_account(self.db, self.caller,
                                                                load(CompanyAccountCreate(), data)))

    @rpc
    def list_company_accounts(self, query: dict) -> dict:
        params = load(CompanyAccountQuery(), query)
        found = CompanyAccountOut().dump(accounts.list_accounts(self.db, self.caller, params)[:params["limit"]],
                                         many=True)
        return {"items": accounts.with_overdue(self.db, found, ledger.today(self.db, None)), "next_cursor": None}

    @rpc
    def get_company_account(self, account_id: str) -> dict:
        found = CompanyAccountOut().dump(accounts.get_account(self.db, self.caller, account_id))
        return accounts.with_overdue(self.db, [found], ledger.today(self.db, None))[0]

    @timer(interval=OVERDUE_TICK_SECONDS)
    @unit_of_work
    def remind_overdue_accounts(self) -> None:
        """The daily overdue reminders (one per account and day, however often this runs)."""
        accounts.remind_overdue(self.db, ledger.today(self.db, None))

    @rpc
    def update_company_account(self, account_id: str, changes: dict) -> dict:
        return CompanyAccountOut().dump(accounts.update_account(self.db, self.caller, account_id,
                                                                load(CompanyAccountPatch(), changes)))

    @rpc
    def add_company_account_member(self, account_id: str, data: dict) -> dict:
        request = load(MemberCreate(), data)
        accounts.get_account(self.db, self.caller, account_id)  # 404 before asking crm
        if request.get("customer_id"):
            label = self._crm("get_customer", request["customer_id"])["name"]
        else:
            label = self._crm("get_vehicle", request["vehicle_id"])["plate"]
        return MemberOut().dump(accounts.add_member(self.db, self.caller, account_id, request, label))

    @rpc
    def charge_invoice_to_account(self, invoice_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        request = load(AccountChargeCreate(), data)
        vehicle_id = invoices.get_invoice(self.db, self.caller, invoice_id).vehicle_id
        plate = self._crm("get_vehicle", vehicle_id)["plate"] if vehicle_id else None
        charge = accounts.charge_invoice(self.db, self.caller, invoice_id, request, plate, idempotency_key)
        return {"charge": AccountChargeOut().dump(charge),
                "invoice": self._invoice(invoices.get_invoice(self.db, self.caller, invoice_id), with_payments=False)}

    @rpc
    def receive_account_payment(self, account_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        return AccountPaymentOut().dump(accounts.receive_payment(self.db, self.caller, account_id,
                                                                 load(AccountPaymentCreate(), data), idempotency_key))

    @rpc
    def company_account_statement(self, account_id: str, query: dict) -> dict:
        month = load(AccountStatementQuery(), query)["month"] or ledger.today(self.db, None).strftime("%Y-%m")
        return AccountStatementOut().dump(accounts.statement(self.db, self.caller, account_id, month))

    @rpc
    def pnl(self, query: dict) -> dict:
        params = load(MonthQuery(), query)
        return PnlOut().dump(reports.pnl(self.db, visible_stores(self.caller, params.get("store_id")),
                                         params["month"]))

    @rpc
    def kpis(self, query: dict) -> dict:
        params = load(PeriodQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return KpisOut().dump(reports.kpis(self.db, stores, params["from_"], params["to"], params["group"]))

    @rpc
    def commissions(self, query: dict) -> dict:
        params = load(StoreMonthQuery(), query)
        self.caller.require_store(params["store_id"])
        return CommissionsOut().dump(commission.monthly_results(self.db, params["store_id"], params["month"]))

    @rpc
    def people_figures(self, query: dict) -> dict:
        """The people report's finance figures of a store over business days: revenue, commission and target per
        employee (one call a store)."""
        params = load(PeopleFiguresQuery(), query)
        self.caller.require_store(params["store_id"])
        return PeopleFiguresOut().dump({"items": commission.people_figures(self.db, params["store_id"],
                                                                           params["from_"], params["to"])})

    @rpc
    def set_commission_rule(self, store_id: str, data: dict) -> dict:
        self.caller.require_store(store_id)
        require_manager(self.caller, "Changing commission rules")
        return CommissionRuleOut().dump(commission.set_rule(self.db, store_id, load(CommissionRuleIn(), data)))

    @rpc
    def get_commission_rule(self, store_id: str) -> dict:
        self.caller.require_store(store_id)
        return CommissionRuleOut().dump(commission.rule_of(self.db, store_id))

    @rpc
    def set_commission_target(self, store_id: str, data: dict) -> dict:
        self.caller.require_store(store_id)
        require_manager(self.caller, "Setting targets")
        target = commission.set_target(self.db, store_id, load(TargetIn(), data))
        return TargetOut().dump(target)

    @rpc
    def set_kpi_targets(self, store_id: str, month: str, data: dict) -> dict:
        self.caller.require_store(store_id)
        require_manager(self.caller, "Setting targets")
        month = load(TargetMonth(), {"month": month})["month"]
        return KpiTargetsOut().dump(targets.set_targets(self.db, store_id, month, load(KpiTargetsIn(), data),
                                                        self.caller.user_id))

    @rpc
    def kpi_targets(self, store_id: str, query: dict) -> dict:
        self.caller.require_store(store_id)
        params = load(KpiTargetsQuery(), query)
        months = targets.months_between(params["from_"], params["to"])
        return {"items": KpiTargetsOut(many=True).dump(targets.listed(self.db, [store_id], months)),
                "next_cursor": None}  # at most MAX_MONTHS rows: one page

    @rpc
    def kpi_targets_over(self, query: dict) -> dict:
        """The KPI report's `compare=target`: each visible store's targets over the report's days."""
        params = load(TargetsOverQuery(), query)
        stores = [store_id for store_id in params["store_ids"] if self.caller.can_access_store(store_id)]
        return TargetsOverOut().dump({"stores": targets.for_range(self.db, stores, params["from_"], params["to"])})

    @rpc
    def get_settings(self, store_id: str) -> dict:
        self.caller.require_store(store_id)
        return SettingsOut().dump(ledger.settings_of(self.db, store_id))

    @rpc
    def register_store(self, store_id: str, store_code: str) -> dict:
        """The gateway's code of a store (it names the store's provider keys files); HQ or the system."""
        if not (self.caller.is_system or self.caller.is_hq):
            self.caller.require_store(store_id)
        return SettingsOut().dump(ledger.register_store_code(self.db, store_id, store_code))

    @rpc
    def provider_accounts(self, store_id: str, store_code: str | None = None) -> dict:
        """The merchant and tax accounts the store uses (ids, never a secret); a manager's. The gateway passes
        the store's code: one finance does not know yet (a store opened before codes were kept) is kept."""
        self.caller.require_store(store_id)
        require_manager(self.caller, "Seeing the store's provider accounts")
        settings = ledger.settings_of(self.db, store_id)
        if store_code and settings.store_code != store_code:
            settings = ledger.register_store_code(self.db, store_id, store_code)
        return ProviderAccountsOut().dump(store_accounts(self.providers, store_id, settings.store_code,
                                                          settings.repair_licence_no))

    @rpc
    def update_settings(self, store_id: str, changes: dict) -> dict:
        self.caller.require_store(store_id)
        require_manager(self.caller, "Changing finance settings")
        patch = load(SettingsPatch(), changes)
        settings = self.db.get(StoreSettings, store_id)
        if settings is None:
            settings = ledger.settings_of(self.db, store_id)
            self.db.add(settings)
        for key, value in patch.items():
            setattr(settings, key, value.strip() if isinstance(value, str) else value)
        self.db.flush()
        return SettingsOut().dump(settings)

    @rpc
    def settlement_positions(self, query: dict) -> dict:
        params = load(SettlementQuery(), query)
        self.caller.require_store(params["store_id"])
        return SettlementPositionsOut().dump(cards.settlement_positions(self.db, params["store_id"]))

    @rpc
    def settle_between(self, data: dict) -> dict:
        return SettlementOut().dump(cards.settle_between(self.db, self.caller, load(SettleRequest(), data)))

    @rpc
    def journal(self, query: dict) -> dict:
        params = load(JournalQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return dump_page(page(ledger.list_entries(self.db, stores, params), params["limit"]), JournalEntryOut())

    @rpc
    def chart_of_accounts(self) -> dict:
        return {"items": AccountOut().dump(reports.chart(), many=True), "next_cursor": None}


SERVICE = FinanceService
