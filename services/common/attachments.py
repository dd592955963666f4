"""Attachment metadata: photos, videos and PDFs attached to a service's documents (a workshop finding
or work order, a sales visit's walk-around, a crm complaint, an inventory receipt). The bytes are in the
object store (`storage.py`), written by the gateway; the row, written after the bytes are stored, is what
makes an attachment exist, so nothing half-written is ever listed. The table lives in each owner's
database (`add_attachment_tables` for its models and migrations); who may record or read a row is
decided by its owning document's store, checked by the owner.

An attachment's id names the service keeping it (`w-…` workshop, `s-…` sales, `c-…` crm, `i-…`
inventory), so a read asks that one service. Its bytes are kept under
`<service>/<upload day>/<store>/<id>` (thumbnail: `….thumbnail.jpg`): each service sweeps only its own
recent days for bytes no row claims. A row goes (retention, a customer's erasure) together with a
`attachment_deletions` row per key in one transaction; the bytes follow (`attachment_jobs.py`).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Iterable

from marshmallow import Schema, fields, validate
from sqlalchemy import JSON, BigInteger, Column, Connection, Index, Integer, MetaData, String, Table, delete, or_, \
    select
from sqlalchemy.orm import Session

from . import config
from .context import Caller
from .db import UTCDateTime, utcnow
from .errors import NotFound
from .ids import new_id
from .schemas import page

OWNER_SERVICES = {"w": "workshop", "s": "sales", "c": "crm", "i": "inventory"}
"""The first letter of an attachment id → the service keeping its row."""
_SERVICE_CODES = {service: code for code, service in OWNER_SERVICES.items()}
ID_PATTERN = r"^[wsci]-[0-9a-z]{26}$"
THUMBNAIL_SUFFIX = ".thumbnail.jpg"
RETENTION_DAYS = {"finding": 3 * 365, "visit": 3 * 365, "work_order": 3 * 365, "complaint": 3 * 365,
                  "receipt": 10 * 365}
"""How long each kind of attachment (by what it is attached to) is kept, in days, unless
`ATTACHMENT_RETENTION_DAYS_<KIND>` says otherwise: repair evidence as long as a claim on the repair can
come (three years), a delivery's papers as long as the books they support (ten). A kind not named here
is kept `ATTACHMENT_RETENTION_DAYS` (default three years)."""
DEFAULT_RETENTION_DAYS = 3 * 365

WALK_AROUND_POSITIONS = ("front", "front_left", "left", "rear_left", "rear", "rear_right", "right", "front_right",
                         "roof", "interior", "dashboard", "trunk", "other")
"""Where around the car a check-in (接车环检) photo was taken; delivery shoots the same positions."""
DAMAGE_KINDS = ("scratch", "dent", "crack", "chip", "paint", "missing", "other")
STAGES = ("check_in", "delivery")
"""When a walk-around photo was taken: as the car came in, or as it was handed back (before / after)."""

_metadata = MetaData()
ATTACHMENTS = Table(
    "attachments", _metadata,
    Column("id", String(32), primary_key=True),
    Column("store_id", String(64), nullable=False),
    Column("owner_type", String(30), nullable=False, comment="finding, visit, work_order, complaint, receipt …"),
    Column("owner_id", String(64), nullable=False),
    Column("parent_id", String(64), comment="the owner's document (a finding's work order), else the owner"),
    Column("position", String(20), comment="walk-around position"),
    Column("damage", JSON, comment="damage marks: [{kind, note}]"),
    Column("stage", String(20), comment="walk-around: check_in | delivery"),
    Column("signer", String(120), comment="a signature's signer, as written beside it"),
    Column("document_sha256", String(64), comment="a signature: sha256 of the canonical document signed"),
    Column("storage_key", String(200), nullable=False),
    Column("thumbnail_key", String(200), comment="set once the thumbnail is made (off the request path)"),
    Column("thumbnail_claimed_until", UTCDateTime, comment="a worker is making the thumbnail until then"),
    Column("content_type", String(60), nullable=False),
    Column("kind", String(10), nullable=False, comment="image, video, pdf"),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("width", Integer),
    Column("height", Integer),
    Column("taken_at", UTCDateTime),
    Column("uploaded_by", String(64)),
    Column("uploaded_at", UTCDateTime, nullable=False),
    Index("ix_attachments_owner", "owner_type", "owner_id", "id"),
    Index("ix_attachments_parent", "parent_id"),
    Index("ix_attachments_uploaded_at", "uploaded_at"),
)
ATTACHMENT_DELETIONS = Table(
    "attachment_deletions", _metadata,
    Column("storage_key", String(200), primary_key=True),
    Column("reason", String(20), nullable=False, comment="retention, erasure"),
    Column("requested_at", UTCDateTime, nullable=False),
    comment="bytes whose row is gone, to delete from the object store",
)


def add_attachment_tables(metadata: MetaData) -> None:
    """Put the attachment tables into a service's own metadata (models and migrations)."""
    ATTACHMENTS.to_metadata(metadata)
    ATTACHMENT_DELETIONS.to_metadata(metadata)


