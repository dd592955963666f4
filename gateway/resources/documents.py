"""Printed documents as PDF: the quote (报价单), the contract (维修合同), the work-order sheet
(施工单), the settlement statement (结算单), the monthly statements of company accounts (挂账对账单) and
insurers (保险理赔对账单). Each is rendered from its owning service's data,
read with the same RPC as its JSON endpoint, under that endpoint's roles; the service checks the
document's store, and the gateway again before fetching anything else. The customer, the vehicle,
the visit (mileage in) and, for the work-order sheet, the contract are fetched in parallel. The work-order
sheet and the settlement statement end with a findings page: the inspection's findings with their photos.
A car owner reads their own settlement statement under `/c/v1/`."""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import ClassVar

import falcon
from marshmallow import ValidationError

from services.common.policy import can_access_store, require_store
from services.contracts.rpc.finance.shared import MONTH

from ..api import endpoint, endpoint_of
from ..auth import CUSTOMER
from ..documents.account_statement import account_statement_sheet
from ..documents.insurer_statement import insurer_statement_sheet
from ..documents.layout import Sheet, StoreHeader, render
from ..documents.sheets import (Parties, contract_sheet, invoice_sheet, printed_findings, quote_sheet,
                               work_order_sheet)
from . import Resource
from .accounts import CompanyAccountStatements
from .insurers import InsurerStatements
from .finance import InvoiceItem
from .sales import OrderItem, QuoteItem
from .workshop import WorkOrderItem

TAG = "documents"
PDF = "application/pdf"
log = logging.getLogger(__name__)


def _roles_of(json_resource: type[Resource]) -> frozenset[str]:
    """The roles that may read the document as JSON may print it."""
    meta = endpoint_of(json_resource, "get")
    if meta is None or meta.roles is None:
        raise TypeError(f"{json_resource.__name__} declares no roles to read a document")
    return meta.roles


class Printout(Resource):
    def parties(self, req: falcon.Request, document: dict, **more: tuple[str, str, dict]) -> tuple[Parties, dict]:
        """The document's store, customer, vehicle and visit (and the `more` calls, by name), the
        RPCs in parallel, once the caller is known to see the document's store."""
        self.check_store(req, document["store_id"])
        calls = {"customer": ("crm", "get_customer", {"customer_id": document["customer_id"]}), **more}
        if document.get("vehicle_id"):
            calls["vehicle"] = ("crm", "get_vehicle", {"vehicle_id": document["vehicle_id"]})
        if document.get("visit_id"):
            calls["visit"] = ("sales", "get_visit", {"visit_id": document["visit_id"]})
        found = self.call_all(req, calls)
        store, time_zone = self.store_header(document["store_id"])
        return Parties(store, time_zone, found["customer"], found.get("vehicle"), found.get("visit")), found

    def check_store(self, req: falcon.Request, store_id: str) -> None:
        """Staff print within their stores (the service checked the document; this guards what is fetched next)."""
        require_store(req.context.principal, store_id)

    def store_header(self, store_id: str) -> tuple[StoreHeader, str]:
        store = self.store(store_id)
        if store is None:
            return StoreHeader(store_id), "Asia/Shanghai"
        return StoreHeader(store.name, store.address, store.phone), store.timezone

    def with_findings(self, sheet: Sheet, findings: list[dict]) -> Sheet:
        """The sheet with a findings page: the work order's inspection findings and their photos (thumbnails,
        read from the object store)."""
        photos = [[shot for shot in map(self.photo_bytes, finding["photos"]) if shot] for finding in findings]
        return dataclasses.replace(sheet, findings=printed_findings(findings, photos))

    def photo_bytes(self, attachment: dict) -> bytes | None:
        """An image attachment's thumbnail bytes to print, the photo itself while its thumbnail is being made
        (None for a video, a PDF or a file no longer stored)."""
        if attachment.get("kind") != "image":
            return None
        try:
            with self.deps.storage.open(attachment.get("thumbnail_key") or attachment["storage_key"]) as stored:
                return stored.read()
        except FileNotFoundError:
            log.warning("a finding's photo is no longer stored", extra={"attachment_id": attachment["id"]})
            return None

    @staticmethod
    def pdf(resp: falcon.Response, sheet: Sheet, filename: str) -> bytes:
        """The sheet rendered, shown inline; never cached (it carries the customer's details)."""
        resp.viewable_as = filename
        resp.cache_control = ["no-store"]
        return render(sheet)


