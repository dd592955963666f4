"""Insurers' claims (事故车, finance): insurers, the share of an invoice put on an insurer at the till under
the claim's number (报案号), the claims, the insurer's remittances against named claims and a manager's
write-off, the statement per insurer. The stores an insurer names decide who sees it (checked in finance)."""
from __future__ import annotations

from marshmallow import Schema, fields

from services.common.policy import MANAGERS, TILL
from services.contracts.rpc.finance import InvoiceOut
from services.contracts.rpc.finance.insurers import (ClaimCreate, ClaimOut, ClaimQuery, InsurerCreate, InsurerOut,
                                                     InsurerPatch, InsurerQuery, InsurerStatementOut,
                                                     InsurerStatementQuery, RemittanceCreate, RemittanceOut,
                                                     WriteOffCreate)

from ..api import endpoint
from . import Resource, checked
from .finance import _service_key


class ClaimResult(Schema):
    claim = fields.Nested(ClaimOut)
    invoice = fields.Nested(InvoiceOut)


class Insurers(Resource):
    @endpoint("Set up an insurer (保险公司; HQ for any stores, a manager for their own): its name, the claims "
              "adjuster to call, the stores that may put claims on it (409 `insurer_taken` for a name twice)",
              tag="finance", roles=MANAGERS, body=InsurerCreate, response=InsurerOut, status=201)
    def on_post(self, req, resp):
        insurer = self.call(req, "finance", "create_insurer", data=req.context.body_json)
        resp.location = f"/v1/insurers/{insurer['id']}"
        return insurer

    @endpoint("Insurers the caller's stores may put claims on, by name, with what their claims leave open",
              tag="finance", roles=TILL, query=InsurerQuery, response=InsurerOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_insurers", query=checked(req))


class InsurerItem(Resource):
    @endpoint("An insurer with what its claims leave open", tag="finance", roles=TILL, response=InsurerOut)
    def on_get(self, req, resp, insurer_id: str):
        return self.call(req, "finance", "get_insurer", insurer_id=insurer_id)

    @endpoint("Change an insurer's contact or stores, or suspend it (manager)", tag="finance", roles=MANAGERS,
              body=InsurerPatch, response=InsurerOut)
    def on_patch(self, req, resp, insurer_id: str):
        return self.call(req, "finance", "update_insurer", insurer_id=insurer_id, changes=req.context.body_json)


class InsurerStatement(Resource):
    @endpoint("The insurer's statement: each claim (报案号, plate, invoice, day, amount, paid, written off, open, "
              "age) at the caller's stores, the totals of the rows and the open claims' ageing", tag="finance",
              roles=TILL, query=InsurerStatementQuery, response=InsurerStatementOut)
    def on_get(self, req, resp, insurer_id: str):
        return self.call(req, "finance", "insurer_statement", insurer_id=insurer_id, query=checked(req))


class InsurerRemittances(Resource):
    @endpoint("The insurer's remittance (赔款到账) against the claims it names, each up to what it leaves open "
              "(409 `claim_remittance_above_open`): Dr bank or cash · Cr receivables at each claim's store (manager)",
              tag="finance", roles=MANAGERS, body=RemittanceCreate, response=RemittanceOut, status=201,
              idempotent=True)
    def on_post(self, req, resp, insurer_id: str):
        return self.call(req, "finance", "receive_claim_remittance", insurer_id=insurer_id,
                         data=req.context.body_json, idempotency_key=_service_key(req))


class InsuranceClaims(Resource):
    @endpoint("Claims on insurers at the caller's stores (or one), oldest first: by insurer, invoice, state, "
              "or part of the claim number or plate", tag="finance", roles=TILL, query=ClaimQuery,
              response=ClaimOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_insurance_claims", query=checked(req))


class InsuranceClaimItem(Resource):
    @endpoint("A claim on an insurer", tag="finance", roles=TILL, response=ClaimOut)
    def on_get(self, req, resp, claim_id: str):
        return self.call(req, "finance", "get_insurance_claim", claim_id=claim_id)


class InsuranceClaimWriteOff(Resource):
    @endpoint("Write off what the insurer will not pay of a claim, with the reason (manager): Dr refunds and "
              "allowances · Cr receivables; the claim is closed (409 `claim_state` when nothing is open)",
              tag="finance", roles=MANAGERS, body=WriteOffCreate, response=ClaimOut)
    def on_post(self, req, resp, claim_id: str):
        return self.call(req, "finance", "write_off_insurance_claim", claim_id=claim_id, data=req.context.body_json)


class InvoiceInsuranceClaims(Resource):
    @endpoint("Put the insurer's share of an accident repair's invoice on the insurer under the claim's number "
              "(报案号, once per insurer: 409 `claim_number_taken`), with the assessed amount (定损金额) when known; "
              "the customer pays the rest at the till", tag="finance", roles=TILL, body=ClaimCreate,
              response=ClaimResult, status=201, idempotent=True)
    def on_post(self, req, resp, invoice_id: str):
        return self.call(req, "finance", "put_invoice_on_insurer", invoice_id=invoice_id,
                         data=req.context.body_json, idempotency_key=_service_key(req))


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/insurers", Insurers(deps)),
        ("/v1/insurers/{insurer_id}", InsurerItem(deps)),
        ("/v1/insurers/{insurer_id}/statement", InsurerStatement(deps)),
        ("/v1/insurers/{insurer_id}/remittances", InsurerRemittances(deps)),
        ("/v1/insurance-claims", InsuranceClaims(deps)),
        ("/v1/insurance-claims/{claim_id}", InsuranceClaimItem(deps)),
        ("/v1/insurance-claims/{claim_id}/write-off", InsuranceClaimWriteOff(deps)),
        ("/v1/invoices/{invoice_id}/insurance-claims", InvoiceInsuranceClaims(deps)),
    ]
