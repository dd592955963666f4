"""Company accounts (挂账, finance): accounts with their billing title and credit terms, members
(crm's customers and cars), invoices charged to an account at the till, the company's payments,
monthly statements. The stores an account names decide who sees it (checked in finance)."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.policy import MANAGERS, TILL
from services.contracts.rpc.finance import (AccountChargeCreate, AccountChargeOut, AccountPaymentCreate,
                                            AccountPaymentOut, AccountStatementOut, AccountStatementQuery,
                                            CompanyAccountCreate, CompanyAccountOut, CompanyAccountPatch,
                                            CompanyAccountQuery, InvoiceOut, MemberCreate, MemberOut)

from ..api import endpoint
from . import Resource, checked
from .finance import _service_key


class AccountChargeResult(Schema):
    charge = fields.Nested(AccountChargeOut)
    invoice = fields.Nested(InvoiceOut)


class CompanyAccounts(Resource):
    @endpoint("Open a company account (HQ for any stores, a manager for their own): name and unified social "
              "credit code, contact, credit limit, payment terms, the stores that may charge to it",
              tag="finance", roles=MANAGERS, body=CompanyAccountCreate, response=CompanyAccountOut, status=201)
    def on_post(self, req, resp):
        account = self.call(req, "finance", "create_company_account", data=req.context.body_json)
        resp.location = f"/v1/company-accounts/{account['id']}"
        return account

    @endpoint("Company accounts the caller's stores may charge to, by name (`invoice_id`: those that invoice "
              "may be charged to; 404 when there is no such invoice)", tag="finance", roles=TILL,
              query=CompanyAccountQuery, response=CompanyAccountOut, paginated=True, errors=(404,))
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_company_accounts", query=checked(req))


class CompanyAccountItem(Resource):
    @endpoint("A company account with its members, balance and credit left", tag="finance", roles=TILL,
              response=CompanyAccountOut)
    def on_get(self, req, resp, account_id: str):
        return self.call(req, "finance", "get_company_account", account_id=account_id)

    @endpoint("Change an account's contact, credit limit, terms, stores, or suspend it (manager)", tag="finance",
              roles=MANAGERS, body=CompanyAccountPatch, response=CompanyAccountOut)
    def on_patch(self, req, resp, account_id: str):
        return self.call(req, "finance", "update_company_account", account_id=account_id,
                         changes=req.context.body_json)


class CompanyAccountMembers(Resource):
    @endpoint("Add a customer or a car whose invoices may be charged to the account (manager)", tag="finance",
              roles=MANAGERS, body=MemberCreate, response=MemberOut, status=201)
    def on_post(self, req, resp, account_id: str):
        return self.call(req, "finance", "add_company_account_member", account_id=account_id,
                         data=req.context.body_json)


class CompanyAccountStatements(Resource):
    @endpoint("The account's monthly statement: balance brought forward, each car's invoice charged and each "
              "payment with the running balance, the balance carried and when the month falls due",
              tag="finance", roles=TILL, query=AccountStatementQuery, response=AccountStatementOut)
    def on_get(self, req, resp, account_id: str):
        return self.call(req, "finance", "company_account_statement", account_id=account_id, query=checked(req))


class CompanyAccountPayments(Resource):
    @endpoint("The company pays its account: the oldest open charges at the caller's stores are cleared "
              "(Dr bank or cash · Cr receivables at each charge's store)", tag="finance", roles=TILL,
              body=AccountPaymentCreate, response=AccountPaymentOut, status=201, idempotent=True)
    def on_post(self, req, resp, account_id: str):
        return self.call(req, "finance", "receive_account_payment", account_id=account_id,
                         data=req.context.body_json, idempotency_key=_service_key(req))


class InvoiceAccountCharges(Resource):
    @endpoint("Charge (part of) an invoice's due to a company account its customer or car belongs to, within "
              "the credit limit (above it: 409 `credit_limit_exceeded`, unless a manager gives a reason)",
              tag="finance", roles=TILL, body=AccountChargeCreate, response=AccountChargeResult, status=201,
              idempotent=True)
    def on_post(self, req, resp, invoice_id: str):
        return self.call(req, "finance", "charge_invoice_to_account", invoice_id=invoice_id,
                         data=req.context.body_json, idempotency_key=_service_key(req))


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/company-accounts", CompanyAccounts(deps)),
        ("/v1/company-accounts/{account_id}", CompanyAccountItem(deps)),
        ("/v1/company-accounts/{account_id}/members", CompanyAccountMembers(deps)),
        ("/v1/company-accounts/{account_id}/statements", CompanyAccountStatements(deps)),
        ("/v1/company-accounts/{account_id}/payments", CompanyAccountPayments(deps)),
        ("/v1/invoices/{invoice_id}/account-charges", InvoiceAccountCharges(deps)),
    ]
