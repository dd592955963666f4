"""Roles and store scope, one rule each, for the gateway (`gateway.auth.Principal`) and the services
(`services.common.context.Caller`): who manages, which stores a caller sees, and how the store of a
query or a body is filled in and checked. A caller without a role is the system itself (an event
handler, a timer, another service)."""
from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from .errors import Forbidden, Invalid, NotFound

ROLES = ("hq_admin", "store_manager", "service_advisor", "technician", "cashier")
ALL_ROLES = frozenset(ROLES)
HQ = frozenset({"hq_admin"})
MANAGERS = frozenset({"hq_admin", "store_manager"})
"""Who configures a store, approves what needs a manager and reads its books (HQ: every store's)."""
COUNTER = MANAGERS | {"service_advisor"}
"""Who works the front counter: receives cars, quotes, edits customers."""
FRONT_DESK = COUNTER | {"cashier"}
"""The counter and the till."""
TILL = MANAGERS | {"cashier"}
"""Who takes and refunds money, issues and tops up member cards, and closes the day."""
SHOP_FLOOR = COUNTER | {"technician"}
"""Who works on the cars."""
BENCH = frozenset({"store_manager", "technician"})
"""Who works a technician's own bench screen: the technicians and the manager standing in for one."""
SCORECARDS = {"technician": "technician", "service_advisor": "advisor"}
"""The staff with a scorecard of their own in the people report (`GET /v1/reports/people`), and the report's
role (`?role=`) their row is in."""
PEOPLE_REPORT = MANAGERS | frozenset(SCORECARDS)
"""Who reads the people report: managers every row of their stores' (HQ: every store's), a technician or an
advisor only their own."""
CUSTOMER_ROLE = "customer"
"""The role a car owner's calls carry (gateway customer tokens, `/c/v1/`): no store, only their own."""


CONSOLE_SCREENS: dict[str, frozenset[str]] = {
    "reception": COUNTER, "quotes": COUNTER, "board": COUNTER, "tech": BENCH, "cashier": TILL, "fapiao": TILL,
    "inventory": COUNTER, "crm": COUNTER, "messages": COUNTER, "dashboard": MANAGERS, "campaigns": MANAGERS,
    "approvals": MANAGERS,
    "commission": MANAGERS, "people": PEOPLE_REPORT,
    "technicians": MANAGERS, "users": MANAGERS, "store": MANAGERS, "payables": MANAGERS,
    "accounts": TILL, "claims": TILL, "catalogue": HQ, "partners": MANAGERS, "health_records": MANAGERS,
    "reconcile": TILL,
}
"""The staff console's screens in menu order and who opens each; the console shows what `/v1/me`
answers (`console_screens`), so a role set changed here changes the menu too."""
HOME_SCREEN = {"hq_admin": "dashboard", "store_manager": "board", "service_advisor": "reception",
               "technician": "tech", "cashier": "cashier"}
"""The screen each role starts on (one of its own)."""


def console_screens(role: str) -> list[str]:
    """The console screens a role opens, in menu order."""
    return [name for name, roles in CONSOLE_SCREENS.items() if role in roles]


class Actor(Protocol):
    @property
    def role(self) -> str | None: ...

    @property
    def store_ids(self) -> Collection[str]: ...


def sees_every_store(actor: Actor) -> bool:
    """HQ and the system see every store; everybody else their own."""
    return actor.role is None or actor.role in HQ


def manages(actor: Actor) -> bool:
    """A store manager, HQ or the system."""
    return actor.role is None or actor.role in MANAGERS


def grantable_roles(actor: Actor) -> list[str]:
    """The roles a user may give a staff account: HQ any, a store manager the staff below managers, others none."""
    if not manages(actor):
        return []
    return [role for role in ROLES if sees_every_store(actor) or role not in MANAGERS]


def own_scorecard(actor: Actor) -> str | None:
    """The people report's role whose own row alone the caller may read (a technician's, an advisor's); None for
    whoever reads every row (managers, HQ, the system)."""
    return None if manages(actor) else SCORECARDS.get(actor.role or "")


def can_access_store(actor: Actor, store_id: str | None) -> bool:
    """No store (a chain-wide document or filter) is everybody's."""
    return store_id is None or sees_every_store(actor) or store_id in actor.store_ids


def require_store(actor: Actor, store_id: str | None) -> None:
    if not can_access_store(actor, store_id):
        raise Forbidden("This store is outside your account's stores.", code="store_out_of_scope")


def require_document(actor: Actor, user_id: str | None, store_id: str, customer_id: str, what: str) -> None:
    """A store's document about a customer: staff within their stores (403 otherwise); a car owner
    (role `customer`, `user_id` their customer id) only their own — anyone else's is unknown (404)."""
    if actor.role == CUSTOMER_ROLE:
        if not user_id or customer_id != user_id:
            raise NotFound(f"No such {what}.")
        return
    require_store(actor, store_id)


def visible_stores(actor: Actor, store_id: str | None) -> list[str] | None:
    """The stores a list may show: the one asked for (checked), else the caller's own (HQ and the
    system: every store, None)."""
    if store_id:
        require_store(actor, store_id)
        return [store_id]
    return None if sees_every_store(actor) else sorted(actor.store_ids)


def in_visible_stores(query, column, actor: Actor, store_id: str | None):
    """A select narrowed to `visible_stores` on its store column."""
    stores = visible_stores(actor, store_id)
    return query if stores is None else query.where(column.in_(stores))


def only_store(actor: Actor) -> str | None:
    """The store of a user who works in exactly one (nobody's for HQ and the system)."""
    if sees_every_store(actor) or len(actor.store_ids) != 1:
        return None
    return next(iter(actor.store_ids))


def with_default_store(actor: Actor, data: dict, field: str = "store_id") -> dict:
    """A copy of a query or body with the caller's only store filled in when it names none; a
    store outside the caller's is refused (403)."""
    data = dict(data)
    if not data.get(field) and (store_id := only_store(actor)):
        data[field] = store_id
    require_store(actor, data.get(field))
    return data


def required_store(actor: Actor, store_id: str | None, what: str) -> str:
    """The store a document is for: the one named (checked), else the caller's only store; 422
    naming `what` when neither says."""
    store_id = store_id or only_store(actor)
    if store_id is None:
        raise Invalid(f"Say which store the {what} is for.", fields={"store_id": ["Required."]},
                      code="store_required")
    require_store(actor, store_id)
    return store_id


API_KEY_ROLE = "store_manager"
"""What a machine client's API key acts as in the services: a store manager of the key's stores only
(so the services' store scope holds for keys as for staff), narrowed further at the gateway to the
operations its scopes name (gateway/partners/scopes.py). HQ-only operations are never a key's."""