class QuotePdf(Printout):
    @endpoint("The quote as a printable A4 PDF (报价单)", tag=TAG, roles=_roles_of(QuoteItem), produces=PDF)
    def on_get(self, req, resp, quote_id: str):
        quote = self.call(req, "sales", "get_quote", quote_id=quote_id)
        parties, _ = self.parties(req, quote)
        return self.pdf(resp, quote_sheet(quote, parties), f"quote-{quote['number']}.pdf")


class ContractPdf(Printout):
    @endpoint("The order's contract as a printable A4 PDF (维修合同)", tag=TAG, roles=_roles_of(OrderItem),
              produces=PDF)
    def on_get(self, req, resp, order_id: str):
        order = self.call(req, "sales", "get_order", order_id=order_id)
        parties, _ = self.parties(req, order)
        return self.pdf(resp, contract_sheet(order, parties), f"contract-{order['number']}.pdf")


class WorkOrderPdf(Printout):
    @endpoint("The work-order sheet technicians work from, as a printable A4 PDF (施工单)", tag=TAG,
              roles=_roles_of(WorkOrderItem), produces=PDF)
    def on_get(self, req, resp, work_order_id: str):
        work_order = self.call(req, "workshop", "get_work_order", work_order_id=work_order_id)
        parties, found = self.parties(
            req, work_order, order=("sales", "get_order", {"order_id": work_order["order_id"]}),
            findings=("workshop", "findings_for_print", {"work_order_id": work_order["id"]}))
        sheet = self.with_findings(work_order_sheet(work_order, found["order"], parties), found["findings"]["items"])
        return self.pdf(resp, sheet, f"work-order-{sheet.number}.pdf")


class InvoicePdf(Printout):
    @endpoint("The invoice's settlement statement as a printable A4 PDF (结算单)", tag=TAG,
              roles=_roles_of(InvoiceItem), produces=PDF)
    def on_get(self, req, resp, invoice_id: str):
        return self.statement(req, resp, self.call(req, "finance", "get_invoice", invoice_id=invoice_id))

    def statement(self, req: falcon.Request, resp: falcon.Response, invoice: dict) -> bytes:
        parties, found = self.parties(req, invoice,  # the order: whether its prices include VAT
                                      order=("sales", "get_order", {"order_id": invoice["order_id"]}))
        sheet = invoice_sheet(invoice, parties, tax_inclusive=found["order"]["tax_inclusive"])
        if work_order_id := found["order"].get("work_order_id"):
            findings = self.call(req, "workshop", "findings_for_print", work_order_id=work_order_id)["items"]
            sheet = self.with_findings(sheet, findings)
        return self.pdf(resp, sheet, f"invoice-{invoice['number']}.pdf")


