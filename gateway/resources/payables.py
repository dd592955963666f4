"""Accounts payable (finance): supplier invoices matched against inventory's purchase orders and
receipts, held mismatches decided by a manager, supplier payments, ageing and supplier statements;
the receivables ageing and the balance sheet. A supplier invoice's store is its purchase order's
(checked in finance)."""
from __future__ import annotations

from services.common.policy import MANAGERS
from services.contracts.rpc.finance import (AgeingQuery, BalanceSheetOut, BalanceSheetQuery, PayablesAgeingOut,
                                            ReceivablesWithAccountsOut, StatementQuery, SupplierCreditNoteCreate,
                                            SupplierCreditNoteOut, SupplierCreditNoteQuery, SupplierInvoiceCreate,
                                            SupplierInvoiceDecision, SupplierInvoiceOut, SupplierInvoiceQuery,
                                            SupplierPaymentCreate, SupplierPaymentOut, SupplierPaymentQuery,
                                            SupplierStatementOut)


from ..api import endpoint
from . import Resource, checked
from .finance import TILL, _service_key


class SupplierInvoices(Resource):
    @endpoint("Record a supplier's invoice for a purchase order: matched three ways (order price, goods received "
              "less returned and billed before, the invoice) within the price and quantity tolerances it is "
              "booked (Dr goods received not invoiced, input VAT · Cr payables); a mismatch is held for a manager",
              tag="finance", roles=TILL, body=SupplierInvoiceCreate, response=SupplierInvoiceOut, status=201,
              idempotent=True)
    def on_post(self, req, resp):
        invoice = self.call(req, "finance", "record_supplier_invoice", data=req.context.body_json,
                            idempotency_key=_service_key(req))
        resp.location = f"/v1/supplier-invoices/{invoice['id']}"
        return invoice

    @endpoint("Supplier invoices of a store, newest first (filters status, supplier_id, purchase_order_id)",
              tag="finance", roles=TILL, query=SupplierInvoiceQuery, response=SupplierInvoiceOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_supplier_invoices", query=checked(req))


class SupplierInvoiceItem(Resource):
    @endpoint("A supplier invoice with its match", tag="finance", roles=TILL, response=SupplierInvoiceOut)
    def on_get(self, req, resp, supplier_invoice_id: str):
        return self.call(req, "finance", "get_supplier_invoice", supplier_invoice_id=supplier_invoice_id)


class SupplierInvoiceDecisionResource(Resource):
    @endpoint("A manager approves a held supplier invoice (booked as it stands) or rejects it, with a reason",
              tag="finance", roles=MANAGERS, body=SupplierInvoiceDecision, response=SupplierInvoiceOut)
    def on_post(self, req, resp, supplier_invoice_id: str):
        return self.call(req, "finance", "decide_supplier_invoice", supplier_invoice_id=supplier_invoice_id,
                         data=req.context.body_json)


class SupplierPayments(Resource):
    @endpoint("Pay one supplier's booked invoices at one store, each in part or in full, from the bank or the "
              "till (Dr payables · Cr bank or cash); never more than an invoice leaves due. The supplier's "
              "unapplied credit notes at the store may be applied against them (`credits`): what is paid is the "
              "allocations less the credits, a credit applied once only (it books nothing: its note already "
              "took it off payables)", tag="finance",
              roles=MANAGERS, body=SupplierPaymentCreate, response=SupplierPaymentOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        return self.call(req, "finance", "pay_suppliers", data=req.context.body_json,
                         idempotency_key=_service_key(req))

    @endpoint("Supplier payments of a store, newest first", tag="finance", roles=MANAGERS,
              query=SupplierPaymentQuery, response=SupplierPaymentOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_supplier_payments", query=checked(req))


class SupplierCreditNotes(Resource):
    @endpoint("Record a supplier's credit note (红字发票), mostly for goods sent back after their invoice was booked: "
              "against the invoice (takes what it leaves due off it; the rest stands as a credit) or the purchase "
              "order (Dr payables · Cr input VAT · Cr goods received not invoiced)", tag="finance", roles=TILL,
              body=SupplierCreditNoteCreate, response=SupplierCreditNoteOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        return self.call(req, "finance", "record_supplier_credit_note", data=req.context.body_json,
                         idempotency_key=_service_key(req))

    @endpoint("Supplier credit notes of a store, newest first (filters supplier_id, supplier_invoice_id; open: "
              "only those with an unapplied rest)",
              tag="finance", roles=TILL, query=SupplierCreditNoteQuery, response=SupplierCreditNoteOut,
              paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_supplier_credit_notes", query=checked(req))


class PayablesAgeing(Resource):
    @endpoint("Accounts payable by days past due: per store and supplier, per store and for the caller's stores",
              tag="finance", roles=MANAGERS, query=AgeingQuery, response=PayablesAgeingOut)
    def on_get(self, req, resp):
        return self.call(req, "finance", "payables_ageing", query=checked(req))


class ReceivablesAgeing(Resource):
    @endpoint("Accounts receivable: invoices by days since issued (due at the till), company accounts' charges by "
              "days past their due date; per store, per account and for the caller's stores", tag="finance",
              roles=MANAGERS, query=AgeingQuery, response=ReceivablesWithAccountsOut)
    def on_get(self, req, resp):
        return self.call(req, "finance", "receivables_ageing", query=checked(req))


class SupplierStatement(Resource):
    @endpoint("A supplier's statement: opening balance, booked invoices and payments with the running balance",
              tag="finance", roles=MANAGERS, query=StatementQuery, response=SupplierStatementOut)
    def on_get(self, req, resp, supplier_id: str):
        return self.call(req, "finance", "supplier_statement", supplier_id=supplier_id, query=checked(req))


class BalanceSheet(Resource):
    @endpoint("Balance sheet as of a day (one store, or the caller's stores): assets, liabilities, equity with the "
              "earnings so far", tag="finance", roles=MANAGERS, query=BalanceSheetQuery, response=BalanceSheetOut)
    def on_get(self, req, resp):
        return self.call(req, "finance", "balance_sheet", query=checked(req))


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/supplier-invoices", SupplierInvoices(deps)),
        ("/v1/supplier-invoices/{supplier_invoice_id}", SupplierInvoiceItem(deps)),
        ("/v1/supplier-invoices/{supplier_invoice_id}/decision", SupplierInvoiceDecisionResource(deps)),
        ("/v1/supplier-payments", SupplierPayments(deps)),
        ("/v1/supplier-credit-notes", SupplierCreditNotes(deps)),
        ("/v1/reports/payables-ageing", PayablesAgeing(deps)),
        ("/v1/reports/receivables-ageing", ReceivablesAgeing(deps)),
        ("/v1/suppliers/{supplier_id}/statement", SupplierStatement(deps)),
        ("/v1/ledger/balance-sheet", BalanceSheet(deps)),
    ]
