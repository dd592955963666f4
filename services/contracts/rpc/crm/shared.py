"""What several crm requests and answers share: the membership tiers."""
from __future__ import annotations


STANDARD, SILVER, GOLD, PLATINUM = "standard", "silver", "gold", "platinum"
TIER_NAMES = (STANDARD, SILVER, GOLD, PLATINUM)
"""Membership tiers, lowest first (the spend from which each applies: `services/crm/domain/membership.py`)."""
