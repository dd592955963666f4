"""What the sales service's RPC methods take and answer (the gateway's requests, the API's answers),
one module per area of `services/sales/domain/`; `customer` holds the car owner's views (`/c/v1/`)."""
from .appointments import APPOINTMENT_STATES, AppointmentCreate, AppointmentListQuery, AppointmentOut
from .catalogue import (CATEGORIES, LabourOperationCreate, LabourOperationListQuery, LabourOperationOut,
                        LabourOperationPatch, OperationPart, PRICE_KINDS, PackageCreate, PackageItemIn, PackageItemOut,
                        PackagePatch,
                        PackageListQuery, PackageOut, PriceEntryCreate, PriceEntryOut, PriceListQuery,
                        VehicleClassRuleIn, VehicleClassRuleOut)
from .market import (CompetitorPriceCreate, CompetitorPriceOut, CompetitorPriceQuery, PriceComparisonOut,
                     PriceComparisonQuery)
from .orders import ORDER_STATES, OrderLineOut, OrderListQuery, OrderOut
from .quotes import (APPROVAL_STATES, AddPackageIn, AdvisorScorecard, AdvisorScorecardsOut, AdvisorScorecardsQuery,
                      ApprovalIn, ContractIn, DISCOUNT_KINDS, DecisionIn, DiscountValue,
                     PAYMENT_METHODS, QUOTE_STATES, QuoteCreate, QuoteDiscountIn, QuoteLineCreate, QuoteLineOut,
                     QuoteListQuery, QuoteOut, QuoteStatsOut, QuoteStatsQuery, QuoteVersionOut, RejectionIn, TotalsOut)
from .reception import (DeclinedWorkOut, DeclinedWorkQuery, OptionalReasonIn, ReasonIn, TestDriveCreate,
                        TestDriveListQuery, TestDriveOut, TestDriveReturn, TestDriveStart, VisitCreate, VisitListQuery,
                        VisitOut)
from .settings import SalesSettingsOut, SalesSettingsPut
from services.contracts.sales import LINE_KINDS

from .shared import Rate

__all__ = [
    "AdvisorScorecard", "AdvisorScorecardsOut", "AdvisorScorecardsQuery",
    "CompetitorPriceCreate", "CompetitorPriceOut", "CompetitorPriceQuery", "PriceComparisonOut", "PriceComparisonQuery",
    "APPOINTMENT_STATES", "APPROVAL_STATES", "AddPackageIn", "AppointmentCreate", "AppointmentListQuery",
    "AppointmentOut", "ApprovalIn", "CATEGORIES", "ContractIn", "DISCOUNT_KINDS", "DecisionIn", "DeclinedWorkOut",
    "DeclinedWorkQuery", "DiscountValue", "LINE_KINDS", "LabourOperationCreate", "LabourOperationListQuery",
    "LabourOperationOut", "LabourOperationPatch", "ORDER_STATES", "OperationPart", "OptionalReasonIn", "OrderLineOut",
    "OrderListQuery", "OrderOut", "PAYMENT_METHODS", "PRICE_KINDS", "PackageCreate", "PackageItemIn", "PackagePatch",
    "PackageItemOut", "PackageListQuery", "PackageOut", "PriceEntryCreate", "PriceEntryOut", "PriceListQuery",
    "QUOTE_STATES", "QuoteCreate", "QuoteDiscountIn", "QuoteLineCreate", "QuoteLineOut", "QuoteListQuery", "QuoteOut",
    "QuoteStatsOut", "QuoteStatsQuery", "QuoteVersionOut", "Rate", "ReasonIn", "RejectionIn", "SalesSettingsOut",
    "SalesSettingsPut", "TestDriveCreate", "TestDriveListQuery", "TestDriveOut", "TestDriveReturn", "TestDriveStart",
    "TotalsOut", "VehicleClassRuleIn", "VehicleClassRuleOut", "VisitCreate", "VisitListQuery", "VisitOut",
]
