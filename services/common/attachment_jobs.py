"""What the owning service does with its attachments after the gateway stored them, each step in
short transactions of its own and never a transaction open across an object-store call:

- `make_thumbnails`: an image recorded without a thumbnail is claimed (a conditional update, so one
  replica makes it), read from the object store, thumbnailed and written back; the row then names it.
- `expire`: rows past their kind's retention (`attachments.retention`) go, their keys queued.
- `delete_released`: queued keys (retention, a customer's erasure) are deleted from the store.
- `sweep_orphans`: bytes under the service's recent days with no row (the gateway crashed between
  storing and recording, or the record was refused) are deleted once `ORPHAN_GRACE` has passed.

`Attachments` is the mixin that runs them on nameko timers in every service keeping attachments and
answers the gateway's attachment calls.
"""
from __future__ import annotations

import logging
import tempfile
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from nameko.extensions import DependencyProvider
from nameko.timer import timer
from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.orm import Session

from .attachments import (ATTACHMENT_DELETIONS, ATTACHMENTS, THUMBNAIL_SUFFIX, AttachmentOut, AttachmentRecord,
                          StoredAttachmentOut, attachments_page, forget, get_attachment, record_attachment, retention,
                          thumbnail_key_of)
from .context import Caller
from .db import utcnow
from .entrypoints import rpc
from .errors import NotFound
from .retention import PRUNE_INTERVAL_SECONDS
from .schemas import ListQuery, dump_page, load
from .storage import Storage, storage_from_env
from .thumbnails import make_thumbnail

log = logging.getLogger(__name__)

THUMBNAIL_INTERVAL_SECONDS = 2
DELETE_INTERVAL_SECONDS = 10
CLAIM = timedelta(seconds=60)
"""A replica making a thumbnail holds the row this long; a crash means another replica retries after."""
PENDING_WINDOW = timedelta(days=2)
"""Images younger than this without a thumbnail are worked on (an older one means a broken file: logged)."""
ORPHAN_GRACE = timedelta(hours=1)
"""Bytes without a row are left this long: an upload between storing and recording is not an orphan."""
SWEPT_DAYS = 2
"""How many past upload days the orphan sweep lists besides today (it runs hourly: one would do)."""
BATCH = 200


def make_thumbnails(engine: Engine, storage: Storage, now: datetime | None = None) -> int:
    """Thumbnails for the images waiting for one; how many were made."""
    now = now or utcnow()
    with engine.connect() as conn:
        waiting = conn.execute(select(ATTACHMENTS.c.id, ATTACHMENTS.c.storage_key).where(
            ATTACHMENTS.c.kind == "image", ATTACHMENTS.c.thumbnail_key.is_(None),
            ATTACHMENTS.c.uploaded_at > now - PENDING_WINDOW,
            or_(ATTACHMENTS.c.thumbnail_claimed_until.is_(None), ATTACHMENTS.c.thumbnail_claimed_until < now))
            .order_by(ATTACHMENTS.c.uploaded_at).limit(BATCH)).all()
    made = 0
    for attachment_id, key in waiting:
        with engine.begin() as conn:  # the claim: one replica per image
            claimed = conn.execute(update(ATTACHMENTS).where(
                ATTACHMENTS.c.id == attachment_id, ATTACHMENTS.c.thumbnail_key.is_(None),
                or_(ATTACHMENTS.c.thumbnail_claimed_until.is_(None), ATTACHMENTS.c.thumbnail_claimed_until < now))
                .values(thumbnail_claimed_until=now + CLAIM)).rowcount
        if not claimed:
            continue
        try:
            thumbnail_key = _thumbnail(storage, key)
        except Exception:  # the claim lapses and the next sweep retries; the photo itself stays readable
            log.exception("thumbnail failed", extra={"attachment_id": attachment_id})
            continue
        with engine.begin() as conn:
            conn.execute(update(ATTACHMENTS).where(ATTACHMENTS.c.id == attachment_id)
                         .values(thumbnail_key=thumbnail_key, thumbnail_claimed_until=None))
        made += 1
    return made


def _thumbnail(storage: Storage, key: str) -> str:
    with tempfile.TemporaryDirectory(prefix="thumbnail-") as directory:
        with closing(storage.open(key)) as source:
            made = make_thumbnail(source, Path(directory) / "thumbnail.jpg")
        storage.put(thumbnail_key_of(key), made, "image/jpeg")
    return thumbnail_key_of(key)


def expire(engine: Engine, now: datetime | None = None) -> int:
    """Rows older than their kind's retention go (their bytes are queued); how many."""
    now = now or utcnow()
    gone = 0
    with engine.connect() as conn:
        kinds = list(conn.scalars(select(ATTACHMENTS.c.owner_type).distinct()))
    for kind in kinds:
        while True:
            with engine.begin() as conn:
                rows = conn.execute(select(ATTACHMENTS).where(
                    ATTACHMENTS.c.owner_type == kind, ATTACHMENTS.c.uploaded_at < now - retention(kind))
                    .limit(BATCH)).mappings().all()
                gone += forget(conn, [dict(row) for row in rows], "retention", now)
            if len(rows) < BATCH:
                break
    if gone:
        log.info("attachments expired", extra={"count": gone})
    return gone


