"""inventory's own tables: the parts catalogue, suppliers, stock per store with its movement
ledger, batches, reservations, purchase orders and receipts, transfers and stocktakes.

Invariants (checked by `python -m services.inventory.check`):
- `stock_levels.on_hand` = Σ `stock_movements.qty` and `stock_levels.value_fen` = Σ `stock_movements.value_fen`
  for its store and part;
- `stock_levels.reserved` = Σ `reservations.qty_reserved` of its open reservations;
- for batch-tracked parts, `on_hand` = Σ `batches.qty_on_hand`;
- 0 ≤ reserved ≤ on_hand (never oversold).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from services.common.attachments import add_attachment_tables
from services.common.db import UTCDateTime, service_metadata, utcnow
from services.common.ids import new_id
from services.common.audit import add_audit_table
from services.common.outbox import add_infrastructure_tables
from services.common.search import pinyin_initials


class Base(DeclarativeBase):
    metadata = service_metadata()


add_infrastructure_tables(Base.metadata)
add_audit_table(Base.metadata)
add_attachment_tables(Base.metadata)

QTY = Numeric(12, 3)
ZERO = Decimal("0.000")


def _id() -> Mapped[str]:
    return mapped_column(String(26), primary_key=True, default=new_id)


PART_SEARCH = ("sku", "name", "brand", "oe_number", "name_initials")
"""The columns `q` finds a part by, any part of each (one trigram GIN index on PostgreSQL)."""


class Part(Base):
    """A catalogue item (part or consumable); the SKU is unique in the chain. `name_initials` is kept
    with the name: the pinyin initials of its Chinese (`刹车片` → `scp`)."""

    __tablename__ = "parts"

    id: Mapped[str] = _id()
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_initials: Mapped[str] = mapped_column(String(120), default="")
    brand: Mapped[str | None] = mapped_column(String(60))
    oe_number: Mapped[str | None] = mapped_column(String(60), index=True)
    barcode: Mapped[str | None] = mapped_column(String(40), unique=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    unit: Mapped[str] = mapped_column(String(16), default="piece")
    list_price_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    tax_class: Mapped[str] = mapped_column(String(20), default="standard")
    tax_code: Mapped[str | None] = mapped_column(String(19), comment="税收分类编码 on its fapiao lines")
    batch_tracked: Mapped[bool] = mapped_column(Boolean, default=False)
    hazardous: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_parts_search", *PART_SEARCH, postgresql_using="gin",
              postgresql_ops=dict.fromkeys(PART_SEARCH, "gin_trgm_ops")),
    )

    @validates("name")
    def _keep_initials(self, _key: str, name: str) -> str:
        self.name_initials = pinyin_initials(name)
        return name


class StockLevel(Base):
    """Stock of one part at one store, with its settings (reorder point, price override)."""

    __tablename__ = "stock_levels"

    id: Mapped[str] = _id()
    store_id: Mapped[str] = mapped_column(String(26))
    part_id: Mapped[str] = mapped_column(ForeignKey("parts.id"), index=True)
    on_hand: Mapped[Decimal] = mapped_column(QTY, default=ZERO)
    reserved: Mapped[Decimal] = mapped_column(QTY, default=ZERO)
    on_order: Mapped[Decimal] = mapped_column(QTY, default=ZERO)
    value_fen: Mapped[int] = mapped_column(Integer, default=0, comment="on_hand valued at moving average cost")
    reorder_point: Mapped[Decimal | None] = mapped_column(QTY)
    reorder_qty: Mapped[Decimal | None] = mapped_column(QTY)
    price_fen: Mapped[int | None] = mapped_column(Integer, comment="store's price override")
    bin_location: Mapped[str | None] = mapped_column(String(30))
    low_flag: Mapped[bool] = mapped_column(Boolean, default=False, comment="stock_low published, not yet re-armed")
    last_receipt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_issue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    part: Mapped[Part] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("store_id", "part_id", name="uq_stock_levels_store_part"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
    )

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    @property
    def avg_cost_fen(self) -> int:
        if not self.on_hand:
            return 0
        return int((Decimal(self.value_fen) / self.on_hand).quantize(Decimal(1)))


class Batch(Base):
    """A batch of a batch/expiry-tracked part at a store (oils, fluids, adhesives)."""

    __tablename__ = "batches"

    id: Mapped[str] = _id()
    store_id: Mapped[str] = mapped_column(String(26))
    part_id: Mapped[str] = mapped_column(ForeignKey("parts.id"))
    batch_no: Mapped[str] = mapped_column(String(40))
    expiry_date: Mapped[date | None] = mapped_column(Date)
    qty_on_hand: Mapped[Decimal] = mapped_column(QTY, default=ZERO)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    part: Mapped[Part] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("store_id", "part_id", "batch_no", "expiry_date", name="uq_batches_identity"),
        Index("ix_batches_store_expiry", "store_id", "expiry_date"),
        CheckConstraint("qty_on_hand >= 0", name="batch_not_negative"),
    )


class Movement(Base):
    """One change of on-hand: the ledger. Quantities and values are signed (+ in, − out)."""

    __tablename__ = "stock_movements"

    id: Mapped[str] = _id()
    store_id: Mapped[str] = mapped_column(String(26))
    part_id: Mapped[str] = mapped_column(ForeignKey("parts.id"))
    sku: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(24))
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_cost_fen: Mapped[int] = mapped_column(Integer)
    value_fen: Mapped[int] = mapped_column(Integer)
    on_hand_after: Mapped[Decimal] = mapped_column(QTY)
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"))
    batch_no: Mapped[str | None] = mapped_column(String(40))
    reference_type: Mapped[str] = mapped_column(String(24))
    reference_id: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str | None] = mapped_column(String(26))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_movements_store_part", "store_id", "part_id", "id"),
        Index("ix_movements_store_id", "store_id", "id"),
        Index("ix_movements_reference", "reference_type", "reference_id"),
    )


class Reservation(Base):
    """Parts promised to a sales order at a store; `qty_reserved < qty_requested` waits for stock."""

    __tablename__ = "reservations"

    id: Mapped[str] = _id()
    store_id: Mapped[str] = mapped_column(String(26))
    part_id: Mapped[str] = mapped_column(ForeignKey("parts.id"))
    sku: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    qty_requested: Mapped[Decimal] = mapped_column(QTY)
    qty_reserved: Mapped[Decimal] = mapped_column(QTY, default=ZERO)
    qty_issued: Mapped[Decimal] = mapped_column(QTY, default=ZERO)
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="open", comment="open | issued | released")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_reservations_waiting", "store_id", "part_id", "status", "promised_at"),
        CheckConstraint("qty_reserved >= 0 AND qty_reserved <= qty_requested", name="reserved_within_requested"),
    )

    @property
    def qty_short(self) -> Decimal:
        return self.qty_requested - self.qty_reserved


class OrderState(Base):
    """What inventory knows of a sales order: `confirmed` or `cancelled`. Events travel on separate
    queues, so a cancellation may be handled before (or while) its confirmation is: the primary
    key makes the two meet on one row, and a late confirmation of a cancelled order reserves nothing."""

    __tablename__ = "order_states"

    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(26))
    status: Mapped[str] = mapped_column(String(12), comment="confirmed | cancelled")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[str] = _id()
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(200))
    tax_id: Mapped[str | None] = mapped_column(String(30), comment="统一社会信用代码")
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    payment_terms: Mapped[str | None] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"

    id: Mapped[str] = _id()
    number: Mapped[str] = mapped_column(String(30), unique=True)
    store_id: Mapped[str] = mapped_column(String(26), index=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("suppliers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    expected_on: Mapped[date | None] = mapped_column(Date)
    allow_over_receipt: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    supplier: Mapped[Supplier] = relationship(lazy="joined")
    lines: Mapped[list["PurchaseOrderLine"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PurchaseOrderLine.position")
    receipts: Mapped[list["Receipt"]] = relationship(lazy="selectin", order_by="Receipt.id")

    @property
    def total_fen(self) -> int:
        return sum(line.line_total_fen for line in self.lines)


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"

    id: Mapped[str] = _id()
    purchase_order_id: Mapped[str] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    part_id: Mapped[str] = mapped_column(ForeignKey("parts.id"))
    sku: Mapped[str] = mapped_column(String(40))
    qty_ordered: Mapped[Decimal] = mapped_column(QTY)
    qty_received: Mapped[Decimal] = mapped_column(QTY, default=ZERO)
    qty_returned: Mapped[Decimal] = mapped_column(QTY, default=ZERO, server_default="0",
                                                  comment="sent back to the supplier after receipt")
    unit_cost_fen: Mapped[int] = mapped_column(Integer, comment="agreed price per unit")

    @property
    def line_total_fen(self) -> int:
        return int((self.qty_ordered * self.unit_cost_fen).quantize(Decimal(1)))

    @property
    def qty_outstanding(self) -> Decimal:
        return max(self.qty_ordered - self.qty_received, ZERO)


class Receipt(Base):
    """A delivery received against a purchase order (收货)."""

    __tablename__ = "receipts"

    id: Mapped[str] = _id()
    purchase_order_id: Mapped[str] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    store_id: Mapped[str] = mapped_column(String(26))
    delivery_note: Mapped[str | None] = mapped_column(String(60))
    received_by: Mapped[str | None] = mapped_column(String(26))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list["ReceiptLine"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                      order_by="ReceiptLine.id")


class ReceiptLine(Base):
    __tablename__ = "receipt_lines"

    id: Mapped[str] = _id()
    receipt_id: Mapped[str] = mapped_column(ForeignKey("receipts.id", ondelete="CASCADE"), index=True)
    purchase_order_line_id: Mapped[str] = mapped_column(ForeignKey("purchase_order_lines.id"))
    sku: Mapped[str] = mapped_column(String(40))
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_cost_fen: Mapped[int] = mapped_column(Integer)
    batch_no: Mapped[str | None] = mapped_column(String(40))
    expiry_date: Mapped[date | None] = mapped_column(Date)


class Transfer(Base):
    """Stock moving between two stores (调拨): `to_store_id` asks, `from_store_id` ships."""

    __tablename__ = "transfers"

    id: Mapped[str] = _id()
    number: Mapped[str] = mapped_column(String(30), unique=True)
    from_store_id: Mapped[str] = mapped_column(String(26), index=True)
    to_store_id: Mapped[str] = mapped_column(String(26), index=True)
    status: Mapped[str] = mapped_column(String(20), default="requested")
    notes: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(26))
    shipped_by: Mapped[str | None] = mapped_column(String(26))
    received_by: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list["TransferLine"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                       order_by="TransferLine.position")


class TransferLine(Base):
    __tablename__ = "transfer_lines"

    id: Mapped[str] = _id()
    transfer_id: Mapped[str] = mapped_column(ForeignKey("transfers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    part_id: Mapped[str] = mapped_column(ForeignKey("parts.id"))
    sku: Mapped[str] = mapped_column(String(40))
    qty_requested: Mapped[Decimal] = mapped_column(QTY)
    qty_shipped: Mapped[Decimal | None] = mapped_column(QTY)
    qty_received: Mapped[Decimal | None] = mapped_column(QTY)
    unit_cost_fen: Mapped[int | None] = mapped_column(Integer, comment="moving average at the shipping store")
    shipped_value_fen: Mapped[int | None] = mapped_column(Integer)
    discrepancy_qty: Mapped[Decimal | None] = mapped_column(QTY, comment="shipped − received")
    discrepancy_value_fen: Mapped[int | None] = mapped_column(Integer)
    shipped_batches: Mapped[list | None] = mapped_column(
        JSON, comment="[{batch_no, expiry_date, qty}] for batch-tracked parts")


class Stocktake(Base):
    """A count of a store's stock (盘点): whole store or one category."""

    __tablename__ = "stocktakes"

    id: Mapped[str] = _id()
    number: Mapped[str] = mapped_column(String(30), unique=True)
    store_id: Mapped[str] = mapped_column(String(26), index=True)
    category: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="open", comment="open | posted | cancelled")
    notes: Mapped[str | None] = mapped_column(Text)
    opened_by: Mapped[str | None] = mapped_column(String(26))
    posted_by: Mapped[str | None] = mapped_column(String(26))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list["StocktakeLine"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                        order_by="StocktakeLine.sku")