def new_attachment_id(service: str) -> str:
    return f"{_SERVICE_CODES[service]}-{new_id()}"


def owner_service(attachment_id: str) -> str | None:
    """The service keeping the attachment's row, from its id (None: not an attachment id)."""
    code, dash, _rest = attachment_id.partition("-")
    return OWNER_SERVICES.get(code) if dash else None


def storage_key(attachment_id: str, store_id: str, day: datetime) -> str:
    return f"{owner_service(attachment_id)}/{day.date().isoformat()}/{store_id}/{attachment_id}"


def thumbnail_key_of(key: str) -> str:
    return key + THUMBNAIL_SUFFIX


def retention(owner_type: str) -> timedelta:
    days = RETENTION_DAYS.get(owner_type, config.env_int("ATTACHMENT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    return timedelta(days=config.env_int(f"ATTACHMENT_RETENTION_DAYS_{owner_type.upper()}", days))


class DamageMark(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DAMAGE_KINDS))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class AttachmentRecord(Schema):
    """What the gateway reports after storing the bytes."""
    id = fields.String(required=True, validate=validate.Regexp(ID_PATTERN))
    storage_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content_type = fields.String(required=True, validate=validate.OneOf(
        ("image/jpeg", "image/png", "video/mp4", "application/pdf")))
    kind = fields.String(required=True, validate=validate.OneOf(("image", "video", "pdf")))
    size = fields.Integer(required=True, validate=validate.Range(min=1))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    width = fields.Integer(load_default=None, allow_none=True)
    height = fields.Integer(load_default=None, allow_none=True)
    taken_at = fields.DateTime(load_default=None, allow_none=True)
    position = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(WALK_AROUND_POSITIONS))
    damage = fields.List(fields.Nested(DamageMark), load_default=list, validate=validate.Length(max=20))
    stage = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STAGES))
    signer = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=120))


class AttachmentOut(Schema):
    """An attachment as clients see it; `url` and `thumbnail_url` are the gateway's read endpoints."""
    id = fields.String()
    owner_type = fields.String()
    owner_id = fields.String()
    content_type = fields.String()
    kind = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    taken_at = fields.DateTime(allow_none=True)
    position = fields.String(allow_none=True)
    damage = fields.List(fields.Dict())
    stage = fields.String(allow_none=True)
    uploaded_by = fields.String(allow_none=True)
    uploaded_at = fields.DateTime()
    url = fields.Function(lambda row: f"/v1/attachments/{row['id']}")
    thumbnail_url = fields.Function(
        lambda row: f"/v1/attachments/{row['id']}/thumbnail" if row.get("kind") == "image" else None, allow_none=True,
        metadata={"description": "Images only; until the thumbnail is made it answers the photo itself"})


class QuotePhotoOut(AttachmentOut):
    """A photo shown on a customer's quote (rows carry `quote_id`): read under the quote, so a token from a
    link to that one quote reads it too."""
    url = fields.Function(lambda row: f"/c/v1/quotes/{row['quote_id']}/attachments/{row['id']}")
    thumbnail_url = fields.Function(
        lambda row: f"/c/v1/quotes/{row['quote_id']}/attachments/{row['id']}/thumbnail"
        if row.get("kind") == "image" else None, allow_none=True)


