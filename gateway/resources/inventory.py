"""Parts, suppliers, stock per store, purchasing, transfers and stocktakes (owned by the
inventory service). The catalogue and suppliers are chain-wide; everything else belongs to a
store and is checked against the caller's stores here and again in the service."""
from __future__ import annotations

from services.common.policy import ALL_ROLES, HQ, MANAGERS
from services.contracts.rpc.inventory import (AdjustmentCreate, AvailabilityHttpQuery, AvailabilityOut, BatchOut,
                                              ExpiringQuery, LedgerCheckOut, LedgerCheckQuery, MovementOut,
                                              MovementQuery, PartCreate, PartListQuery, PartOut, PartPatch,
                                              PurchaseOrderCreate, PurchaseOrderListQuery, PurchaseOrderOut,
                                              ReceiptCreate, ReceiptOut, ReorderQuery, ReorderSuggestionOut,
                                              ReservationOut, ReservationQuery, SlowMoverOut, SlowMoverQuery, StockOut,
                                              StockQuery, StockSettings, StocktakeCounts, StocktakeCreate,
                                              StocktakeListQuery, StocktakeOut, StocktakePost, SupplierCreate,
                                              SupplierListQuery, SupplierOut, SupplierPatch, SupplierReturnCreate,
                                              SupplierReturnOut, TransferCreate, TransferListQuery, TransferOut,
                                              TransferReceive, TransferShip, ValuationOut, ValuationQuery)

from ..api import endpoint
from . import Resource, checked, scoped

MASTER_DATA = MANAGERS
"""Who adds parts and suppliers; changing them is HQ's (a store sets its own price with an override)."""
STOCK_KEEPERS = MANAGERS
RECEIVERS = STOCK_KEEPERS | {"service_advisor"}
COUNTERS = ALL_ROLES


