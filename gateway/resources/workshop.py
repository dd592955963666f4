"""Workshop endpoints (owned by the workshop service); they arrive with its issue."""
from __future__ import annotations


def routes(deps) -> list[tuple[str, object]]:
    return []
