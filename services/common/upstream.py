"""Calling another service from inside a worker: bounded in time (`RPC_TIMEOUT`, like the
gateway's calls), a silent service becomes `Unavailable` (503), and the other service's domain
errors can be raised again as our own."""
from __future__ import annotations

from contextlib import contextmanager

import eventlet
from nameko.exceptions import RemoteError

from . import config
from .errors import DOMAIN_ERRORS, DomainError, Unavailable

UPSTREAM_TIMEOUT = config.env_float("RPC_TIMEOUT", 3.0)


@contextmanager
def answer_within_timeout(service: str, advice: str = "try again shortly."):
    try:
        with eventlet.Timeout(UPSTREAM_TIMEOUT):
            yield
    except eventlet.Timeout as exc:
        raise Unavailable(f"{service} did not answer in time; {advice}") from exc


def as_domain_error(exc: RemoteError) -> DomainError | None:
    """The other service's NotFound/Conflict/Invalid/Forbidden/Unavailable as ours, else None."""
    error = DOMAIN_ERRORS.get(exc.exc_type)
    return error(str(exc.value)) if error else None