# -- catalogue -----------------------------------------------------------------------------------------
class Parts(Resource):
    @endpoint("Add a part or consumable to the chain's catalogue", tag="inventory", roles=MASTER_DATA,
              body=PartCreate, response=PartOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        part = self.call(req, "inventory", "create_part", data=req.context.body_json)
        resp.location = f"/v1/parts/{part['id']}"
        return part

    @endpoint("Find parts by SKU, OE number, barcode or name prefix", tag="inventory", roles=ALL_ROLES,
              query=PartListQuery, response=PartOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "list_parts", query=req.context.query_json)


class PartItem(Resource):
    @endpoint("A part", tag="inventory", roles=ALL_ROLES, response=PartOut)
    def on_get(self, req, resp, part_id: str):
        return self.call(req, "inventory", "get_part", part_id=part_id)

    @endpoint("Change a part (price, names, flags; not its SKU)", tag="inventory", roles=HQ,
              body=PartPatch, response=PartOut)
    def on_patch(self, req, resp, part_id: str):
        return self.call(req, "inventory", "update_part", part_id=part_id, changes=req.context.body_json)


class Suppliers(Resource):
    @endpoint("Register a supplier", tag="inventory", roles=MASTER_DATA, body=SupplierCreate,
              response=SupplierOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        supplier = self.call(req, "inventory", "create_supplier", data=req.context.body_json)
        resp.location = f"/v1/suppliers/{supplier['id']}"
        return supplier

    @endpoint("Find suppliers by code or name prefix", tag="inventory", roles=ALL_ROLES, query=SupplierListQuery,
              response=SupplierOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "list_suppliers", query=req.context.query_json)


class SupplierItem(Resource):
    @endpoint("A supplier", tag="inventory", roles=ALL_ROLES, response=SupplierOut)
    def on_get(self, req, resp, supplier_id: str):
        return self.call(req, "inventory", "get_supplier", supplier_id=supplier_id)

    @endpoint("Change a supplier", tag="inventory", roles=HQ, body=SupplierPatch, response=SupplierOut)
    def on_patch(self, req, resp, supplier_id: str):
        return self.call(req, "inventory", "update_supplier", supplier_id=supplier_id,
                         changes=req.context.body_json)


# -- stock ---------------------------------------------------------------------------------------------
class Stock(Resource):
    @endpoint("Stock of a store: on hand, reserved, available, on order, value", tag="inventory",
              roles=ALL_ROLES, query=StockQuery, response=StockOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "list_stock", query=scoped(req))


class StockSettingsResource(Resource):
    @endpoint("Set a store's reorder point/quantity, price override and bin for a part", tag="inventory",
              roles=STOCK_KEEPERS, body=StockSettings, response=StockOut)
    def on_put(self, req, resp):
        return self.call(req, "inventory", "configure_stock", data=scoped(req, "body_json"))


class Movements(Resource):
    @endpoint("The stock movement ledger of a store, newest first", tag="inventory", roles=ALL_ROLES,
              query=MovementQuery, response=MovementOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "list_movements", query=scoped(req))


class Adjustments(Resource):
    @endpoint("Correct on-hand by hand (damaged, lost, found, customer return)", tag="inventory",
              roles=STOCK_KEEPERS, body=AdjustmentCreate, response=MovementOut, status=201, paginated=True,
              idempotent=True)
    def on_post(self, req, resp):
        return self.call(req, "inventory", "adjust_stock", data=scoped(req, "body_json"))


class Availability(Resource):
    @endpoint("Price and free stock of some SKUs at a store (for quoting)", tag="inventory", roles=ALL_ROLES,
              query=AvailabilityHttpQuery, response=AvailabilityOut, paginated=True)
    def on_get(self, req, resp):
        query = scoped(req)
        query["skus"] = [sku.strip() for sku in query.get("skus", "").split(",") if sku.strip()]
        return {"items": self.call(req, "inventory", "availability", query=query), "next_cursor": None}


class Reservations(Resource):
    @endpoint("Parts reserved for orders at a store (waiting=true: still short)", tag="inventory",
              roles=ALL_ROLES, query=ReservationQuery, response=ReservationOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "list_reservations", query=scoped(req))


class ReorderSuggestions(Resource):
    @endpoint("What to buy: parts below their reorder point counting what is on order", tag="inventory",
              roles=STOCK_KEEPERS, query=ReorderQuery, response=ReorderSuggestionOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "reorder_suggestions", query=scoped(req))


class ReservationRelease(Resource):
    @endpoint("Release one reservation by hand (its stock goes to waiting orders first)", tag="inventory",
              roles=STOCK_KEEPERS, response=ReservationOut)
    def on_post(self, req, resp, reservation_id: str):
        return self.call(req, "inventory", "release_reservation", reservation_id=reservation_id)


class ExpiringBatches(Resource):
    @endpoint("Batches on hand expiring within `days` days, soonest first", tag="inventory", roles=ALL_ROLES,
              query=ExpiringQuery, response=BatchOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "expiring_batches", query=scoped(req))


class Valuation(Resource):
    @endpoint("Stock value at moving average cost, per store and category", tag="inventory",
              roles=STOCK_KEEPERS, query=ValuationQuery, response=ValuationOut)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "valuation", query=checked(req))


class SlowMovers(Resource):
    @endpoint("Parts in stock with no issue in `days` days, most value first", tag="inventory",
              roles=STOCK_KEEPERS, query=SlowMoverQuery, response=SlowMoverOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "slow_movers", query=scoped(req))


class LedgerCheck(Resource):
    @endpoint("Prove stock levels equal the sum of their movements (HQ: whole chain)", tag="inventory",
              roles=STOCK_KEEPERS, query=LedgerCheckQuery, response=LedgerCheckOut)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "check_ledger", query=scoped(req))


