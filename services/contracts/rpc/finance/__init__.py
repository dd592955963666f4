"""What the finance service's RPC methods take and answer (the gateway's requests, the API's answers),
one module per area of `services/finance/domain/`; `customer` holds the car owner's views (`/c/v1/`)."""
from .accounts import (ACCOUNT_PAYMENT_METHODS, AccountAgeingOut, AccountAllocationOut, AccountChargeCreate,
                       AccountChargeOut, AccountPaymentCreate, AccountPaymentOut, AccountStatementLineOut,
                       AccountStatementOut, AccountStatementQuery, COMPANY_ACCOUNT_STATES, CompanyAccountCreate,
                       CompanyAccountOut, CompanyAccountPatch, CompanyAccountQuery, MemberCreate, MemberOut,
                       ReceivablesWithAccountsOut, stores)
from .ageing import (AgeingBuckets, AgeingQuery, PayablesAgeingOut, ReceivablesAgeingOut, StoreAgeingOut,
                     StoreReceivablesAgeingOut, SupplierAgeingOut)
from .books import EXPENSE_CATEGORIES, ExpenseCreate, ExpenseOut, ExpenseQuery, PAID_FROM
from .cards import (CARD_KINDS, CardCancel, CardCreate, CardOut, CardQuery, CardTransactionOut, MONEY_IN, PackageItemIn,
                    PackageItemOut, SettlementOut, SettlementPositionOut, SettlementPositionsOut, SettlementQuery,
                    SettleRequest, TopUpCreate)
from .close import DailyCloseCreate, DailyCloseOut, DailyCloseQuery
from .targets import (KpiTargetsIn, KpiTargetsOut, KpiTargetsQuery, RangeTargetOut, TargetMonth, TargetsOverOut,
                      TargetsOverQuery)
from .commission import (CommissionItemOut, CommissionRuleIn, CommissionRuleOut, CommissionsOut, PeopleFiguresOut,
                         PeopleFiguresQuery, PersonFiguresOut, TargetIn, TargetOut)
from .fapiao import (FAPIAO_STATES, FAPIAO_TYPES, FapiaoLineOut, FapiaoOut, FapiaoQuery, FapiaoRequest, RED_REASONS,
                     RedLetterRequest)
from .health_records import (HEALTH_RECORD_FAILURES, HEALTH_RECORD_NOTICES, HEALTH_RECORD_STATES, HealthRecordBackfill,
                             HealthRecordBackfillOut, HealthRecordOut, HealthRecordQuery, REPAIR_CATEGORIES,
                             UPLOADING_CATEGORIES)
from .intents import (NOTIFICATION_HEADERS_OF, PaymentIntentCreate, PaymentIntentOut, PaymentIntentQuery,
                      WECHATPAY_NOTIFICATION_HEADERS)
from .invoices import INVOICE_STATES, InvoiceLineOut, InvoiceOut, InvoiceQuery, RetentionOut, VoidRequest
from .provider_accounts import ProviderAccountsOut
from .ledger import (AccountBalanceOut, AccountOut, JournalEntryOut, JournalLineOut, JournalQuery, SettingsOut,
                     SettingsPatch, TrialBalanceOut, TrialBalanceQuery)
from .payables import (AllocationIn, AllocationOut, MatchIssueOut, POSITIVE_QTY, StatementLineOut, StatementQuery,
                       SUPPLIER_INVOICE_STATES, SUPPLIER_PAYMENT_METHODS, SupplierCreditNoteCreate,
                       SupplierCreditNoteOut, SupplierCreditNoteQuery, SupplierInvoiceCreate,
                       SupplierInvoiceDecision, SupplierInvoiceLineIn, SupplierInvoiceLineOut, SupplierInvoiceOut,
                       SupplierInvoiceQuery, SupplierPaymentCreate, SupplierPaymentOut, SupplierPaymentQuery,
                       SupplierStatementOut)
from .payments import PaymentCreate, PaymentQuery, PaymentResult
from .reconciliation import (AR, BalanceLineOut, BalanceSheetOut, BalanceSheetQuery, BookSidesOut, IN_TRANSIT,
                             InvariantOut, INVENTORY, PAYABLES, reconcile, ReconciliationOut, ReconciliationQuery,
                             SIDES, StoreReconciliationOut)
from .refunds import (REFUND_REQUEST_STATES, RefundCreate, RefundOut, RefundRequestCreate, RefundRequestDecline,
                      RefundRequestOut, RefundRequestQuery)
from .reports import ComparedKpiOut, KpiOut, KpiQuery, KpisOut, PeriodOut, PeriodQuery, PnlOut, TREND_DAYS
from .retention import KEPT_AFTER_ERASURE, LEGAL_BASIS, RETENTION
from .shared import METHODS, MONTH, MonthQuery, PaymentOut, positive, StoreMonthQuery

