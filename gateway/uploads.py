"""Receiving a `multipart/form-data` upload: the `file` part is streamed to a temporary file in
chunks (never held whole in memory), the other parts are small text fields. What the file is, and
whether it is kept, is decided afterwards (`media.py`)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import falcon

from . import media

CHUNK = 64 * 1024
MAX_FIELD_CHARS = 4000
FILE_FIELD = "file"
RETRY_SECONDS = 5


@dataclass(frozen=True)
class Upload:
    path: Path
    size: int
    sha256: str
    fields: dict


def unsupported(message: str) -> falcon.HTTPUnsupportedMediaType:
    return falcon.HTTPUnsupportedMediaType(title="unsupported_media_type", description=message)


def busy(message: str) -> falcon.HTTPServiceUnavailable:
    return falcon.HTTPServiceUnavailable(title="uploads_busy", description=message, retry_after=RETRY_SECONDS)


def too_large(message: str) -> falcon.HTTPContentTooLarge:
    return falcon.HTTPContentTooLarge(title="payload_too_large", description=message)


def receive(req: falcon.Request, directory: Path, limit: int = media.MAX_UPLOAD_BYTES) -> Upload | None:
    """Read the form: its `file` into `directory`, at most `limit` bytes (413 beyond); text fields as
    strings (a JSON array or object field, like `damage`, is decoded). None: no (or an empty) file."""
    if not (req.content_type or "").lower().startswith("multipart/form-data"):
        raise unsupported("Send the file as multipart/form-data with a part named `file`.")
    path, size, digest, fields = directory / "upload", 0, hashlib.sha256(), {}
    found = False
    for part in req.get_media():
        if part.name == FILE_FIELD and not found:
            found = True
            with open(path, "wb") as out:
                while chunk := part.stream.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise too_large(f"Uploads are limited to {limit // media.MB} MB.")
                    digest.update(chunk)
                    out.write(chunk)
        elif part.name and part.name != FILE_FIELD:
            text = part.stream.read(MAX_FIELD_CHARS + 1).decode("utf-8", errors="replace")
            if len(text) > MAX_FIELD_CHARS:
                raise too_large(f"Form field {part.name} is limited to {MAX_FIELD_CHARS} characters.")
            fields[part.name] = _decoded(text)
    if not found or size == 0:
        return None
    return Upload(path, size, digest.hexdigest(), fields)


def _decoded(text: str):
    if text[:1] in ("[", "{"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text
