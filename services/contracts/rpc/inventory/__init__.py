"""What the inventory service's RPC methods take and answer (the gateway's requests, the API's answers),
one module per area of `services/inventory/domain/`."""
from .catalogue import (ADJUSTMENT_REASONS, AdjustmentCreate, AvailabilityHttpQuery, AvailabilityOut, AvailabilityQuery,
                        MOVEMENT_KINDS, MovementOut, MovementQuery, PartCreate, PartListQuery, PartOut, PartPatch,
                        StockOut, StockQuery, StockSettings, SupplierCreate, SupplierListQuery, SupplierOut,
                        SupplierPatch, TAX_CLASSES, TAX_RATES, UNITS)
from .purchasing import (PO_STATES, PurchaseOrderCreate, PurchaseOrderLineIn, PurchaseOrderLineOut,
                         PurchaseOrderListQuery, PurchaseOrderOut, ReceiptCreate, ReceiptLineIn, ReceiptLineOut,
                         ReceiptOut, SupplierReturnCreate, SupplierReturnLineIn, SupplierReturnLineOut,
                         SupplierReturnOut)
from .reports import (BatchOut, ExpiringQuery, LedgerCheckOut, LedgerCheckQuery, LedgerProblem, ReorderQuery,
                      ReorderSuggestionOut, SlowMoverOut, SlowMoverQuery, ValuationCategory, ValuationOut,
                      ValuationQuery, ValuationStore)
from .reservations import ReservationOut, ReservationQuery
from .shared import not_negative, positive_qty, store_filter
from .stocktakes import (STOCKTAKE_STATES, StocktakeCountIn, StocktakeCountOut, StocktakeCounts, StocktakeCreate,
                         StocktakeLineOut, StocktakeListQuery, StocktakeOut, StocktakePost)
from .transfers import (TRANSFER_STATES, TransferCreate, TransferLineIn, TransferLineOut, TransferListQuery,
                        TransferOut, TransferQtyLine, TransferReceive, TransferShip)

__all__ = [
    "ADJUSTMENT_REASONS", "AdjustmentCreate", "AvailabilityHttpQuery", "AvailabilityOut", "AvailabilityQuery",
    "BatchOut", "ExpiringQuery", "LedgerCheckOut", "LedgerCheckQuery", "LedgerProblem", "MOVEMENT_KINDS",
    "MovementOut", "MovementQuery", "PO_STATES", "PartCreate", "PartListQuery", "PartOut", "PartPatch",
    "PurchaseOrderCreate", "PurchaseOrderLineIn", "PurchaseOrderLineOut", "PurchaseOrderListQuery",
    "PurchaseOrderOut", "ReceiptCreate", "ReceiptLineIn", "ReceiptLineOut", "ReceiptOut", "ReorderQuery",
    "ReorderSuggestionOut", "ReservationOut", "ReservationQuery", "STOCKTAKE_STATES", "SlowMoverOut",
    "SlowMoverQuery", "StockOut", "StockQuery", "StockSettings", "StocktakeCountIn", "StocktakeCountOut",
    "StocktakeCounts", "StocktakeCreate", "StocktakeLineOut", "StocktakeListQuery", "StocktakeOut", "StocktakePost",
    "SupplierCreate", "SupplierListQuery", "SupplierOut", "SupplierPatch", "SupplierReturnCreate",
    "SupplierReturnLineIn", "SupplierReturnLineOut", "SupplierReturnOut", "TAX_CLASSES", "TAX_RATES",
    "TRANSFER_STATES", "TransferCreate", "TransferLineIn", "TransferLineOut", "TransferListQuery", "TransferOut",
    "TransferQtyLine", "TransferReceive", "TransferShip", "UNITS", "ValuationCategory", "ValuationOut",
    "ValuationQuery", "ValuationStore", "not_negative", "positive_qty", "store_filter",
]