def delete_released(engine: Engine, storage: Storage) -> int:
    """Delete the queued keys from the object store; how many."""
    with engine.connect() as conn:
        keys = list(conn.scalars(select(ATTACHMENT_DELETIONS.c.storage_key)
                                 .order_by(ATTACHMENT_DELETIONS.c.requested_at).limit(BATCH * 5)))
    for key in keys:
        storage.delete(key)
        with engine.begin() as conn:
            conn.execute(delete(ATTACHMENT_DELETIONS).where(ATTACHMENT_DELETIONS.c.storage_key == key))
    return len(keys)


def sweep_orphans(engine: Engine, storage: Storage, service: str, now: datetime | None = None) -> int:
    """Delete the service's stored bytes of its last days that no row names; how many keys."""
    now = now or utcnow()
    deleted = 0
    for days_ago in range(SWEPT_DAYS + 1):
        day = (now - timedelta(days=days_ago)).date().isoformat()
        old = [key for key, modified in storage.listing(f"{service}/{day}/") if modified < now - ORPHAN_GRACE]
        for start in range(0, len(old), BATCH):
            for key in _unclaimed(engine, old[start:start + BATCH]):
                storage.delete(key)
                deleted += 1
    if deleted:
        log.info("orphaned attachment bytes deleted", extra={"service": service, "count": deleted})
    return deleted


def _unclaimed(engine: Engine, keys: list[str]) -> list[str]:
    """The keys no attachment row names (as its file or its thumbnail's)."""
    bases = {key: key.removesuffix(THUMBNAIL_SUFFIX) for key in keys}
    with engine.connect() as conn:
        known = set(conn.scalars(select(ATTACHMENTS.c.storage_key)
                                 .where(ATTACHMENTS.c.storage_key.in_(set(bases.values())))))
    return [key for key, base in bases.items() if base not in known]


class ObjectStore(DependencyProvider):
    """Injects the attachment store (`STORAGE_BACKEND`), one per container."""

    def setup(self):
        self.storage = storage_from_env()

    def get_dependency(self, worker_ctx) -> Storage:
        return self.storage


class Attachments:
    """Mixin for a service keeping attachments: the gateway's calls (an owner is named by its type and
    id, resolved by `attachment_owner`) and the timers of the attachments' life after upload."""
    name: str
    db: Session  # ServiceBase's dependencies
    caller: Caller
    storage = ObjectStore()

    def attachment_owner(self, owner_type: str, owner_id: str) -> dict:
        """The document `owner_id` of `owner_type` as an attachment owner (store_id, owner_type, owner_id,
        parent_id), the caller's store scope checked; NotFound for a type this service does not keep."""
        raise NotFound(f"No {owner_type} {owner_id}.")

    @rpc
    def authorize_attachment(self, owner_type: str, owner_id: str) -> dict:
        """Before the gateway stores an upload: may the caller attach to this document (its store)?"""
        return self.attachment_owner(owner_type, owner_id)

    @rpc
    def record_attachment(self, owner_type: str, owner_id: str, data: dict) -> dict:
        """After the bytes are stored: the attachment's row (checked against the document again)."""
        owner = self.attachment_owner(owner_type, owner_id)
        row = record_attachment(self.db, self.caller, owner, load(AttachmentRecord(), data))
        return StoredAttachmentOut().dump(row)

    @rpc
    def list_attachments(self, owner_type: str, owner_id: str, query: dict | None = None) -> dict:
        """A page of the document's attachments, oldest first (`query`: limit, cursor)."""
        owner = self.attachment_owner(owner_type, owner_id)
        params = load(ListQuery(), query or {})
        return dump_page(attachments_page(self.db, owner["owner_type"], owner["owner_id"], params["limit"],
                                          params["cursor"]), AttachmentOut())

    @rpc
    def get_attachment(self, attachment_id: str) -> dict:
        return StoredAttachmentOut().dump(get_attachment(self.db, self.caller, attachment_id))

    def _engine(self) -> Engine:
        return cast(Engine, self.db.get_bind())  # the jobs run their own short transactions

    @timer(interval=THUMBNAIL_INTERVAL_SECONDS)
    def make_thumbnails(self) -> None:
        make_thumbnails(self._engine(), self.storage)

    @timer(interval=DELETE_INTERVAL_SECONDS)
    def delete_released_files(self) -> None:
        """Bytes of erased customers' documents and of expired attachments go within seconds."""
        delete_released(self._engine(), self.storage)

    @timer(interval=PRUNE_INTERVAL_SECONDS)
    def attachment_lifecycle(self) -> None:
        engine = self._engine()
        expire(engine)
        sweep_orphans(engine, self.storage, self.name)
