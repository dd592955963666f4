"""finance: invoices, payments and refunds, member cards, expenses, daily close, the ledger and the
reports finance owns. Store documents are visible to that store's users and HQ (checked here and
again in the service). Money-moving POSTs take an `Idempotency-Key`: the gateway replays the first
answer, and the key (per user) also travels to the service, which dedupes by it in its own
transaction, so a retry after a timeout never pays twice."""
from __future__ import annotations

from datetime import date, timedelta

from services.common.policy import FRONT_DESK, HQ, MANAGERS, TILL, require_store
from services.common.schemas import ListQuery
from services.contracts.rpc.finance.close import MonthCloseCreate, MonthCloseOut, MonthCloseQuery, MonthClosesOut
from services.contracts.rpc.crm.sources import (CampaignResultsOut, CampaignResultsQuery, CustomerSourcesOut,
                                              SourceQuery)
from services.contracts.rpc.finance.cohorts import RetentionOut, RetentionQuery
from services.contracts.rpc.finance.liabilities import CardLiabilitiesOut, CardLiabilitiesQuery
from services.contracts.rpc.finance import (AccountOut, CardCancel, CardCreate, CardOut, CardQuery, CommissionRuleIn,
                                            CommissionRuleOut, CommissionsOut, DailyCloseCreate, DailyCloseOut,
                                            DailyCloseQuery, ExpenseCreate, ExpenseOut, ExpenseQuery, InvoiceOut,
                                            InvoiceQuery, JournalEntryOut, JournalQuery, MonthQuery, PaymentCreate,
                                            PaymentOut, PaymentQuery, PaymentResult, PnlOut, reconcile,
                                            ReconciliationOut, ReconciliationQuery, RefundCreate, RefundOut,
                                            SettingsOut, SettingsPatch, SettlementOut, SettlementPositionsOut,
                                            SettlementQuery, SettleRequest, StoreMonthQuery, TargetIn, TargetOut,
                                            TopUpCreate, TrialBalanceOut, TrialBalanceQuery, VoidRequest,
                                            KpiTargetsIn, KpiTargetsOut, KpiTargetsQuery, ProviderAccountsOut)

from ..api import endpoint
from . import Resource, checked, scoped
from .kpis import Kpis
from .people import People


def _service_key(req) -> str | None:
    """The client's Idempotency-Key, scoped to the user, for the service's own dedupe."""
    key = req.get_header("Idempotency-Key")
    return f"{req.context.principal.id}:{key}" if key else None