__all__ = [
    "PeopleFiguresOut", "PeopleFiguresQuery", "PersonFiguresOut",
    "ACCOUNT_PAYMENT_METHODS", "AR", "AccountAgeingOut", "AccountAllocationOut", "AccountBalanceOut",
    "AccountChargeCreate", "AccountChargeOut", "AccountOut", "AccountPaymentCreate", "AccountPaymentOut",
    "AccountStatementLineOut", "AccountStatementOut", "AccountStatementQuery", "AgeingBuckets", "AgeingQuery",
    "AllocationIn", "AllocationOut", "BalanceLineOut", "BalanceSheetOut", "BalanceSheetQuery", "BookSidesOut",
    "CARD_KINDS", "COMPANY_ACCOUNT_STATES", "CardCancel", "CardCreate", "CardOut", "CardQuery",
    "CardTransactionOut", "CommissionItemOut", "CommissionRuleIn", "CommissionRuleOut", "CommissionsOut",
    "CompanyAccountCreate", "CompanyAccountOut", "CompanyAccountPatch", "CompanyAccountQuery", "ComparedKpiOut",
    "DailyCloseCreate", "DailyCloseOut", "DailyCloseQuery", "EXPENSE_CATEGORIES", "ExpenseCreate", "ExpenseOut",
    "ExpenseQuery", "FAPIAO_STATES", "FAPIAO_TYPES", "FapiaoLineOut", "FapiaoOut", "FapiaoQuery", "FapiaoRequest",
    "HEALTH_RECORD_FAILURES", "HEALTH_RECORD_NOTICES", "HEALTH_RECORD_STATES", "HealthRecordBackfill",
    "HealthRecordBackfillOut", "HealthRecordOut", "HealthRecordQuery", "REPAIR_CATEGORIES", "UPLOADING_CATEGORIES",
    "INVENTORY", "INVOICE_STATES", "IN_TRANSIT", "InvariantOut", "InvoiceLineOut", "InvoiceOut", "InvoiceQuery",
    "JournalEntryOut", "JournalLineOut", "JournalQuery", "KEPT_AFTER_ERASURE", "KpiOut", "KpiQuery", "KpisOut",
    "LEGAL_BASIS", "METHODS", "MONEY_IN", "MONTH", "MatchIssueOut", "MemberCreate", "MemberOut", "MonthQuery",
    "NOTIFICATION_HEADERS_OF", "PAID_FROM", "PAYABLES", "POSITIVE_QTY", "PackageItemIn", "PackageItemOut",
    "PayablesAgeingOut", "PaymentCreate", "PaymentIntentCreate", "PaymentIntentOut", "PaymentIntentQuery",
    "PaymentOut", "PaymentQuery", "PaymentResult", "PeriodOut", "PeriodQuery", "PnlOut", "RED_REASONS", "RETENTION",
    "ReceivablesAgeingOut", "ReceivablesWithAccountsOut", "ReconciliationOut", "ReconciliationQuery",
    "RedLetterRequest", "REFUND_REQUEST_STATES", "RefundCreate", "RefundOut", "RefundRequestCreate",
    "RefundRequestDecline", "RefundRequestOut", "RefundRequestQuery", "RetentionOut", "SIDES",
    "SUPPLIER_INVOICE_STATES",
    "SUPPLIER_PAYMENT_METHODS", "SettingsOut", "SettingsPatch", "SettleRequest", "SettlementOut",
    "SettlementPositionOut", "SettlementPositionsOut", "SettlementQuery", "StatementLineOut", "StatementQuery",
    "StoreAgeingOut", "StoreMonthQuery", "StoreReceivablesAgeingOut", "StoreReconciliationOut", "SupplierAgeingOut",
    "SupplierCreditNoteCreate", "SupplierCreditNoteOut", "SupplierCreditNoteQuery",
    "SupplierInvoiceCreate", "SupplierInvoiceDecision", "SupplierInvoiceLineIn", "SupplierInvoiceLineOut",
    "SupplierInvoiceOut", "SupplierInvoiceQuery", "SupplierPaymentCreate", "SupplierPaymentOut",
    "SupplierPaymentQuery", "SupplierStatementOut", "TREND_DAYS", "TargetIn", "TargetOut", "TopUpCreate",
    "TrialBalanceOut", "TrialBalanceQuery", "VoidRequest", "WECHATPAY_NOTIFICATION_HEADERS", "positive",
    "reconcile", "stores", "KpiTargetsIn", "KpiTargetsOut", "KpiTargetsQuery", "RangeTargetOut", "TargetMonth",
    "TargetsOverOut", "TargetsOverQuery", "ProviderAccountsOut",
]
