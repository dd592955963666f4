"""Signatures drawn on screen: a PNG attachment of the signed document, with the signer, the time and the
sha256 of the document's canonical form when it was signed. The owner of the document says what its
canonical form is (the facts the signer agreed to, never its later status); reading the signature
recomputes that hash, so a document changed after signing shows as no longer matching."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal

from marshmallow import Schema, fields
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import attachments
from .context import Caller


def _plain(value):
    if isinstance(value, Decimal):  # 1.50 and 1.5 are one quantity
        return format(value.normalize(), "f")
    if isinstance(value, datetime):  # one instant, one text, whatever offset it was written with
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"Not part of a canonical document: {type(value).__name__}")


def canonical(document: dict) -> bytes:
    """The document as bytes that only its content decides: JSON, keys sorted, no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_plain).encode("utf-8")


def digest(document: dict) -> str:
    return hashlib.sha256(canonical(document)).hexdigest()


def record_signature(session: Session, caller: Caller, owner: dict, image: dict, document: dict) -> dict:
    """The signature's row (`image`: the stored PNG as `attachments.AttachmentRecord`, with `signer`),
    bound to the hash of `document` as it is now."""
    return attachments.record_attachment(session, caller, owner, {**image, "document_sha256": digest(document)})


def signature_of(session: Session, owner_type: str, owner_id: str, document: dict) -> dict | None:
    """The latest signature of a document, with whether the document still hashes as it did when signed."""
    table = attachments.ATTACHMENTS
    row = session.execute(select(table).where(table.c.owner_type == owner_type, table.c.owner_id == owner_id)
                          .order_by(table.c.id.desc()).limit(1)).mappings().first()
    if row is None:
        return None
    current = digest(document)
    return {**row, "signed_at": row["uploaded_at"], "current_sha256": current,
            "matches": current == row["document_sha256"]}


class SignatureOut(Schema):
    """A drawn signature as clients see it (its image at `url`)."""
    id = fields.String()
    signer = fields.String(allow_none=True)
    signed_at = fields.DateTime()
    document_sha256 = fields.String(metadata={"description": "sha256 of the canonical document when it was signed"})
    current_sha256 = fields.String(metadata={"description": "sha256 of the same document now"})
    matches = fields.Boolean(metadata={"description": "The document is unchanged since it was signed"})
    url = fields.Function(lambda row: f"/v1/attachments/{row['id']}")
