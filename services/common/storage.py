"""Where attachment bytes live: an object store addressed by key. Services keep the metadata; the
gateway writes and reads the bytes, the owning services read photos for their thumbnails and delete
what retention and erasure release. Two backends, chosen by `STORAGE_BACKEND`:

- `local` (default): files under `DATA_DIR/attachments`, so `make run` needs nothing new. The gateway
  streams them itself.
- `s3`: any S3-compatible store through boto3 (`S3_ENDPOINT_URL`, `S3_PUBLIC_ENDPOINT_URL`, `S3_BUCKET`, `S3_REGION`,
  `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`); reads are answered with a pre-signed URL valid for
  `S3_URL_TTL_SECONDS`, so the bytes never pass through a service or the gateway.

A key is written whole or not at all: the local backend renames a finished temporary file into place,
S3 makes an object visible only when its upload completed. `listing` walks a key prefix with each
object's last change, for the sweep of bytes no row came to claim (`attachment_jobs.py`).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol
from urllib.parse import urlsplit

from . import config


class Storage(Protocol):
    def put(self, key: str, source: Path, content_type: str) -> None:
        """Store the file at `source` under `key` (replacing what was there)."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes, for a backend that serves them itself; FileNotFoundError if absent."""

    def url(self, key: str, content_type: str) -> str | None:
        """A short-lived URL a client reads the bytes from directly, or None (then use `open`)."""

    def origin(self) -> str | None:
        """Where those URLs point when it is not the gateway's own origin (the console's policy allows it)."""

    def delete(self, key: str) -> None:
        """Remove the key; a key that is not there is fine."""

    def listing(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """Every key under `prefix` (a folder: ends with '/') with when it was last written (UTC)."""


def _safe_key(key: str) -> str:
    parts = key.split("/")
    if not key or any(part in ("", ".", "..") for part in parts) or "\\" in key or "\x00" in key:
        raise ValueError(f"Not a storage key: {key!r}")
    return key


class LocalStorage:
    """A directory tree; each key is a file path below `root`."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _safe_key(key)

    def put(self, key: str, source: Path, content_type: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def url(self, key: str, content_type: str) -> str | None:
        return None

    def origin(self) -> str | None:
        return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def listing(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):  # a crash's `.partial-` files too: no row names them
            if path.is_file():
                modified = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
                yield path.relative_to(self.root).as_posix(), modified


class S3Storage:
    """A bucket of an S3-compatible store; `client` is a boto3 S3 client. `signer`, a client for the
    store's public address (`S3_PUBLIC_ENDPOINT_URL`), signs the read URLs when clients reach the store
    by another name than the services do (a signature covers the host)."""

    def __init__(self, client, bucket: str, url_ttl_seconds: int = 300, signer=None):
        self.client = client
        self.bucket = bucket
        self.url_ttl_seconds = url_ttl_seconds
        self.signer = signer or client

    def put(self, key: str, source: Path, content_type: str) -> None:
        self.client.upload_file(str(source), self.bucket, _safe_key(key), ExtraArgs={"ContentType": content_type})

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import ClientError
        try:
            return self.client.get_object(Bucket=self.bucket, Key=_safe_key(key))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from exc
            raise

    def url(self, key: str, content_type: str) -> str | None:
        return self.signer.generate_presigned_url(
            "get_object", ExpiresIn=self.url_ttl_seconds,
            Params={"Bucket": self.bucket, "Key": _safe_key(key), "ResponseContentType": content_type})

    def origin(self) -> str | None:
        parts = urlsplit(self.signer.meta.endpoint_url)
        return f"{parts.scheme}://{parts.netloc}"

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_safe_key(key))

    def listing(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=_safe_key(
            prefix.rstrip("/")) + "/")
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"], item["LastModified"]


def s3_client(endpoint_url: str | None, region: str | None, access_key: str | None, secret_key: str | None):
    """A boto3 S3 client; keys not given fall back to boto3's own chain (instance role, AWS_* variables)."""
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None,
                        aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None,
                        config=Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"},
                                      s3={"addressing_style": "path"}))


def storage_from_env() -> Storage:
    settings = config.StorageSettings()
    if settings.backend == "local":
        return LocalStorage(config.data_dir() / "attachments")
    if settings.backend == "s3":
        if not settings.s3_bucket:
            raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        keys = (settings.s3_region, settings.s3_access_key_id, settings.s3_secret_access_key)
        client = s3_client(settings.s3_endpoint_url, *keys)
        signer = s3_client(settings.s3_public_endpoint_url, *keys) if settings.s3_public_endpoint_url else None
        return S3Storage(client, settings.s3_bucket, settings.s3_url_ttl_seconds, signer)
    raise RuntimeError(f"STORAGE_BACKEND must be local or s3, not {settings.backend!r}")