class Invoices(Resource):
    @endpoint("Invoices of a store, newest first (filters status, order_id, customer_id)", tag="finance",
              roles=FRONT_DESK, query=InvoiceQuery, response=InvoiceOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_invoices", query=checked(req))


class InvoiceItem(Resource):
    @endpoint("An invoice with its lines and payments", tag="finance", roles=FRONT_DESK, response=InvoiceOut)
    def on_get(self, req, resp, invoice_id: str):
        return self.call(req, "finance", "get_invoice", invoice_id=invoice_id)


class InvoicePayments(Resource):
    @endpoint("Take a payment (cash, card, wechat, alipay, stored_value, package); partial and split payments, "
              "never more than is due", tag="finance", roles=TILL, body=PaymentCreate, response=PaymentResult,
              status=201, idempotent=True)
    def on_post(self, req, resp, invoice_id: str):
        result = self.call(req, "finance", "take_payment", invoice_id=invoice_id, data=req.context.body_json,
                           idempotency_key=_service_key(req))
        resp.location = f"/v1/payments/{result['payment']['id']}"
        return result


class InvoiceVoid(Resource):
    @endpoint("Void an invoice nobody has paid at the till (manager), with a reason", tag="finance",
              roles=MANAGERS, body=VoidRequest, response=InvoiceOut)
    def on_post(self, req, resp, invoice_id: str):
        return self.call(req, "finance", "void_invoice", invoice_id=invoice_id, data=req.context.body_json)


class Payments(Resource):
    @endpoint("Payments (deposits included) of a store, newest first (filters date, method)", tag="finance",
              roles=TILL, query=PaymentQuery, response=PaymentOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_payments", query=checked(req))


class InvoiceReissue(Resource):
    @endpoint("Bill a voided invoice's order again (manager): the order's current contract, the work done",
              tag="finance", roles=MANAGERS, response=InvoiceOut, status=201)
    def on_post(self, req, resp, invoice_id: str):
        invoice = self.call(req, "finance", "reissue_invoice", invoice_id=invoice_id)
        resp.location = f"/v1/invoices/{invoice['id']}"
        return invoice


class PaymentItem(Resource):
    @endpoint("A payment", tag="finance", roles=FRONT_DESK, response=PaymentOut)
    def on_get(self, req, resp, payment_id: str):
        return self.call(req, "finance", "get_payment", payment_id=payment_id)


class PaymentRefunds(Resource):
    @endpoint("Refund (part of) a payment to its original method; above the store's limit a manager only",
              tag="finance", roles=TILL, body=RefundCreate, response=RefundOut, status=201, idempotent=True)
    def on_post(self, req, resp, payment_id: str):
        return self.call(req, "finance", "refund_payment", payment_id=payment_id, data=req.context.body_json,
                         idempotency_key=_service_key(req))


class MemberCards(Resource):
    @endpoint("Issue a member card: stored value (optional opening top-up with bonus) or a service package",
              tag="finance", roles=TILL, body=CardCreate, response=CardOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        card = self.call(req, "finance", "issue_card", data=scoped(req, "body_json"),
                         idempotency_key=_service_key(req))
        resp.location = f"/v1/member-cards/{card['id']}"
        return card

    @endpoint("Find member cards (by customer, issuing store, number); cards are usable chain-wide",
              tag="finance", roles=FRONT_DESK, query=CardQuery, response=CardOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_cards", query=req.context.query_json)


class MemberCardItem(Resource):
    @endpoint("A member card with its balance ledger", tag="finance", roles=FRONT_DESK, response=CardOut)
    def on_get(self, req, resp, card_id: str):
        return self.call(req, "finance", "get_card", card_id=card_id)


class MemberCardTopUps(Resource):
    @endpoint("Top up a stored-value card (bonus accounted apart)", tag="finance", roles=TILL, body=TopUpCreate,
              response=CardOut, status=201, idempotent=True)
    def on_post(self, req, resp, card_id: str):
        return self.call(req, "finance", "top_up_card", card_id=card_id, data=scoped(req, "body_json"),
                         idempotency_key=_service_key(req))


class MemberCardCancel(Resource):
    @endpoint("Cancel a card: the unused paid balance goes back, the bonus is forfeited (manager)",
              tag="finance", roles=MANAGERS, body=CardCancel, response=CardOut)
    def on_post(self, req, resp, card_id: str):
        return self.call(req, "finance", "cancel_card", card_id=card_id, data=req.context.body_json)


class Expenses(Resource):
    @endpoint("Record a store expense (rent, utilities, wages, purchases …) with receipt references",
              tag="finance", roles=MANAGERS, body=ExpenseCreate, response=ExpenseOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        return self.call(req, "finance", "record_expense", data=scoped(req, "body_json"))

    @endpoint("Expenses of a store, newest first", tag="finance", roles=MANAGERS, query=ExpenseQuery,
              response=ExpenseOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_expenses", query=checked(req))


class DailyClose(Resource):
    @endpoint("The store's day (日结): takings per method, invoices, refunds, receivables, cash expected",
              tag="finance", roles=TILL, query=DailyCloseQuery, response=DailyCloseOut)
    def on_get(self, req, resp):
        return self.call(req, "finance", "daily_close", query=checked(req))

    @endpoint("Close the store's day with the cash counted (manager); the day then takes no more postings",
              tag="finance", roles=MANAGERS, body=DailyCloseCreate, response=DailyCloseOut, status=201)
    def on_post(self, req, resp):
        return self.call(req, "finance", "close_day", data=checked(req, "body_json"))


class Commissions(Resource):
    @endpoint("Monthly commission per employee with target achievement", tag="finance", roles=MANAGERS,
              query=StoreMonthQuery, response=CommissionsOut)
    def on_get(self, req, resp):
        return self.call(req, "finance", "commissions", query=checked(req))


class MonthCloses(Resource):
    @endpoint("The store's last twelve months: over or not, closed (月结) or not", tag="finance", roles=MANAGERS,
              query=MonthCloseQuery, response=MonthClosesOut)
    def on_get(self, req, resp):
        return self.call(req, "finance", "month_closes", query=checked(req))

    @endpoint("Close the store's month once it is over (manager): nothing is dated in it any more; a late posting "
              "lands on the first open day after it", tag="finance", roles=MANAGERS, body=MonthCloseCreate,
              response=MonthCloseOut, status=201)
    def on_post(self, req, resp):
        return self.call(req, "finance", "close_month", data=checked(req, "body_json"))


class Retention(Resource):
    @endpoint("Customer retention: the customers whose first invoice fell in each month, and how many came back "
              "within 90, 180 and 365 days (null while a window is not over)", tag="finance", roles=MANAGERS,
              query=RetentionQuery, response=RetentionOut)
    def on_get(self, req, resp):
        return self.call(req, "finance", "retention", query=checked(req))


class CustomerSources(Resource):
    @endpoint("Customer source (客户来源): per source, the customers registered over the days at the stores asked "
              "about, how many of them were invoiced there over the days, and their revenue; crm's customers "
              "joined with finance's figures, one call to each", tag="finance", roles=MANAGERS, query=SourceQuery,
              response=CustomerSourcesOut)
    def on_get(self, req, resp):
        query = checked(req)
        scope = {name: query[name] for name in ("store_id", "from", "to") if query.get(name)}
        groups = self.call(req, "crm", "new_customers_by_source", query=scope)["items"]
        everyone = [customer for group in groups for customer in group["customer_ids"]]
        figures = {row["customer_id"]: row for row in self.call(
            req, "finance", "customer_figures", query={**scope, "customer_ids": everyone})["items"]} \
            if everyone else {}
        rows = [source_row(group["source"] or "unrecorded",
                           [figures.get(customer) for customer in group["customer_ids"]])
                for group in groups]
        total = {name: sum(row[name] for row in rows)
                 for name in ("new_customers", "customers_visited", "invoices", "revenue_fen")}
        return {"from": query["from"], "to": query["to"], "items": rows, "total": {"source": None, **total}}


def source_row(source: str | None, figures: list[dict | None]) -> dict:
    """A source's row from its new customers' figures (None: not invoiced)."""
    invoiced = [row for row in figures if row]
    return {"source": source, "new_customers": len(figures), "customers_visited": len(invoiced),
            "invoices": sum(row["invoices"] for row in invoiced),
            "revenue_fen": sum(row["revenue_fen"] for row in invoiced)}


class CampaignResults(Resource):
    @endpoint("Campaign results (营销活动效果): per campaign, the messages sent over the days (and those skipped "
              "for the customer's weekly marketing allowance), how many of those "
              "customers were invoiced at the stores asked about from the send's day to `within_days` after "
              "(default 30), and those invoices' revenue. Asked by store (a store manager: always), a chain-wide "
              "campaign counts its sends to the stores' home customers; crm's sends joined with finance's "
              "figures, one call to each", tag="finance", roles=MANAGERS, query=CampaignResultsQuery,
              response=CampaignResultsOut)
    def on_get(self, req, resp):
        query = checked(req)
        scope = {name: query[name] for name in ("store_id", "from", "to") if query.get(name)}
        within = int(query.get("within_days", 30))
        campaigns = self.call(req, "crm", "campaign_sends", query=scope)["items"]
        windows = sorted({(send["customer_id"], send["day"]) for campaign in campaigns for send in campaign["sends"]})
        asked = [{"customer_id": customer, "from": day, "to": (date.fromisoformat(day) + timedelta(days=within))
                  .isoformat()} for customer, day in windows]
        figures = {(row["customer_id"], row["from"]): row for row in self.call(
            req, "finance", "window_figures", query={"windows": asked, **({"store_id": scope["store_id"]}
                                                                          if "store_id" in scope else {})})["items"]} \
            if asked else {}
        rows = [campaign_row(campaign, [figures.get((send["customer_id"], send["day"])) for send in campaign["sends"]])
                for campaign in campaigns]
        total = {name: sum(row[name] for row in rows)
                 for name in ("messages_sent", "messages_skipped", "customers_visited", "invoices", "revenue_fen")}
        return {"from": query["from"], "to": query["to"], "within_days": within, "items": rows,
                "total": {"campaign_id": None, "name": None, "store_id": None, "channel": None, **total}}


def campaign_row(campaign: dict, figures: list[dict | None]) -> dict:
    """A campaign's row from its sends' figures (None: not invoiced within the window)."""
    came = [row for row in figures if row]
    return {"campaign_id": campaign["campaign_id"], "name": campaign["name"], "store_id": campaign["store_id"],
            "channel": campaign["channel"], "messages_sent": len(figures),
            "messages_skipped": campaign.get("skipped", 0), "customers_visited": len(came),
            "invoices": sum(row["invoices"] for row in came), "revenue_fen": sum(row["revenue_fen"] for row in came)}


class CardLiabilities(Resource):
    @endpoint("Membership card liabilities (储值卡负债) as they stand: per issuing store, the open stored-value cards' "
              "paid (principal) and bonus balances and the packages' unredeemed value, beside the ledger's 2205 + "
              "2206 and the difference (0 when they agree); the total row", tag="finance", roles=MANAGERS,
              query=CardLiabilitiesQuery, response=CardLiabilitiesOut)
    def on_get(self, req, resp):
        return self.call(req, "finance", "card_liabilities", query=checked(req))


class Pnl(Resource):
    @endpoint("Profit and loss for a month (one store, or the caller's stores)", tag="finance", roles=MANAGERS,
              query=MonthQuery, response=PnlOut)
    def on_get(self, req, resp):
        return self.call(req, "finance", "pnl", query=checked(req))


class TrialBalance(Resource):
    @endpoint("Trial balance of the journal as of a day (one store, or the caller's stores)", tag="finance",
              roles=MANAGERS, query=TrialBalanceQuery, response=TrialBalanceOut)
    def on_get(self, req, resp):
        return self.call(req, "finance", "trial_balance", query=checked(req))


class Reconciliation(Resource):
    """finance's sides and inventory's valuation, one call each in parallel whatever the number of
    stores, joined by `reconcile` (finance's rule)."""

    @endpoint("Prove the books close: per store, the journal's debits beside its credits, the inventory (1405) and "
              "goods-in-transit (1402) accounts beside inventory's valuation, payables (2202) beside the open "
              "supplier invoices, goods received not invoiced (2209) beside inventory's receipts less what booked "
              "supplier invoices matched, receivables (1122) beside the open customer invoices, with the "
              "difference of each (0 once the stock events are booked)", tag="finance", roles=MANAGERS,
              query=ReconciliationQuery, response=ReconciliationOut)
    def on_get(self, req, resp):
        query = checked(req)
        found = self.call_all(req, {"books": ("finance", "book_sides", {"query": query}),
                                    "stock": ("inventory", "valuation", {"query": query})})
        return reconcile(found["books"]["stores"], found["stock"]["stores"])


class JournalEntries(Resource):
    @endpoint("Journal entries of a store, newest first (filters date, source_type, source_id)", tag="finance",
              roles=MANAGERS, query=JournalQuery, response=JournalEntryOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "journal", query=checked(req))


class Accounts(Resource):
    @endpoint("The chart of accounts", tag="finance", roles=MANAGERS, query=ListQuery, response=AccountOut,
              paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "chart_of_accounts")


class Settlements(Resource):
    @endpoint("What other stores owe this store for member cards, and what it owes them (unsettled)",
              tag="finance", roles=MANAGERS, query=SettlementQuery, response=SettlementPositionsOut)
    def on_get(self, req, resp):
        return self.call(req, "finance", "settlement_positions", query=checked(req))

    @endpoint("Settle the net card balance between two stores by bank transfer (HQ)", tag="finance",
              roles=HQ, body=SettleRequest, response=SettlementOut, status=201,
              idempotent=True)
    def on_post(self, req, resp):
        return self.call(req, "finance", "settle_between", data=req.context.body_json)


class CommissionRule(Resource):
    @endpoint("The store's commission rule", tag="finance", roles=MANAGERS, response=CommissionRuleOut)
    def on_get(self, req, resp, store_id: str):
        require_store(req.context.principal, store_id)
        return self.call(req, "finance", "get_commission_rule", store_id=store_id)

    @endpoint("Set the store's commission rule", tag="finance", roles=MANAGERS, body=CommissionRuleIn,
              response=CommissionRuleOut)
    def on_put(self, req, resp, store_id: str):
        require_store(req.context.principal, store_id)
        return self.call(req, "finance", "set_commission_rule", store_id=store_id, data=req.context.body_json)


class CommissionTargets(Resource):
    @endpoint("Set an employee's monthly target", tag="finance", roles=MANAGERS, body=TargetIn,
              response=TargetOut)
    def on_put(self, req, resp, store_id: str):
        require_store(req.context.principal, store_id)
        return self.call(req, "finance", "set_commission_target", store_id=store_id, data=req.context.body_json)


class KpiTargets(Resource):
    @endpoint("The store's monthly KPI targets from `from` to `to` (months, at most 24)", tag="finance",
              roles=MANAGERS, query=KpiTargetsQuery, response=KpiTargetsOut, paginated=True)
    def on_get(self, req, resp, store_id: str):
        require_store(req.context.principal, store_id)
        return self.call(req, "finance", "kpi_targets", store_id=store_id, query=req.context.query_json)


class KpiTargetsMonth(Resource):
    @endpoint("Set the store's KPI targets for a month (YYYY-MM): revenue and cars for the whole month, rates and "
              "satisfaction as the month's level; a KPI left out or null has none", tag="finance", roles=MANAGERS,
              body=KpiTargetsIn, response=KpiTargetsOut)
    def on_put(self, req, resp, store_id: str, month: str):
        require_store(req.context.principal, store_id)
        return self.call(req, "finance", "set_kpi_targets", store_id=store_id, month=month,
                         data=req.context.body_json)


class FinanceSettings(Resource):
    @endpoint("The store's finance settings (time zone of its business day, refund approval limit, the 许可证号 "
              "and registered name its repair health records are uploaded under)",
              tag="finance", roles=MANAGERS, response=SettingsOut)
    def on_get(self, req, resp, store_id: str):
        require_store(req.context.principal, store_id)
        return self.call(req, "finance", "get_settings", store_id=store_id)

    @endpoint("Change the store's finance settings", tag="finance", roles=MANAGERS, body=SettingsPatch,
              response=SettingsOut)
    def on_patch(self, req, resp, store_id: str):
        require_store(req.context.principal, store_id)
        return self.call(req, "finance", "update_settings", store_id=store_id, changes=req.context.body_json)


class ProviderAccounts(Resource):
    @endpoint("The merchant and tax accounts the store uses at the payment, fapiao and health-record providers: "
              "the chain's or the store's own (its keys file), with their ids — merchant numbers, app ids, the "
              "seller's tax number — never a key, token or password", tag="finance", roles=MANAGERS,
              response=ProviderAccountsOut)
    def on_get(self, req, resp, store_id: str):
        require_store(req.context.principal, store_id)
        return self.call(req, "finance", "provider_accounts", store_id=store_id,
                         store_code=self.store_keys(store_id)[0])


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/invoices", Invoices(deps)),
        ("/v1/invoices/{invoice_id}", InvoiceItem(deps)),
        ("/v1/invoices/{invoice_id}/payments", InvoicePayments(deps)),
        ("/v1/invoices/{invoice_id}/void", InvoiceVoid(deps)),
        ("/v1/invoices/{invoice_id}/reissue", InvoiceReissue(deps)),
        ("/v1/payments", Payments(deps)),
        ("/v1/payments/{payment_id}", PaymentItem(deps)),
        ("/v1/payments/{payment_id}/refunds", PaymentRefunds(deps)),
        ("/v1/member-cards", MemberCards(deps)),
        ("/v1/member-cards/{card_id}", MemberCardItem(deps)),
        ("/v1/member-cards/{card_id}/top-ups", MemberCardTopUps(deps)),
        ("/v1/member-cards/{card_id}/cancel", MemberCardCancel(deps)),
        ("/v1/expenses", Expenses(deps)),
        ("/v1/reports/daily-close", DailyClose(deps)),
        ("/v1/reports/kpis", Kpis(deps)),
        ("/v1/reports/commissions", Commissions(deps)),
        ("/v1/reports/people", People(deps)),
        ("/v1/reports/pnl", Pnl(deps)),
        ("/v1/reports/retention", Retention(deps)),
        ("/v1/reports/customer-sources", CustomerSources(deps)),
        ("/v1/reports/campaigns", CampaignResults(deps)),
        ("/v1/reports/card-liabilities", CardLiabilities(deps)),
        ("/v1/ledger/trial-balance", TrialBalance(deps)),
        ("/v1/ledger/month-closes", MonthCloses(deps)),
        ("/v1/ledger/reconciliation", Reconciliation(deps)),
        ("/v1/ledger/settlements", Settlements(deps)),
        ("/v1/ledger/entries", JournalEntries(deps)),
        ("/v1/ledger/accounts", Accounts(deps)),
        ("/v1/stores/{store_id}/commission-rule", CommissionRule(deps)),
        ("/v1/stores/{store_id}/commission-targets", CommissionTargets(deps)),
        ("/v1/stores/{store_id}/finance-settings", FinanceSettings(deps)),
        ("/v1/stores/{store_id}/provider-accounts", ProviderAccounts(deps)),
        ("/v1/stores/{store_id}/kpi-targets", KpiTargets(deps)),
        ("/v1/stores/{store_id}/kpi-targets/{month}", KpiTargetsMonth(deps)),
    ]
