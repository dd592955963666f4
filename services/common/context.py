"""Who is calling and on behalf of which request.

The gateway sends these as AMQP headers `nameko.<key>`; nameko exposes them as the
worker's context data and forwards them on every RPC and event the worker makes.
"""
from __future__ import annotations

import contextvars
from dataclasses import dataclass, field

from . import policy
from .errors import Forbidden
from .policy import CUSTOMER_ROLE

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

ROLES_WITHOUT_FULL_PHONE = frozenset({"technician"})


@dataclass(frozen=True)
class Caller:
    user_id: str | None = None
    role: str | None = None
    store_ids: frozenset[str] = field(default_factory=frozenset)
    request_id: str | None = None

    @classmethod
    def from_context(cls, data: dict) -> "Caller":
        stores = data.get("store_ids") or ""
        return cls(user_id=data.get("user_id"), role=data.get("role"),
                   store_ids=frozenset(s for s in stores.split(",") if s),
                   request_id=data.get("request_id"))

    def to_context(self) -> dict:
        return {"user_id": self.user_id, "role": self.role,
                "store_ids": ",".join(sorted(self.store_ids)), "request_id": self.request_id}

    @property
    def is_system(self) -> bool:
        """No user: an internal call (event handler, timer, another service)."""
        return self.role is None

    def require_customer(self) -> str:
        """The crm customer id of a car owner calling through the customer channel (role `customer`,
        the customer's id as the user); Forbidden for anyone else."""
        if self.role != CUSTOMER_ROLE or not self.user_id:
            raise Forbidden("Only a signed-in customer may do this.", code="customer_only")
        return self.user_id

    def at_store(self, store_id: str) -> "Caller":
        """The signed-in customer acting on one of their own documents: the staff rules' store scope
        is that document's store (the caller must be a customer; ownership is the caller's check)."""
        return Caller(user_id=self.require_customer(), role=CUSTOMER_ROLE, store_ids=frozenset({store_id}),
                      request_id=self.request_id)

    @property
    def is_hq(self) -> bool:
        return self.role == "hq_admin"

    def can_access_store(self, store_id: str | None) -> bool:
        return policy.can_access_store(self, store_id)

    def require_store(self, store_id: str | None) -> None:
        policy.require_store(self, store_id)

    def require_document(self, store_id: str, customer_id: str, what: str) -> None:
        policy.require_document(self, self.user_id, store_id, customer_id, what)

    @property
    def sees_full_phone(self) -> bool:
        return self.role not in ROLES_WITHOUT_FULL_PHONE
