"""Domain errors. They cross nameko RPC by class name and arguments and the gateway maps
them onto HTTP statuses (see gateway/errors.py)."""
from __future__ import annotations


class DomainError(Exception):
    """`code` (optional) names the rule broken more precisely than the class (e.g.
    `discount_approval_pending`): a stable code clients word their message from. It travels
    over RPC as the third argument."""
    code = "error"

    def __init__(self, message: str, fields: dict | None = None, code: str | None = None):
        super().__init__(message, fields or {}, *([code] if code else []))
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class Invalid(DomainError):
    """Field-level validation failure; `fields` maps field name -> list of messages."""
    code = "validation_failed"


class Forbidden(DomainError):
    code = "forbidden"


class Unavailable(DomainError):
    """A service this one needs did not answer in time (503 with Retry-After at the gateway)."""
    code = "service_unavailable"


DOMAIN_ERRORS = {cls.__name__: cls for cls in (NotFound, Conflict, Invalid, Forbidden, Unavailable)}
