"""The finance nameko service. Finance: invoices, payments, member cards, the double-entry ledger, reports."""
from services.common.entrypoints import ServiceBase


class FinanceService(ServiceBase):
    name = "finance"


SERVICE = FinanceService