class StoredAttachmentOut(AttachmentOut):
    """For the gateway only: where the bytes are and whose store they belong to."""
    store_id = fields.String()
    storage_key = fields.String()
    thumbnail_key = fields.String(allow_none=True)


def record_attachment(session: Session, caller: Caller, owner: dict, data: dict) -> dict:
    """One attachment row for an owner the caller was already checked against (`owner`: store_id,
    owner_type, owner_id, parent_id). A repeat of the same id (the gateway retrying) answers the row."""
    existing = session.execute(select(ATTACHMENTS).where(ATTACHMENTS.c.id == data["id"])).mappings().first()
    if existing is not None:
        return dict(existing)
    row = {**data, **owner, "parent_id": owner.get("parent_id") or owner["owner_id"], "uploaded_by": caller.user_id,
           "uploaded_at": utcnow()}
    session.execute(ATTACHMENTS.insert().values(**row))
    return row


def attachment_row(session: Session, attachment_id: str) -> dict:
    """The row whoever asks (NotFound if there is none): the caller decides who may see it."""
    row = session.execute(select(ATTACHMENTS).where(ATTACHMENTS.c.id == attachment_id)).mappings().first()
    if row is None:
        raise NotFound(f"No attachment {attachment_id}.")
    return dict(row)


def get_attachment(session: Session, caller: Caller, attachment_id: str) -> dict:
    """The row, if the caller may see its store (another store's → Forbidden)."""
    row = attachment_row(session, attachment_id)
    caller.require_store(row["store_id"])
    return row


def attachments_of(session: Session, owner_type: str, owner_ids: list[str]) -> dict[str, list[dict]]:
    """The attachments of each owner, oldest first (the caller was checked against the owners)."""
    found: dict[str, list[dict]] = defaultdict(list)
    if owner_ids:
        rows = session.execute(select(ATTACHMENTS).where(ATTACHMENTS.c.owner_type == owner_type,
                                                         ATTACHMENTS.c.owner_id.in_(owner_ids))
                               .order_by(ATTACHMENTS.c.id)).mappings()
        for row in rows:
            found[row["owner_id"]].append(dict(row))
    return found


def attachments_page(session: Session, owner_type: str, owner_id: str, limit: int, cursor: str | None) -> dict:
    """One owner's attachments, oldest first, a page at a time (the caller was checked against the owner)."""
    query = select(ATTACHMENTS).where(ATTACHMENTS.c.owner_type == owner_type, ATTACHMENTS.c.owner_id == owner_id)
    if cursor:
        query = query.where(ATTACHMENTS.c.id > cursor)
    rows = [dict(row) for row in session.execute(query.order_by(ATTACHMENTS.c.id).limit(limit + 1)).mappings()]
    return page(rows, limit, key=lambda row: row["id"])


def forget(session: Session | Connection, rows: Iterable[dict], reason: str, now: datetime | None = None) -> int:
    """Delete the rows and queue their bytes (file and thumbnail) for deletion, in the caller's
    transaction: once it commits the attachments are gone for every reader; how many rows."""
    rows = list(rows)
    if not rows:
        return 0
    now = now or utcnow()
    keys = {key for row in rows for key in (row["storage_key"], thumbnail_key_of(row["storage_key"]))}
    queued = set(session.scalars(select(ATTACHMENT_DELETIONS.c.storage_key)
                                 .where(ATTACHMENT_DELETIONS.c.storage_key.in_(keys))))
    if keys - queued:
        session.execute(ATTACHMENT_DELETIONS.insert(), [{"storage_key": key, "reason": reason, "requested_at": now}
                                                        for key in sorted(keys - queued)])
    session.execute(delete(ATTACHMENTS).where(ATTACHMENTS.c.id.in_([row["id"] for row in rows])))
    return len(rows)


def forget_documents(session: Session, document_ids: list[str], reason: str = "erasure") -> int:
    """Every attachment of these documents (attached to them or to a part of them, like a finding of a
    work order) goes; how many."""
    if not document_ids:
        return 0
    rows = session.execute(select(ATTACHMENTS).where(or_(ATTACHMENTS.c.parent_id.in_(document_ids),
                                                         ATTACHMENTS.c.owner_id.in_(document_ids)))).mappings()
    return forget(session, [dict(row) for row in rows], reason)