# -- purchasing ----------------------------------------------------------------------------------------
class PurchaseOrders(Resource):
    @endpoint("Draft a purchase order (submit=true places it at once)", tag="inventory", roles=STOCK_KEEPERS,
              body=PurchaseOrderCreate, response=PurchaseOrderOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        po = self.call(req, "inventory", "create_purchase_order", data=scoped(req, "body_json"))
        resp.location = f"/v1/purchase-orders/{po['id']}"
        return po

    @endpoint("Purchase orders of a store", tag="inventory", roles=RECEIVERS, query=PurchaseOrderListQuery,
              response=PurchaseOrderOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "list_purchase_orders", query=scoped(req))


class PurchaseOrderItem(Resource):
    @endpoint("A purchase order with its lines and receipts", tag="inventory", roles=RECEIVERS,
              response=PurchaseOrderOut)
    def on_get(self, req, resp, po_id: str):
        return self.call(req, "inventory", "get_purchase_order", po_id=po_id)


class PurchaseOrderPlace(Resource):
    @endpoint("Place a draft purchase order with the supplier (→ ordered)", tag="inventory",
              roles=STOCK_KEEPERS, response=PurchaseOrderOut)
    def on_post(self, req, resp, po_id: str):
        return self.call(req, "inventory", "place_purchase_order", po_id=po_id)


class PurchaseOrderCancel(Resource):
    @endpoint("Cancel a purchase order (what is outstanding is no longer on order)", tag="inventory",
              roles=STOCK_KEEPERS, response=PurchaseOrderOut)
    def on_post(self, req, resp, po_id: str):
        return self.call(req, "inventory", "cancel_purchase_order", po_id=po_id)


class PurchaseOrderReceipts(Resource):
    @endpoint("Receive goods against a purchase order (actual cost, batches, expiry)", tag="inventory",
              roles=RECEIVERS, body=ReceiptCreate, response=ReceiptOut, status=201, idempotent=True)
    def on_post(self, req, resp, po_id: str):
        return self.call(req, "inventory", "receive_purchase_order", po_id=po_id, data=req.context.body_json)


class PurchaseOrderReturns(Resource):
    @endpoint("Send goods received on a purchase order back to the supplier (退货); stock leaves at what it "
              "cost as received and goods received not invoiced is reversed", tag="inventory", roles=STOCK_KEEPERS,
              body=SupplierReturnCreate, response=SupplierReturnOut, status=201, idempotent=True)
    def on_post(self, req, resp, po_id: str):
        return self.call(req, "inventory", "return_to_supplier", po_id=po_id, data=req.context.body_json)


# -- transfers -----------------------------------------------------------------------------------------
class Transfers(Resource):
    @endpoint("Request stock from another store (调拨)", tag="inventory", roles=STOCK_KEEPERS, body=TransferCreate,
              response=TransferOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        transfer = self.call(req, "inventory", "request_transfer",
                             data=scoped(req, "body_json", "to_store_id"))
        resp.location = f"/v1/transfers/{transfer['id']}"
        return transfer

    @endpoint("Transfers from or to a store", tag="inventory", roles=RECEIVERS, query=TransferListQuery,
              response=TransferOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "list_transfers", query=scoped(req))


class TransferItem(Resource):
    @endpoint("A transfer", tag="inventory", roles=RECEIVERS, response=TransferOut)
    def on_get(self, req, resp, transfer_id: str):
        return self.call(req, "inventory", "get_transfer", transfer_id=transfer_id)


class TransferShipResource(Resource):
    @endpoint("Ship a requested transfer (the shipping store; stock leaves at average cost)", tag="inventory",
              roles=STOCK_KEEPERS, body=TransferShip, response=TransferOut)
    def on_post(self, req, resp, transfer_id: str):
        return self.call(req, "inventory", "ship_transfer", transfer_id=transfer_id, data=req.context.body_json)


class TransferReceiveResource(Resource):
    @endpoint("Receive a shipped transfer, fully or partly (the difference is a discrepancy)", tag="inventory",
              roles=RECEIVERS, body=TransferReceive, response=TransferOut)
    def on_post(self, req, resp, transfer_id: str):
        return self.call(req, "inventory", "receive_transfer", transfer_id=transfer_id,
                         data=req.context.body_json)


class TransferCancel(Resource):
    @endpoint("Cancel a transfer that has not shipped", tag="inventory", roles=STOCK_KEEPERS,
              response=TransferOut)
    def on_post(self, req, resp, transfer_id: str):
        return self.call(req, "inventory", "cancel_transfer", transfer_id=transfer_id)


# -- stocktakes ----------------------------------------------------------------------------------------
class Stocktakes(Resource):
    @endpoint("Open a stocktake (盘点) of a store, or of one category", tag="inventory", roles=STOCK_KEEPERS,
              body=StocktakeCreate, response=StocktakeOut, status=201, idempotent=True)
    def on_post(self, req, resp):
        stocktake = self.call(req, "inventory", "open_stocktake", data=scoped(req, "body_json"))
        resp.location = f"/v1/stocktakes/{stocktake['id']}"
        return stocktake

    @endpoint("Stocktakes of a store", tag="inventory", roles=COUNTERS, query=StocktakeListQuery,
              response=StocktakeOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "inventory", "list_stocktakes", query=scoped(req))


class StocktakeItem(Resource):
    @endpoint("A stocktake with its lines and counts", tag="inventory", roles=COUNTERS, response=StocktakeOut)
    def on_get(self, req, resp, stocktake_id: str):
        return self.call(req, "inventory", "get_stocktake", stocktake_id=stocktake_id)


class StocktakeCountsResource(Resource):
    @endpoint("Record counts (a recount by the same counter and location replaces theirs)", tag="inventory",
              roles=COUNTERS, body=StocktakeCounts, response=StocktakeOut)
    def on_post(self, req, resp, stocktake_id: str):
        return self.call(req, "inventory", "record_counts", stocktake_id=stocktake_id, data=req.context.body_json)


class StocktakePostResource(Resource):
    @endpoint("Post a stocktake: variances become valued adjustment movements", tag="inventory",
              roles=STOCK_KEEPERS, body=StocktakePost, response=StocktakeOut)
    def on_post(self, req, resp, stocktake_id: str):
        return self.call(req, "inventory", "post_stocktake", stocktake_id=stocktake_id, data=req.context.body_json)


class StocktakeCancel(Resource):
    @endpoint("Cancel an open stocktake (nothing is adjusted)", tag="inventory", roles=STOCK_KEEPERS,
              response=StocktakeOut)
    def on_post(self, req, resp, stocktake_id: str):
        return self.call(req, "inventory", "cancel_stocktake", stocktake_id=stocktake_id)


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/parts", Parts(deps)),
        ("/v1/parts/{part_id}", PartItem(deps)),
        ("/v1/suppliers", Suppliers(deps)),
        ("/v1/suppliers/{supplier_id}", SupplierItem(deps)),
        ("/v1/stock", Stock(deps)),
        ("/v1/stock/settings", StockSettingsResource(deps)),
        ("/v1/stock/movements", Movements(deps)),
        ("/v1/stock/adjustments", Adjustments(deps)),
        ("/v1/stock/availability", Availability(deps)),
        ("/v1/stock/reservations", Reservations(deps)),
        ("/v1/stock/reservations/{reservation_id}/release", ReservationRelease(deps)),
        ("/v1/stock/expiring-batches", ExpiringBatches(deps)),
        ("/v1/stock/reorder-suggestions", ReorderSuggestions(deps)),
        ("/v1/stock/valuation", Valuation(deps)),
        ("/v1/stock/slow-movers", SlowMovers(deps)),
        ("/v1/stock/ledger-check", LedgerCheck(deps)),
        ("/v1/purchase-orders", PurchaseOrders(deps)),
        ("/v1/purchase-orders/{po_id}", PurchaseOrderItem(deps)),
        ("/v1/purchase-orders/{po_id}/place", PurchaseOrderPlace(deps)),
        ("/v1/purchase-orders/{po_id}/cancel", PurchaseOrderCancel(deps)),
        ("/v1/purchase-orders/{po_id}/receipts", PurchaseOrderReceipts(deps)),
        ("/v1/purchase-orders/{po_id}/returns", PurchaseOrderReturns(deps)),
        ("/v1/transfers", Transfers(deps)),
        ("/v1/transfers/{transfer_id}", TransferItem(deps)),
        ("/v1/transfers/{transfer_id}/ship", TransferShipResource(deps)),
        ("/v1/transfers/{transfer_id}/receive", TransferReceiveResource(deps)),
        ("/v1/transfers/{transfer_id}/cancel", TransferCancel(deps)),
        ("/v1/stocktakes", Stocktakes(deps)),
        ("/v1/stocktakes/{stocktake_id}", StocktakeItem(deps)),
        ("/v1/stocktakes/{stocktake_id}/counts", StocktakeCountsResource(deps)),
        ("/v1/stocktakes/{stocktake_id}/post", StocktakePostResource(deps)),
        ("/v1/stocktakes/{stocktake_id}/cancel", StocktakeCancel(deps)),
    ]
