"""Company accounts (挂账, finance): accounts with their billing title and credit terms, members
(crm's customers and cars), invoices charged to an account at the till, the company's payments,
monthly statements. The stores an account names decide who sees it (checked in finance). The routes
have an insurer's shape (`debtors.py`)."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.policy import MANAGERS, TILL
from services.contracts.rpc.finance import (AccountChargeCreate, AccountChargeOut, AccountPaymentCreate,
                                            AccountPaymentOut, AccountStatementOut, AccountStatementQuery,
                                            CompanyAccountCreate, CompanyAccountOut, CompanyAccountPatch,
                                            CompanyAccountQuery, InvoiceOut, MemberCreate, MemberOut)

from .debtors import Debtor, answered_by, declared


class AccountChargeResult(Schema):
    charge = fields.Nested(AccountChargeOut)
    invoice = fields.Nested(InvoiceOut)


class CompanyAccounts(Debtor):
    rpc = {"post": "create_company_account", "get": "list_company_accounts"}
    location = "/v1/company-accounts/{id}"
    on_post = declared(
        Debtor.submit, "Open a company account (HQ for any stores, a manager for their own): name and unified "
        "social credit code, contact, credit limit, payment terms, the stores that may charge to it",
        roles=MANAGERS, body=CompanyAccountCreate, response=CompanyAccountOut, status=201)
    on_get = declared(
        Debtor.query, "Company accounts the caller's stores may charge to, by name (`invoice_id`: those that "
        "invoice may be charged to; 404 when there is no such invoice)", roles=TILL, query=CompanyAccountQuery,
        response=CompanyAccountOut, paginated=True, errors=(404,))


class CompanyAccountItem(Debtor):
    rpc = {"get": "get_company_account", "patch": "update_company_account"}
    on_get = declared(Debtor.read, "A company account with its members, balance and credit left", roles=TILL,
                      response=CompanyAccountOut)
    on_patch = declared(Debtor.change, "Change an account's contact, credit limit, terms, stores, or suspend it "
                        "(manager)", roles=MANAGERS, body=CompanyAccountPatch, response=CompanyAccountOut)


CompanyAccountMembers = answered_by("post", "add_company_account_member", Debtor.submit, (
    "Add a customer or a car whose invoices may be charged to the account (manager)"),
    roles=MANAGERS, body=MemberCreate, response=MemberOut, status=201)


CompanyAccountStatements = answered_by("get", "company_account_statement", Debtor.query, (
    "The account's monthly statement: balance brought forward, each car's invoice charged and each payment "
    "with the running balance, the balance carried and when the month falls due"),
    roles=TILL, query=AccountStatementQuery, response=AccountStatementOut)


CompanyAccountPayments = answered_by("post", "receive_account_payment", Debtor.receive, (
    "The company pays its account: the oldest open charges at the caller's stores are cleared (Dr bank or "
    "cash · Cr receivables at each charge's store)"),
    roles=TILL, body=AccountPaymentCreate, response=AccountPaymentOut, status=201, idempotent=True)


InvoiceAccountCharges = answered_by("post", "charge_invoice_to_account", Debtor.receive, (
    "Charge (part of) an invoice's due to a company account its customer or car belongs to, within the "
    "credit limit (above it: 409 `credit_limit_exceeded`, unless a manager gives a reason)"),
    roles=TILL, body=AccountChargeCreate, response=AccountChargeResult, status=201, idempotent=True)


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/company-accounts", CompanyAccounts(deps)),
        ("/v1/company-accounts/{account_id}", CompanyAccountItem(deps)),
        ("/v1/company-accounts/{account_id}/members", CompanyAccountMembers(deps)),
        ("/v1/company-accounts/{account_id}/statements", CompanyAccountStatements(deps)),
        ("/v1/company-accounts/{account_id}/payments", CompanyAccountPayments(deps)),
        ("/v1/invoices/{invoice_id}/account-charges", InvoiceAccountCharges(deps)),
    ]
