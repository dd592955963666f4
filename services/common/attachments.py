"""Attachment metadata: photos, videos and PDFs attached to a service's documents (a workshop finding,
a sales visit's walk-around). The bytes are in the object store (`storage.py`), written by the gateway;
the row, written after the bytes are stored, is what makes an attachment exist, so nothing half-written
is ever listed. The table lives in each owner's database (`add_attachment_table` for its models and
migrations); who may record or read a row is decided by its owning document's store, checked by the owner.
"""
from __future__ import annotations

from collections import defaultdict

from marshmallow import Schema, fields, validate
from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, String, Table, select
from sqlalchemy.orm import Session

from .context import Caller
from .db import UTCDateTime, utcnow
from .errors import NotFound

WALK_AROUND_POSITIONS = ("front", "front_left", "left", "rear_left", "rear", "rear_right", "right", "front_right",
                         "roof", "interior", "dashboard", "trunk", "other")
"""Where around the car a check-in (接车环检) photo was taken; delivery shoots the same positions."""
DAMAGE_KINDS = ("scratch", "dent", "crack", "chip", "paint", "missing", "other")
STAGES = ("check_in", "delivery")
"""When a walk-around photo was taken: as the car came in, or as it was handed back (before / after)."""

_metadata = MetaData()
ATTACHMENTS = Table(
    "attachments", _metadata,
    Column("id", String(26), primary_key=True),
    Column("store_id", String(64), nullable=False),
    Column("owner_type", String(30), nullable=False, comment="finding, visit …"),
    Column("owner_id", String(64), nullable=False),
    Column("parent_id", String(64), comment="the owner's document (a finding's work order)"),
    Column("position", String(20), comment="walk-around position"),
    Column("damage", JSON, comment="damage marks: [{kind, note}]"),
    Column("stage", String(20), comment="walk-around: check_in | delivery"),
    Column("signer", String(120), comment="a signature's signer, as written beside it"),
    Column("document_sha256", String(64), comment="a signature: sha256 of the canonical document signed"),
    Column("storage_key", String(200), nullable=False),
    Column("thumbnail_key", String(200)),
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
)


def add_attachment_table(metadata: MetaData) -> None:
    """Put the attachments table into a service's own metadata (models and migrations)."""
    ATTACHMENTS.to_metadata(metadata)


class DamageMark(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DAMAGE_KINDS))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class AttachmentRecord(Schema):
    """What the gateway reports after storing the bytes."""
    id = fields.String(required=True, validate=validate.Length(equal=26))
    storage_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    thumbnail_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
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
        lambda row: f"/v1/attachments/{row['id']}/thumbnail" if row.get("thumbnail_key") else None, allow_none=True)


class QuotePhotoOut(AttachmentOut):
    """A photo shown on a customer's quote (rows carry `quote_id`): read under the quote, so a token from a
    link to that one quote reads it too."""
    url = fields.Function(lambda row: f"/c/v1/quotes/{row['quote_id']}/attachments/{row['id']}")
    thumbnail_url = fields.Function(
        lambda row: f"/c/v1/quotes/{row['quote_id']}/attachments/{row['id']}/thumbnail"
        if row.get("thumbnail_key") else None, allow_none=True)


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
    row = {**data, **owner, "uploaded_by": caller.user_id, "uploaded_at": utcnow()}
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
