"""What an API key's scopes open: `<area>:read` the area's GET operations, `<area>:write` every one
of them. Areas are named after the documents a partner system reads or writes; an operation outside
every area (identity, keys and webhooks, settings, campaigns, attachments, the audit trail) or `CLOSED`
(the people report) is never open to a key."""
from __future__ import annotations

AREAS: dict[str, tuple[str, ...]] = {
    "customers": ("customers", "vehicles", "follow-ups", "complaints", "reminders"),
    "appointments": ("appointments",),
    "quotes": ("visits", "quotes", "declined-work", "test-drives"),
    "orders": ("orders",),
    "work_orders": ("work-orders", "technicians", "bays", "bay-plan", "crew-board", "workshop-stats"),
    "stock": ("parts", "suppliers", "stock", "purchase-orders", "transfers", "stocktakes"),
    "invoices": ("invoices", "payments", "payment-intents", "member-cards"),
    "ledger": ("ledger", "reports", "expenses"),
}
"""Area -> the first path segments after /v1/ it covers."""
CLOSED = ("/v1/reports/people",)
"""Routes of an area that no key may call: personal data (each employee's commission and performance)."""
ACCESS = ("read", "write")
SCOPES = tuple(f"{area}:{access}" for area in AREAS for access in ACCESS)
_AREA_OF = {segment: area for area, segments in AREAS.items() for segment in segments}


def area_of(route: str) -> str | None:
    """The area of a route template (`/v1/work-orders/{work_order_id}` -> work_orders), if any."""
    if route.startswith(CLOSED):
        return None
    parts = route.split("/")
    return _AREA_OF.get(parts[2]) if len(parts) > 2 and parts[1] == "v1" else None


def scope_needed(method: str, route: str) -> str | None:
    """The scope an operation asks of a key; None when no key may call it."""
    area = area_of(route)
    if area is None:
        return None
    return f"{area}:{'read' if method.upper() in ('GET', 'HEAD') else 'write'}"


def allows(scopes: tuple[str, ...] | list[str], method: str, route: str) -> bool:
    """Whether a key's scopes open an operation (a write scope includes reading its area)."""
    needed = scope_needed(method, route)
    if needed is None:
        return False
    area, _, access = needed.partition(":")
    return needed in scopes or (access == "read" and f"{area}:write" in scopes)
