"""The inventory nameko service: thin entrypoints over the domain modules, schemas at the
boundary, store scope re-checked here for every store-owned document."""
from __future__ import annotations

from services.common.attachment_jobs import Attachments
from services.common.entrypoints import AuditTrail, ServiceBase, event_handler, rpc
from services.common.errors import Forbidden, Invalid
from services.common.policy import manages, sees_every_store, visible_stores
from services.common.schemas import dump_page, load
from services.contracts.inventory import CataloguePartsOut, QuotePartsOut
from services.contracts.rpc.inventory import (AdjustmentCreate, AvailabilityOut, AvailabilityQuery, BatchOut,
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

from .domain import catalogue, ledger, purchasing, reports, reservations, stocktakes, transfers

part_out, supplier_out, stock_out, movement_out = PartOut(), SupplierOut(), StockOut(), MovementOut()
po_out, receipt_out, transfer_out, stocktake_out = PurchaseOrderOut(), ReceiptOut(), TransferOut(), StocktakeOut()
reservation_out, batch_out, availability_out = ReservationOut(), BatchOut(), AvailabilityOut()


def _scoped(caller, filters: dict) -> dict:
    """A store-owned list: the store must be named (the gateway fills in a one-store user's store)
    and be one of the caller's."""
    if not filters.get("store_id"):
        raise Invalid("Name the store.", fields={"store_id": ["Missing data for required field."]},
                      code="store_required")
    caller.require_store(filters["store_id"])
    return filters


def _require_skus(skus) -> None:
    if not isinstance(skus, list) or not all(isinstance(s, str) for s in skus):
        raise Invalid("skus is a list of SKUs.", fields={"skus": ["Not a list of strings."]}, code="validation_failed")


class InventoryService(Attachments, AuditTrail, ServiceBase):  # type: ignore[misc]  # db, caller: see Attachments
    name = "inventory"

    # -- catalogue ----------------------------------------------------------------------------------
    @rpc
    def create_part(self, data: dict) -> dict:
        return part_out.dump(catalogue.create_part(self.db, load(PartCreate(), data)))

    @rpc
    def get_part(self, part_id: str) -> dict:
        return part_out.dump(ledger.get_part(self.db, part_id))

    @rpc
    def update_part(self, part_id: str, changes: dict) -> dict:
        return part_out.dump(catalogue.update_part(self.db, part_id, load(PartPatch(), changes)))

    @rpc
    def list_parts(self, query: dict) -> dict:
        return dump_page(catalogue.search_parts(self.db, load(PartListQuery(), query)), part_out)

    @rpc
    def create_supplier(self, data: dict) -> dict:
        return supplier_out.dump(catalogue.create_supplier(self.db, load(SupplierCreate(), data)))

    @rpc
    def get_supplier(self, supplier_id: str) -> dict:
        return supplier_out.dump(catalogue.get_supplier(self.db, supplier_id))

    @rpc
    def update_supplier(self, supplier_id: str, changes: dict) -> dict:
        return supplier_out.dump(catalogue.update_supplier(self.db, supplier_id, load(SupplierPatch(), changes)))

    @rpc
    def list_suppliers(self, query: dict) -> dict:
        return dump_page(catalogue.search_suppliers(self.db, load(SupplierListQuery(), query)), supplier_out)

    # -- stock --------------------------------------------------------------------------------------
    @rpc
    def list_stock(self, query: dict) -> dict:
        filters = _scoped(self.caller, load(StockQuery(), query))
        return dump_page(catalogue.list_stock(self.db, filters), stock_out)

    @rpc
    def configure_stock(self, data: dict) -> dict:
        settings = load(StockSettings(), data)
        self.caller.require_store(settings["store_id"])
        return stock_out.dump(catalogue.configure_stock(self.db, settings))

    @rpc
    def list_movements(self, query: dict) -> dict:
        filters = _scoped(self.caller, load(MovementQuery(), query))
        return dump_page(catalogue.list_movements(self.db, filters), movement_out)

    @rpc
    def adjust_stock(self, data: dict) -> dict:
        adjustment = load(AdjustmentCreate(), data)
        self.caller.require_store(adjustment["store_id"])
        movements = catalogue.adjust_stock(self.db, adjustment, self.caller)
        return {"items": movement_out.dump(movements, many=True), "next_cursor": None}

    @rpc
    def availability(self, query: dict) -> list[dict]:
        """Price and stock of SKUs at a store: what sales needs to quote (also over HTTP)."""
        params = load(AvailabilityQuery(), query)
        self.caller.require_store(params["store_id"])
        return availability_out.dump(catalogue.availability(self.db, params["store_id"], params["skus"]), many=True)

    @rpc
    def quote_parts(self, store_id: str, skus: list[str]) -> dict:
        """Sales prices quote lines with this: every SKU of a request in one call."""
        self.caller.require_store(store_id)
        _require_skus(skus)
        return QuotePartsOut().dump(catalogue.quote_parts(self.db, store_id, skus))

    @rpc
    def catalogue_parts(self, skus: list[str]) -> dict:
        """Which SKUs the chain's catalogue has and whether they are sold (sales checks packages)."""
        _require_skus(skus)
        return CataloguePartsOut().dump(catalogue.catalogue_parts(self.db, skus))

    @rpc
    def list_reservations(self, query: dict) -> dict:
        filters = _scoped(self.caller, load(ReservationQuery(), query))
        return dump_page(reservations.list_reservations(self.db, filters), reservation_out)

    @rpc
    def release_reservation(self, reservation_id: str) -> dict:
        self.caller.require_store(reservations.get_reservation(self.db, reservation_id).store_id)
        return reservation_out.dump(reservations.release_reservation(self.db, self.caller, reservation_id))

    # -- reports ------------------------------------------------------------------------------------
    @rpc
    def valuation(self, query: dict) -> dict:
        params = load(ValuationQuery(), query)
        store_ids = visible_stores(self.caller, params.get("store_id"))
        return ValuationOut().dump(reports.valuation(self.db, store_ids, params.get("category")))

    @rpc
    def slow_movers(self, query: dict) -> dict:
        params = _scoped(self.caller, load(SlowMoverQuery(), query))
        return dump_page(reports.slow_movers(self.db, params["store_id"], params["days"], params["limit"]),
                         SlowMoverOut())

    @rpc
    def reorder_suggestions(self, query: dict) -> dict:
        params = _scoped(self.caller, load(ReorderQuery(), query))
        return dump_page(reports.reorder_suggestions(self.db, params["store_id"], params["limit"]),
                         ReorderSuggestionOut())

    @rpc
    def expiring_batches(self, query: dict) -> dict:
        params = _scoped(self.caller, load(ExpiringQuery(), query))
        return dump_page(reports.expiring(self.db, params["store_id"], params["days"], params["limit"],
                                          params["cursor"]), batch_out)

    @rpc
    def check_ledger(self, query: dict) -> dict:
        params = load(LedgerCheckQuery(), query)
        if params.get("store_id"):
            self.caller.require_store(params["store_id"])
        elif not sees_every_store(self.caller):
            raise Forbidden("Only HQ checks the whole chain's ledger; name a store.", code="needs_hq")
        return LedgerCheckOut().dump(reports.check_ledger(self.db, params.get("store_id")))

    # -- purchasing ---------------------------------------------------------------------------------
    def _po(self, po_id: str):
        po = purchasing.get_purchase_order(self.db, po_id)
        self.caller.require_store(po.store_id)
        return po

    @rpc
    def create_purchase_order(self, data: dict) -> dict:
        order = load(PurchaseOrderCreate(), data)
        self.caller.require_store(order["store_id"])
        return po_out.dump(purchasing.create_purchase_order(self.db, order, self.caller.user_id))

    @rpc
    def get_purchase_order(self, po_id: str) -> dict:
        return po_out.dump(self._po(po_id))

    @rpc
    def list_purchase_orders(self, query: dict) -> dict:
        filters = _scoped(self.caller, load(PurchaseOrderListQuery(), query))
        return dump_page(purchasing.list_purchase_orders(self.db, filters), po_out)

    @rpc
    def place_purchase_order(self, po_id: str) -> dict:
        self._po(po_id)
        return po_out.dump(purchasing.place_order(self.db, po_id))

    @rpc
    def cancel_purchase_order(self, po_id: str) -> dict:
        self._po(po_id)
        return po_out.dump(purchasing.cancel_purchase_order(self.db, po_id))

    def attachment_owner(self, owner_type: str, owner_id: str) -> dict:
        if owner_type != "receipt":
            return super().attachment_owner(owner_type, owner_id)
        return purchasing.receipt_owner(self.db, self.caller, owner_id)

    @rpc
    def receive_purchase_order(self, po_id: str, data: dict) -> dict:
        receipt = load(ReceiptCreate(), data)
        self._po(po_id)
        return receipt_out.dump(purchasing.receive(self.db, po_id, receipt, self.caller))

    @rpc
    def return_to_supplier(self, po_id: str, data: dict) -> dict:
        sent_back = load(SupplierReturnCreate(), data)
        self._po(po_id)
        return SupplierReturnOut().dump(purchasing.return_to_supplier(self.db, po_id, sent_back, self.caller))

    # -- transfers ----------------------------------------------------------------------------------
    def _transfer(self, transfer_id: str, side: str | None = None):
        transfer = transfers.get_transfer(self.db, transfer_id)
        if side is None:
            if not (self.caller.can_access_store(transfer.from_store_id)
                    or self.caller.can_access_store(transfer.to_store_id)):
                raise Forbidden("This transfer is between stores outside your account's stores.",
                                code="store_out_of_scope")
        else:
            self.caller.require_store(getattr(transfer, side))
        return transfer

    @rpc
    def request_transfer(self, data: dict) -> dict:
        request = load(TransferCreate(), data)
        self.caller.require_store(request["to_store_id"])
        return transfer_out.dump(transfers.request_transfer(self.db, request, self.caller.user_id))

    @rpc
    def get_transfer(self, transfer_id: str) -> dict:
        return transfer_out.dump(self._transfer(transfer_id))

    @rpc
    def list_transfers(self, query: dict) -> dict:
        filters = _scoped(self.caller, load(TransferListQuery(), query))
        return dump_page(transfers.list_transfers(self.db, filters), transfer_out)

    @rpc
    def ship_transfer(self, transfer_id: str, data: dict) -> dict:
        shipping = load(TransferShip(), data)
        self._transfer(transfer_id, "from_store_id")
        return transfer_out.dump(transfers.ship(self.db, transfer_id, shipping, self.caller))

    @rpc
    def receive_transfer(self, transfer_id: str, data: dict) -> dict:
        receiving = load(TransferReceive(), data)
        self._transfer(transfer_id, "to_store_id")
        return transfer_out.dump(transfers.receive(self.db, transfer_id, receiving, self.caller))

    @rpc
    def cancel_transfer(self, transfer_id: str) -> dict:
        self._transfer(transfer_id)
        return transfer_out.dump(transfers.cancel(self.db, transfer_id))

    def audit_document_stores(self, document_type: str, document_id: str) -> set[str]:
        """Both ends of a transfer read its trail (the receiving store before it has received)."""
        if document_type != "transfer":
            return set()
        transfer = transfers.get_transfer(self.db, document_id)
        return {transfer.from_store_id, transfer.to_store_id}

    # -- stocktakes ---------------------------------------------------------------------------------
    def _stocktake_view(self, stocktake) -> dict:
        data = stocktake_out.dump(stocktake)
        if manages(self.caller):  # managers see book quantities; counters count blind
            data["blind"] = False
            return data
        data["blind"] = True
        data["variance_value_fen"] = None
        for line in data["lines"]:
            line.update(qty_at_open=None, qty_book_at_count=None, variance_qty=None, variance_value_fen=None)
            for count in line["counts"]:
                count["qty_book"] = None
        return data

    def _stocktake(self, stocktake_id: str):
        stocktake = stocktakes.get_stocktake(self.db, stocktake_id)
        self.caller.require_store(stocktake.store_id)
        return stocktake

    @rpc
    def open_stocktake(self, data: dict) -> dict:
        request = load(StocktakeCreate(), data)
        self.caller.require_store(request["store_id"])
        return self._stocktake_view(stocktakes.open_stocktake(self.db, request, self.caller.user_id))

    @rpc
    def get_stocktake(self, stocktake_id: str) -> dict:
        return self._stocktake_view(self._stocktake(stocktake_id))

    @rpc
    def list_stocktakes(self, query: dict) -> dict:
        filters = _scoped(self.caller, load(StocktakeListQuery(), query))
        result = stocktakes.list_stocktakes(self.db, filters)
        return {"items": [self._stocktake_view(st) for st in result["items"]], "next_cursor": result["next_cursor"]}

    @rpc
    def record_counts(self, stocktake_id: str, data: dict) -> dict:
        counts = load(StocktakeCounts(), data)
        self._stocktake(stocktake_id)
        counter = counts.get("counter") or self.caller.user_id or "unknown"
        return self._stocktake_view(stocktakes.record_counts(self.db, stocktake_id, counts, counter))

    @rpc
    def post_stocktake(self, stocktake_id: str, data: dict) -> dict:
        options = load(StocktakePost(), data)
        self._stocktake(stocktake_id)
        return self._stocktake_view(stocktakes.post_stocktake(self.db, stocktake_id, options, self.caller))

    @rpc
    def cancel_stocktake(self, stocktake_id: str) -> dict:
        self._stocktake(stocktake_id)
        return self._stocktake_view(stocktakes.cancel_stocktake(self.db, stocktake_id))

    # -- events -------------------------------------------------------------------------------------
    @event_handler("sales", "order_confirmed")
    def on_order_confirmed(self, envelope: dict) -> None:
        reservations.reserve_order(self.db, envelope["payload"])

    @event_handler("sales", "order_cancelled")
    def on_order_cancelled(self, envelope: dict) -> None:
        reservations.release_order(self.db, envelope["payload"])

    @event_handler("workshop", "work_order_completed")
    def on_work_order_completed(self, envelope: dict) -> None:
        reservations.issue_for_work_order(self.db, envelope["payload"])


SERVICE = InventoryService
