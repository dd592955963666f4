"""What a drawn signature signs in sales: the contract (the order as confirmed: its lines, totals,
deposit, terms and signatory) and the customer's decision on a quote (each line with its price and
the decision). Each is a canonical document whose hash is kept with the signature; its status,
payments and later timestamps are not part of it, nor the signatory's name (kept beside the signature,
and blanked when the customer is erased), so only a change to what was agreed breaks it."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.common import signatures
from services.common.context import Caller

from ..models import Order, Quote

CONTRACT = "contract_signature"
"""Attachment owner type of the customer's signature of a contract (an order)."""
DECISION = "quote_signature"
"""Attachment owner type of a customer's on-screen signature of a quote decision."""


def _totals(document: Order | Quote) -> dict:
    return {name: getattr(document, name) for name in (
        "subtotal_fen", "discount_fen", "tax_fen", "total_excl_tax_fen", "total_fen")}


def contract_document(order: Order) -> dict:
    return {"document": "contract", "number": order.number, "store_id": order.store_id, "quote_id": order.quote_id,
            "customer_id": order.customer_id, "vehicle_id": order.vehicle_id, "totals": _totals(order),
            "tax_rate": order.tax_rate, "tax_inclusive": order.tax_inclusive, "payment_method": order.payment_method,
            "deposit_fen": order.deposit_fen, "promised_at": order.promised_at, "terms": order.terms,
            "lines": [{name: getattr(line, name) for name in (
                "id", "kind", "description", "op_code", "sku", "hours", "qty", "unit_price_fen", "discount_fen",
                "tax_fen", "total_fen")} for line in sorted(order.lines, key=lambda line: line.position)]}


def decision_document(quote: Quote) -> dict:
    return {"document": "quote_decision", "number": quote.number, "version": quote.version,
            "store_id": quote.store_id, "customer_id": quote.customer_id, "vehicle_id": quote.vehicle_id,
            "totals": _totals(quote),
            "lines": [{name: getattr(line, name) for name in (
                "id", "kind", "description", "hours", "qty", "unit_price_fen", "discount_fen", "total_fen",
                "decision")} for line in sorted(quote.lines, key=lambda line: line.position)]}


def sign_contract(session: Session, caller: Caller, order: Order, image: dict) -> None:
    """The customer's drawn signature of a just-confirmed order (a repeated contract keeps the first)."""
    if contract_signature(session, order) is None:
        session.flush()
        signatures.record_signature(session, caller, {"store_id": order.store_id, "owner_type": CONTRACT,
                                                      "owner_id": order.id, "parent_id": order.quote_id},
                                    image, contract_document(order))


def sign_decision(session: Session, caller: Caller, quote: Quote, image: dict) -> None:
    session.flush()
    signatures.record_signature(session, caller, {"store_id": quote.store_id, "owner_type": DECISION,
                                                  "owner_id": quote.id, "parent_id": quote.visit_id},
                                image, decision_document(quote))


def contract_signature(session: Session, order: Order) -> dict | None:
    return signatures.signature_of(session, CONTRACT, order.id, contract_document(order))


def decision_signature(session: Session, quote: Quote) -> dict | None:
    return signatures.signature_of(session, DECISION, quote.id, decision_document(quote))
