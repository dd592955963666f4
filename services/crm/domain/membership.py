"""Membership: spend (fen) from paid invoices minus refunds, points per yuan, tiers from spend thresholds."""
from __future__ import annotations

from services.contracts.rpc.crm.shared import GOLD, PLATINUM, SILVER, STANDARD

from ..models import Customer

TIERS = ((PLATINUM, 50_000_00), (GOLD, 20_000_00), (SILVER, 5_000_00), (STANDARD, 0))
"""(tier, lifetime spend in fen from which it applies), highest first."""
POINTS_PER_YUAN = 1


def tier_for(spend_fen: int) -> str:
    return next(name for name, threshold in TIERS if spend_fen >= threshold)


def points_for(amount_fen: int) -> int:
    """Whole yuan only: 99.99 yuan earns 99 points."""
    return (amount_fen // 100) * POINTS_PER_YUAN


def accrue_spend(customer: Customer, amount_fen: int) -> int:
    """A paid invoice: spend grows, points are earned, the tier follows the spend. Returns the points."""
    points = points_for(amount_fen)
    customer.spend_fen = (customer.spend_fen or 0) + amount_fen
    customer.points = (customer.points or 0) + points
    customer.tier = tier_for(customer.spend_fen)
    return points


def reverse_spend(customer: Customer, amount_fen: int) -> int:
    """A refund takes back the spend and the points it earned (never below zero)."""
    points = points_for(amount_fen)
    customer.spend_fen = max(0, (customer.spend_fen or 0) - amount_fen)
    customer.points = max(0, (customer.points or 0) - points)
    customer.tier = tier_for(customer.spend_fen)
    return points