class MonthlyStatementPdf(Printout):
    """A debtor's monthly statement (a company account's, an insurer's): finance checks the caller sees the
    debtor and the month's form; the header is the first of the debtor's stores the caller works at, the
    lines' stores are printed by name. A subclass names the RPCs reading the debtor (`reads`) and its month
    (`states`), how the sheet is laid out (`lay_out`) and the file's name (`filename`)."""
    reads: ClassVar[str]
    states: ClassVar[str]
    lay_out: ClassVar[Callable[[dict, dict, StoreHeader, dict[str, str]], Sheet]]

    def printed(self, req, resp, month: str, **ids):
        try:
            MONTH(month)
        except ValidationError:
            raise falcon.HTTPNotFound(title="not_found", description="A month is YYYY-MM.") from None
        found = self.call_all(req, {"debtor": ("finance", self.reads, ids),
                                    "statement": ("finance", self.states, {**ids, "query": {"month": month}})})
        debtor, statement = found["debtor"], found["statement"]
        principal = req.context.principal
        mine = [store_id for store_id in debtor["store_ids"] if can_access_store(principal, store_id)]
        header, _ = self.store_header((mine or debtor["store_ids"])[0])
        names = {}
        for store_id in {line["store_id"] for line in statement["lines"] if line.get("store_id")}:
            store = self.store(store_id)
            names[store_id] = store.name if store else store_id
        sheet = type(self).lay_out(statement, debtor, header, names)
        return self.pdf(resp, sheet, self.filename(statement))

    @staticmethod
    def filename(statement: dict) -> str:
        raise NotImplementedError


class AccountStatementPdf(MonthlyStatementPdf):
    """The company's monthly statement (挂账对账单)."""
    reads, states, lay_out = "get_company_account", "company_account_statement", account_statement_sheet
    on_get = endpoint(
        "The company account's monthly statement (month YYYY-MM) as a printable A4 PDF (挂账对账单): each car's "
        "invoice charged with date, store and amount, the payments received, the balances", tag=TAG,
        roles=_roles_of(CompanyAccountStatements), produces=PDF)(MonthlyStatementPdf.printed)

    @staticmethod
    def filename(statement: dict) -> str:
        return f"statement-{statement['tax_number']}-{statement['month']}.pdf"


class InsurerStatementPdf(MonthlyStatementPdf):
    """The insurer's monthly statement (保险理赔对账单)."""
    reads, states, lay_out = "get_insurer", "insurer_month_statement", insurer_statement_sheet
    on_get = endpoint(
        "The insurer's monthly statement (month YYYY-MM) as a printable A4 PDF (保险理赔对账单): the claims put "
        "on it with day, store, 报案号, plate and amount, the remittances, write-offs and voids of the month, "
        "each kind's total and the balances", tag=TAG, roles=_roles_of(InsurerStatements),
        produces=PDF)(MonthlyStatementPdf.printed)

    @staticmethod
    def filename(statement: dict) -> str:
        return f"insurer-statement-{statement['month']}.pdf"


class CustomerStatementPdf(InvoicePdf):
    """The car owner's own settlement statement, the same sheet staff print. Finance's customer view says
    whether the invoice is the caller's (another's: 404); only then are that invoice and its pieces read,
    as the system (a customer has no store that staff reads could be scoped to)."""

    @endpoint("One's own settlement statement as a printable A4 PDF (结算单; another's → 404)", tag="customer",
              roles=CUSTOMER, produces=PDF)
    def on_get(self, req, resp, invoice_id: str):
        Resource.call(self, req, "finance", "customer_invoice", invoice_id=invoice_id)  # 404 unless the caller's
        return self.statement(req, resp, self.call(req, "finance", "get_invoice", invoice_id=invoice_id))

    def call(self, req: falcon.Request, service: str, method: str, **kwargs):
        return self.deps.rpc.call(service, method, {"request_id": req.context.request_id}, **kwargs)

    def check_store(self, req: falcon.Request, store_id: str) -> None:
        """The ownership was checked by finance before anything was read."""


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/quotes/{quote_id}/pdf", QuotePdf(deps)),
        ("/v1/orders/{order_id}/contract.pdf", ContractPdf(deps)),
        ("/v1/work-orders/{work_order_id}/pdf", WorkOrderPdf(deps)),
        ("/v1/invoices/{invoice_id}/pdf", InvoicePdf(deps)),
        ("/c/v1/invoices/{invoice_id}/statement", CustomerStatementPdf(deps)),
        ("/v1/company-accounts/{account_id}/statements/{month}.pdf", AccountStatementPdf(deps)),
        ("/v1/insurers/{insurer_id}/statements/{month}.pdf", InsurerStatementPdf(deps)),
    ]
