"""Calling another service from inside a worker: never inside an open write transaction
(`ServiceRpc`, see `transactions.py`), bounded in time (`RPC_TIMEOUT`, like the gateway's calls),
a silent service becomes `Unavailable` (503), and the other service's domain errors can be
raised again as our own."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

import eventlet
from nameko.exceptions import RemoteError
from nameko.rpc import ReplyListener, RpcProxy
from sqlalchemy.orm import Session

from . import config
from .dependencies import worker_sessions
from .errors import DOMAIN_ERRORS, DomainError, Unavailable
from .queues import transient
from .transactions import before_remote_call

UPSTREAM_TIMEOUT = config.rpc_timeout()


@contextmanager
def answer_within_timeout(service: str, advice: str = "try again shortly."):
    try:
        with eventlet.Timeout(UPSTREAM_TIMEOUT):
            yield
    except eventlet.Timeout as exc:
        raise Unavailable(f"{service} did not answer in time; {advice}",
                          code="service_unavailable", params={"service": service}) from exc


def as_domain_error(exc: RemoteError) -> DomainError | None:
    """The other service's NotFound/Conflict/Invalid/Forbidden/Unavailable as ours, else None."""
    error = DOMAIN_ERRORS.get(exc.exc_type)
    return error(str(exc.value)) if error else None


class TransientReplyListener(ReplyListener):
    """nameko's reply listener whose queue is not durable (`queues.transient`): a broker node that dies
    takes it along instead of leaving a queue nobody can declare until that node is back."""

    def setup(self):
        super().setup()
        transient(self.queue)


class ServiceRpc(RpcProxy):
    """nameko's `RpcProxy` whose every call first passes the worker's database sessions through
    `before_remote_call`: refused inside a write transaction, a read-only one is ended."""

    rpc_reply_listener = TransientReplyListener()

    def get_dependency(self, worker_ctx):
        return GuardedProxy(super().get_dependency(worker_ctx), self.target_service,
                            lambda: worker_sessions(worker_ctx))


class GuardedProxy:
    """A proxy of `service` whose methods check `sessions()` with `before_remote_call` first."""

    def __init__(self, proxy, service: str, sessions: Callable[[], list[Session]]):
        self._proxy, self._service, self._sessions = proxy, service, sessions

    def __getattr__(self, method: str):
        call = getattr(self._proxy, method)

        def guarded(*args, **kwargs):
            for session in self._sessions():
                before_remote_call(session, f"{self._service}.{method}")
            return call(*args, **kwargs)

        return guarded
