"""Entrypoint decorators every service uses, and the base class they share.

`rpc` and `event_handler` wrap a method in a unit of work: commit when it returns,
roll back when it raises, then relay the outbox rows it wrote. `event_handler` hands the
method the envelope with its payload loaded through the event's contract (`services.contracts`;
fields unknown to it dropped) and makes the handler idempotent: the event id is recorded in
`processed_events` in the same transaction as the effect, so a redelivered event changes
nothing; while it runs, `session.info["event"]` names the event and the user who caused it
(for the audit trail and the events it publishes in turn). A handler that fails is retried
with backoff and finally dead-lettered (`retries.py`).
"""
from __future__ import annotations

import functools
import logging

from nameko.timer import timer
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.contracts import ContractError, declares, load_payload

from .audit import list_audit_entries
from .context import Caller
from .db import utcnow
from .dependencies import CallerProvider, Database, Tracing
from .errors import DomainError
from .metrics import EVENT_DUPLICATES, WorkerMetrics
from .outbox import PROCESSED_EVENTS
from .retention import PRUNE_INTERVAL_SECONDS, prune
from .retries import RetryingEventHandler
from .transport import rpc as rpc_entrypoint

log = logging.getLogger(__name__)

def _commit_and_relay(session: Session) -> None:
    pending = session.info.get("outbox", [])
    claimed = session.info["relay"].claim_at_commit(session, pending) if pending else []
    session.commit()
    session.info["outbox"], session.info["outbox_recorded"] = [], {}
    if pending:
        session.info["relay"].publish_pending(pending, claimed)


def unit_of_work(fn):
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        session: Session = self.db
        try:
            result = fn(self, *args, **kwargs)
        except BaseException:
            session.rollback()
            raise
        _commit_and_relay(session)
        return result
    return wrapper


def rpc(fn):
    """A nameko RPC method whose DomainErrors are expected (no traceback in the log)."""
    return rpc_entrypoint(expected_exceptions=DomainError)(unit_of_work(fn))


def event_handler(source_service: str, fact: str):
    """Handle `<source_service>.<fact>` once per event id; failures are retried, then dead-lettered."""
    if not declares(source_service, fact):
        raise ContractError(f"{source_service}.{fact} is not declared in services/contracts/{source_service}.py")

    def decorator(fn):
        @functools.wraps(fn)
        def handler(self, envelope: dict):
            session: Session = self.db
            name = f"{self.name}.{fn.__name__}"
            event_id = envelope["event_id"]
            seen = session.execute(select(PROCESSED_EVENTS.c.event_id).where(
                PROCESSED_EVENTS.c.event_id == event_id, PROCESSED_EVENTS.c.handler == name)).first()
            if seen:
                log.info("duplicate event skipped", extra={"event_id": event_id, "handler": name})
                EVENT_DUPLICATES.labels(self.name, fn.__name__).inc()
                return None
            session.info["event"] = {"event_id": event_id, "request_id": envelope.get("request_id"),
                                     "actor": envelope.get("actor")}
            try:
                session.execute(PROCESSED_EVENTS.insert().values(
                    event_id=event_id, handler=name, processed_at=utcnow()))
                payload = load_payload(source_service, fact, envelope["version"], envelope["payload"])
                result = fn(self, {**envelope, "payload": payload})
                _commit_and_relay(session)
            except IntegrityError:
                session.rollback()
                if _already_processed(session, event_id, name):
                    log.info("concurrent duplicate event skipped", extra={"event_id": event_id})
                    EVENT_DUPLICATES.labels(self.name, fn.__name__).inc()
                    return None
                raise
            except BaseException:
                session.rollback()
                raise
            finally:
                session.info.pop("event", None)
            return result

        return RetryingEventHandler.decorator(source_service, fact)(handler)

    return decorator


def _already_processed(session: Session, event_id: str, name: str) -> bool:
    return session.execute(select(PROCESSED_EVENTS.c.event_id).where(
        PROCESSED_EVENTS.c.event_id == event_id, PROCESSED_EVENTS.c.handler == name)).first() is not None


class ServiceBase:
    """What every service has: its database, its caller, metrics, traces, a health RPC, the outbox sweep
    and the retention job."""

    name = "base"
    db = Database()
    caller = CallerProvider()
    metrics = WorkerMetrics()
    tracing = Tracing()

    @rpc_entrypoint
    def health(self) -> dict:
        """Readiness: the service consumes its queue and reaches its database."""
        self.db.execute(text("SELECT 1"))
        return {"service": self.name, "status": "ok"}

    @rpc_entrypoint
    def ping(self) -> dict:
        """A round trip through the broker without the database (benchmarks, diagnostics); the probes'
        liveness is METRICS_PORT's /healthz, which needs neither."""
        return {"service": self.name, "status": "ok"}

    @timer(interval=2)
    def relay_outbox(self) -> None:
        relay = self.db.info["relay"]
        relay.sweep()
        relay.measure_backlog()

    @timer(interval=PRUNE_INTERVAL_SECONDS)
    def prune_history(self) -> None:
        """Sent outbox rows and processed-event records older than EVENT_RETENTION_DAYS go."""
        prune(self.db.get_bind(), self.name)


class AuditTrail:
    """Mixin for a service that keeps an audit trail of its money or stock writes (`audit.py`)."""
    name: str
    db: Session  # ServiceBase's dependencies
    caller: Caller

    @rpc
    def list_audit(self, query: dict) -> dict:
        """One document's audit trail (`document_type`, `document_id`), newest first."""
        return list_audit_entries(self.db, self.caller, self.name, query, self.audit_document_stores)

    def audit_document_stores(self, document_type: str, document_id: str) -> set[str]:
        """Stores besides those in a document's rows whose users read its trail (none unless overridden)."""
        return set()