class StocktakeLine(Base):
    """One part in the count: book stock when opened, what the counters found, and the result."""

    __tablename__ = "stocktake_lines"

    id: Mapped[str] = _id()
    stocktake_id: Mapped[str] = mapped_column(ForeignKey("stocktakes.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[str] = mapped_column(ForeignKey("parts.id"))
    sku: Mapped[str] = mapped_column(String(40))
    qty_at_open: Mapped[Decimal] = mapped_column(QTY)
    qty_counted: Mapped[Decimal | None] = mapped_column(QTY, comment="Σ of each counter's latest count")
    qty_book_at_count: Mapped[Decimal | None] = mapped_column(QTY, comment="on hand when last counted")
    variance_qty: Mapped[Decimal | None] = mapped_column(QTY)
    variance_value_fen: Mapped[int | None] = mapped_column(Integer)

    counts: Mapped[list["StocktakeCount"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                          order_by="StocktakeCount.id")

    __table_args__ = (UniqueConstraint("stocktake_id", "part_id", name="uq_stocktake_lines_part"),)


class StocktakeCount(Base):
    """What one counter found for one part; a recount by the same counter replaces theirs."""

    __tablename__ = "stocktake_counts"

    id: Mapped[str] = _id()
    line_id: Mapped[str] = mapped_column(ForeignKey("stocktake_lines.id", ondelete="CASCADE"), index=True)
    counter_id: Mapped[str] = mapped_column(String(40))
    location: Mapped[str | None] = mapped_column(String(30))
    qty: Mapped[Decimal] = mapped_column(QTY)
    qty_book: Mapped[Decimal] = mapped_column(QTY, comment="on hand at the moment of this count")
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
