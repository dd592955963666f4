"""A signature drawn on screen arrives as a base64 PNG (a data: URL from a canvas); the gateway checks it
is one, stores it in the object store, and hands the owning service the record to keep beside the hash
of the document it signs (the owner computes that hash, in the transaction that records the signature)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from marshmallow import fields, validate

from services.common.attachments import new_attachment_id, storage_key
from services.common.db import utcnow
from services.common.storage import Storage

from .api import ValidationFailed

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_CHARS = 400_000
"""A signature drawn on a phone or a counter's screen is a small PNG: its base64 text stays well under this."""


def signature_field() -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=MAX_SIGNATURE_CHARS),
                         metadata={"description": "The signature drawn on screen: a PNG, base64 (a data: URL is "
                                                  "taken too)"})


def png_of(text: str, field: str) -> bytes:
    """The PNG in a base64 text or data: URL; anything else is 422 at `field`."""
    _, _, data = text.rpartition(",") if text.startswith("data:") else ("", "", text)
    try:
        png = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        png = b""
    if not png.startswith(PNG_MAGIC) or len(png) < 24:
        raise ValidationFailed({field: ["Not a base64 PNG image."]})
    return png


@contextmanager
def stored_signature(storage: Storage, store_id: str, png: bytes, signer: str | None = None) -> Iterator[dict]:
    """Store the PNG under the document's store and yield its record for the owner to keep; if recording
    fails (the block raises) the bytes are deleted again."""
    attachment_id = new_attachment_id("sales")  # contracts and decisions are sales' documents
    key = storage_key(attachment_id, store_id, utcnow())
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "signature.png"
        path.write_bytes(png)
        storage.put(key, path, "image/png")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    record = {"id": attachment_id, "storage_key": key, "content_type": "image/png", "kind": "image",
              "size": len(png), "sha256": hashlib.sha256(png).hexdigest(), "width": width, "height": height,
              "signer": signer}
    try:
        yield record
    except BaseException:
        storage.delete(key)
        raise
