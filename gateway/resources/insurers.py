"""Insurers' claims (事故车, finance): insurers, the share of an invoice put on an insurer at the till under
the claim's number (报案号), the claims, the insurer's remittances against named claims, a manager's
write-off and void, the statement per insurer and its monthly statement. The stores an insurer names decide
who sees it (checked in finance). The routes have a company account's shape (`debtors.py`)."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.policy import MANAGERS, TILL
from services.contracts.rpc.finance import InvoiceOut
from services.contracts.rpc.finance.insurers import (ClaimCreate, ClaimOut, ClaimQuery, InsurerCreate, InsurerMonthOut,
                                                     InsurerMonthQuery, InsurerOut, InsurerPatch, InsurerQuery,
                                                     InsurerStatementOut, InsurerStatementQuery, RemittanceCreate,
                                                     RemittanceOut, VoidCreate, WriteOffCreate)

from .debtors import Debtor, answered_by, declared


class ClaimResult(Schema):
    claim = fields.Nested(ClaimOut)
    invoice = fields.Nested(InvoiceOut)


class Insurers(Debtor):
    rpc = {"post": "create_insurer", "get": "list_insurers"}
    location = "/v1/insurers/{id}"
    on_post = declared(
        Debtor.submit, "Set up an insurer (保险公司; HQ for any stores, a manager for their own): its name, the "
        "claims adjuster to call, the stores that may put claims on it (409 `insurer_taken` for a name twice)",
        roles=MANAGERS, body=InsurerCreate, response=InsurerOut, status=201)
    on_get = declared(Debtor.query, "Insurers the caller's stores may put claims on, by name, with what their "
                      "claims leave open", roles=TILL, query=InsurerQuery, response=InsurerOut, paginated=True)


class InsurerItem(Debtor):
    rpc = {"get": "get_insurer", "patch": "update_insurer"}
    on_get = declared(Debtor.read, "An insurer with what its claims leave open", roles=TILL, response=InsurerOut)
    on_patch = declared(Debtor.change, "Change an insurer's contact or stores, or suspend it (manager)",
                        roles=MANAGERS, body=InsurerPatch, response=InsurerOut)


InsurerStatement = answered_by("get", "insurer_statement", Debtor.query, (
    "The insurer's statement: each claim (报案号, plate, invoice, day, amount, paid, written off, open, age) at "
    "the caller's stores, the totals of the rows and the open claims' ageing"),
    roles=TILL, query=InsurerStatementQuery, response=InsurerStatementOut)


InsurerStatements = answered_by("get", "insurer_month_statement", Debtor.query, (
    "The insurer's monthly statement at the caller's stores: the balance brought forward, the claims put on "
    "it, the remittances' shares, the write-offs and the voids of the month (each on its store's day), each "
    "kind's total, and the balance carried (brought forward + put on − remitted − written off − voided)"),
    roles=TILL, query=InsurerMonthQuery, response=InsurerMonthOut)


InsurerRemittances = answered_by("post", "receive_claim_remittance", Debtor.receive, (
    "The insurer's remittance (赔款到账) against the claims it names, each up to what it leaves open (409 "
    "`claim_remittance_above_open`): Dr bank or cash · Cr receivables at each claim's store (manager)"),
    roles=MANAGERS, body=RemittanceCreate, response=RemittanceOut, status=201, idempotent=True)


InsuranceClaims = answered_by("get", "list_insurance_claims", Debtor.query, (
    "Claims on insurers at the caller's stores (or one), oldest first: by insurer, invoice, state, or part "
    "of the claim number or plate"),
    roles=TILL, query=ClaimQuery, response=ClaimOut, paginated=True)


InsuranceClaimItem = answered_by("get", "get_insurance_claim", Debtor.read, "A claim on an insurer", roles=TILL,
                                 response=ClaimOut)


InsuranceClaimWriteOff = answered_by("post", "write_off_insurance_claim", Debtor.submit, (
    "Write off what the insurer will not pay of a claim, with the reason (manager): Dr refunds and "
    "allowances · Cr receivables; the claim is closed (409 `claim_state` when nothing is open)"),
    roles=MANAGERS, body=WriteOffCreate, response=ClaimOut)


InsuranceClaimVoid = answered_by("post", "void_insurance_claim", Debtor.submit, (
    "Void a claim put on an insurer by mistake (wrong insurer or 报案号, the customer pays after all), with the "
    "reason (manager): its amount is due on the invoice at the till again (Dr receivables the invoice · Cr "
    "receivables the insurer); 409 `claim_remitted` once the insurer remitted any of it, `claim_state` when "
    "it is closed"),
    roles=MANAGERS, body=VoidCreate, response=ClaimOut)


InvoiceInsuranceClaims = answered_by("post", "put_invoice_on_insurer", Debtor.receive, (
    "Put the insurer's share of an accident repair's invoice on the insurer under the claim's number (报案号, "
    "once per insurer among its claims not voided: 409 `claim_number_taken`), with the assessed amount (定损金额) "
    "when known; the customer pays the rest at the till"),
    roles=TILL, body=ClaimCreate, response=ClaimResult, status=201, idempotent=True)


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/insurers", Insurers(deps)),
        ("/v1/insurers/{insurer_id}", InsurerItem(deps)),
        ("/v1/insurers/{insurer_id}/statement", InsurerStatement(deps)),
        ("/v1/insurers/{insurer_id}/statements", InsurerStatements(deps)),
        ("/v1/insurers/{insurer_id}/remittances", InsurerRemittances(deps)),
        ("/v1/insurance-claims", InsuranceClaims(deps)),
        ("/v1/insurance-claims/{claim_id}", InsuranceClaimItem(deps)),
        ("/v1/insurance-claims/{claim_id}/write-off", InsuranceClaimWriteOff(deps)),
        ("/v1/insurance-claims/{claim_id}/void", InsuranceClaimVoid(deps)),
        ("/v1/invoices/{invoice_id}/insurance-claims", InvoiceInsuranceClaims(deps)),
    ]
