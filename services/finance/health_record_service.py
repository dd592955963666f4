"""finance's repair health-record entrypoints (汽车维修电子健康档案), mixed into the finance service: thin over
`domain/health_records.py`; the system's adapter built once per container from the environment."""
from __future__ import annotations

import logging
from datetime import datetime

from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from sqlalchemy.orm import Session

from services.common.config import health_record_poll_seconds
from services.common.context import Caller
from services.common.db import utcnow
from services.common.entrypoints import rpc, unit_of_work
from services.common.policy import visible_stores
from services.common.schemas import dump_page, load, page
from services.common.transactions import before_remote_call
from services.common.errors import Unavailable
from services.common.upstream import ServiceRpc, answer_within_timeout
from services.contracts.crm import RecordVehiclesOut
from services.contracts.rpc.finance import (HealthRecordBackfill, HealthRecordBackfillOut, HealthRecordOut,
                                           HealthRecordQuery)
from services.contracts.sales import RepairVisitsOut

from .domain import health_records
from .accounts import StoreProviders
from .domain.ledger import store_keys
from .health_record_provider import HealthRecordProvider
from .providers import ProviderError

log = logging.getLogger(__name__)
upload_out = HealthRecordOut()


class HealthRecordSystem(DependencyProvider):
    """The provincial system per store (the chain's settings, a store's own password or province's system
    from its keys file), or None where `HEALTH_RECORD_BASE_URL` is not set (uploads then wait, queued)."""

    def setup(self):
        self.stores = StoreProviders("health_record", HealthRecordProvider, "base_url")

    def for_store(self, *store_keys: str | None) -> HealthRecordProvider | None:
        return self.stores.for_store(*store_keys)

    def configured(self) -> bool:
        """For the chain or for at least one store."""
        return self.stores.any_configured()

    def get_dependency(self, worker_ctx):
        return self


class HealthRecordEntrypoints:
    """The uploads' list, the retry of a failed one, and the worker that sends due records."""
    db: Session  # ServiceBase's dependencies
    caller: Caller
    health_record_system = HealthRecordSystem()
    crm = ServiceRpc("crm")
    sales = ServiceRpc("sales")

    @rpc
    def list_health_record_uploads(self, query: dict) -> dict:
        params = load(HealthRecordQuery(), query)
        stores = visible_stores(self.caller, params.get("store_id"))
        return dump_page(page(health_records.list_uploads(self.db, stores, params), params["limit"]), upload_out)

    @rpc
    def get_health_record_upload(self, upload_id: str) -> dict:
        return upload_out.dump(health_records.get_upload(self.db, self.caller, upload_id))

    @rpc
    def retry_health_record_upload(self, upload_id: str) -> dict:
        return upload_out.dump(health_records.retry(self.db, self.caller, upload_id))

    @rpc
    def backfill_health_records(self, data: dict) -> dict:
        """A manager's request: the store's past settlements of a range of days with no upload yet, queued."""
        request = load(HealthRecordBackfill(), data)
        return HealthRecordBackfillOut().dump(health_records.backfill(self.db, self.caller, request["store_id"],
                                                                      request["from_"], request["to"]))

    @timer(interval=health_record_poll_seconds())
    def upload_health_records(self) -> None:
        """Due records to the system: one read of crm and of sales for the batch (no transaction open), then
        each row claimed, built and checked, sent and its answer written, each step committing on its own."""
        if not self.health_record_system.configured():
            return
        now = utcnow()
        rows = self._due_uploads(now)
        if not rows:
            return
        before_remote_call(self.db, "crm and sales")
        try:
            with answer_within_timeout("crm"):
                vehicles = {item["vehicle_id"]: item for item in RecordVehiclesOut().load(
                    self.crm.vehicles_for_records([row["vehicle_id"] for row in rows if row["vehicle_id"]]))["items"]}
            with answer_within_timeout("sales"):
                visits = {item["order_id"]: item for item in RepairVisitsOut().load(self.sales.visits_for_orders(
                    [row["order_id"] for row in rows]))["items"]}
        except (RemoteError, Unavailable) as exc:  # an owner not answering: the rows stay due
            log.warning("health records wait: crm or sales did not answer (%s)", type(exc).__name__)
            return
        for row in rows:
            try:
                claimed = self._prepare_upload(row["id"], row["seen"], now, vehicles, visits)
                if claimed is not None:
                    self.send_health_record(claimed, now)
            except Exception:
                self.db.rollback()
                log.exception("uploading health record %s failed", row["id"])

    @unit_of_work
    def _due_uploads(self, now: datetime) -> list[dict]:
        return health_records.due(self.db, now)

    @unit_of_work
    def _prepare_upload(self, upload_id: str, seen: datetime, now: datetime, vehicles: dict,
                        visits: dict) -> dict | None:
        return health_records.prepare(self.db, upload_id, seen, now, vehicles, visits)

    def send_health_record(self, claimed: dict, now: datetime) -> str:
        """Send one claimed, checked record with no transaction open; write what the system answered."""
        provider = self.health_record_system.for_store(*store_keys(self.db, claimed["store_id"]))
        before_remote_call(self.db, "the health-record system")
        try:
            if provider is None:
                raise ProviderError(0, "not_configured")
            words = provider.upload(claimed["company_code"], claimed["record"])
            changes = {"status": "uploaded", "uploaded_at": utcnow(), "last_error": None}
            log.info("health record %s uploaded: %s", claimed["id"], words)
        except ProviderError as exc:
            self.db.rollback()
            attempts = self._upload_attempts(claimed["id"])
            changes = health_records.after_error(attempts, exc.down, exc.code, exc.message or str(exc), now)
            if exc.down:
                log.warning("health record %s: the system is down (%s); attempt %s", claimed["id"], exc,
                            changes["attempts"])
        return self._record_upload(claimed["id"], changes)

    @unit_of_work
    def _upload_attempts(self, upload_id: str) -> int:
        return health_records.get_or_none_attempts(self.db, upload_id)

    @unit_of_work
    def _record_upload(self, upload_id: str, changes: dict) -> str:
        return health_records.record_step(self.db, upload_id, changes)
