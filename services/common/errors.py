"""Domain errors. They cross nameko RPC by class name and arguments and the gateway maps
them onto HTTP statuses (see gateway/errors.py)."""
from __future__ import annotations


class DomainError(Exception):
    """`code` names the rule that refused (clients word the error from it); without one the
    class's generic code. `params` are the names and values a client needs to word it: strings
    or lists of strings (nameko stringifies anything else on its way)."""
    code = "error"

    def __init__(self, message: str, fields: dict | None = None, code: str | None = None,
                 params: dict | None = None):
        super().__init__(message, fields or {}, code or type(self).code, params or {})
        self.message = message
        self.fields = fields or {}
        self.code = code or type(self).code
        self.params = params or {}

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
