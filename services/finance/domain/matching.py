"""Three-way match of a supplier's invoice: each invoiced line against the purchase order (the
agreed unit price, tax included like the order's) and the receipts (what came in, less what went
back and what earlier invoices already billed). Pure arithmetic over inventory's purchase order
(`inventory.get_purchase_order`); nothing here reads or writes a database.

A line matches when its unit price is within the price tolerance of the ordered price and its
quantity within the quantity tolerance of what is left to bill. The goods received not invoiced an
invoice clears is what was received of the billed quantity at the receipts' cost (at most what is
left to bill; a manager approving more bills the excess as a price variance)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.common import config


@dataclass(frozen=True)
class Tolerances:
    price_pct: Decimal
    qty_pct: Decimal


def tolerances() -> Tolerances:
    """`AP_PRICE_TOLERANCE_PCT` (default 2) and `AP_QTY_TOLERANCE_PCT` (default 0)."""
    price, qty = config.payables_tolerances()
    return Tolerances(Decimal(str(price)), Decimal(str(qty)))


def qty(value) -> Decimal:
    return Decimal(str(value))


def fen(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def received_by_sku(po: dict) -> dict[str, tuple[Decimal, int]]:
    """sku → (quantity received, value received at the receipts' unit costs)."""
    found: dict[str, tuple[Decimal, int]] = {}
    for receipt in po.get("receipts") or []:
        for line in receipt["lines"]:
            received, value = found.get(line["sku"], (Decimal(0), 0))
            found[line["sku"]] = (received + qty(line["qty"]), value + fen(qty(line["qty"]) * line["unit_cost_fen"]))
    return found


def match(po: dict, lines: list[dict], billed_before: dict[str, Decimal], limits: Tolerances) -> dict:
    """The matched lines (with what each clears), the mismatches, the total and the value received."""
    ordered = {line["sku"]: line for line in po["lines"]}
    received = received_by_sku(po)
    matched, issues = [], []
    for line in lines:
        sku, billed, price = line["sku"], qty(line["qty"]), line["unit_price_fen"]
        amount = fen(billed * price)
        po_line = ordered.get(sku)
        if po_line is None:
            issues.append({"sku": sku, "kind": "not_on_order"})
            matched.append({**line, "qty": billed, "amount_fen": amount, "ordered_unit_cost_fen": None,
                            "qty_matchable": Decimal(0), "received_value_fen": 0, "price_ok": False, "qty_ok": False})
            continue
        qty_received, value_received = received.get(sku, (Decimal(0), 0))
        matchable = max(qty_received - qty(po_line.get("qty_returned") or 0) - billed_before.get(sku, Decimal(0)),
                        Decimal(0))
        agreed = po_line["unit_cost_fen"]
        price_ok = abs(price - agreed) * 100 <= agreed * limits.price_pct
        qty_ok = billed * 100 <= matchable * (100 + limits.qty_pct)
        cleared = min(billed, matchable)
        value = fen(Decimal(value_received) * cleared / qty_received) if qty_received else 0
        if not price_ok:
            issues.append({"sku": sku, "kind": "price", "invoiced_fen": price, "ordered_fen": agreed})
        if not qty_ok:
            issues.append({"sku": sku, "kind": "quantity", "invoiced": str(billed), "matchable": str(matchable)})
        matched.append({**line, "qty": billed, "amount_fen": amount, "ordered_unit_cost_fen": agreed,
                        "qty_matchable": matchable, "received_value_fen": value, "price_ok": price_ok,
                        "qty_ok": qty_ok})
    return {"lines": matched, "issues": issues, "total_fen": sum(line["amount_fen"] for line in matched),
            "received_value_fen": sum(line["received_value_fen"] for line in matched)}
