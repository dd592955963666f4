"""The attachment stores: the local directory, and the S3 backend against a real S3-protocol server
(moto in server mode, its own process on a free port). Only a sandbox: no cloud provider is called."""
from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import time

import pytest
import requests
from PIL import Image

from services.common.storage import LocalStorage, S3Storage, s3_client
from tests.support.stack import free_port
from tests.unit.conftest import app  # noqa: F401 - the gateway with a fake RPC client, as a fixture here
from tests.unit.test_attachment_routes import PATH, OwnerRpc, post
from tests.unit.test_media import jpeg_with_gps


@pytest.fixture(scope="module")
def s3_endpoint():
    process, url = None, ""
    for _attempt in range(3):  # a free port may be taken before moto binds it: another port then
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        if answers(url, process, within=60):
            break
        process.terminate()
        process.wait(timeout=10)
    else:
        raise RuntimeError("moto server did not start")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def answers(url: str, process: subprocess.Popen, within: float) -> bool:
    """Whether the server answers before `within` seconds pass (a busy CI machine answers the first
    request slowly: a read timeout is waited out like a refused connection) and its process lives."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(url, timeout=5)
            return True
        except requests.RequestException:
            time.sleep(0.2)
    return False


@pytest.fixture
def s3(s3_endpoint):
    client = s3_client(s3_endpoint, "cn-north-1", "test-key", "test-secret")
    bucket = f"attachments-{time.monotonic_ns()}"
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    return S3Storage(client, bucket, url_ttl_seconds=60)


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "upload"
    path.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 40)
    return path


def test_s3_put_then_presigned_url_serves_the_bytes_with_their_type(s3, photo):
    s3.put("store-1/a1", photo, "image/jpeg")
    url = s3.url("store-1/a1", "image/jpeg")
    assert "X-Amz-Expires=60" in url and "X-Amz-Signature=" in url
    reply = requests.get(url, timeout=10)
    assert reply.status_code == 200
    assert reply.content == photo.read_bytes()
    assert reply.headers["Content-Type"] == "image/jpeg"
    assert s3.open("store-1/a1").read() == photo.read_bytes()


def test_s3_unsigned_or_tampered_reads_are_refused(s3, photo, s3_endpoint):
    s3.put("store-1/a2", photo, "image/jpeg")
    url = s3.url("store-1/a2", "image/jpeg")
    tampered = url.replace("store-1/a2", "store-1/a1")
    assert requests.get(tampered, timeout=10).status_code == 403


def test_s3_delete_and_missing_key(s3, photo):
    s3.put("store-1/a3", photo, "image/jpeg")
    s3.delete("store-1/a3")
    with pytest.raises(FileNotFoundError):
        s3.open("store-1/a3")
    s3.delete("store-1/never")  # absent is fine


def test_s3_listing_names_every_key_under_a_prefix_with_its_time(s3, photo):
    for key in ("workshop/2026-12-06/s1/a", "workshop/2026-12-06/s2/b", "workshop/2026-12-07/s1/c", "sales/x"):
        s3.put(key, photo, "image/jpeg")
    listed = dict(s3.listing("workshop/2026-12-06/"))
    assert sorted(listed) == ["workshop/2026-12-06/s1/a", "workshop/2026-12-06/s2/b"]
    assert all(when.tzinfo is not None for when in listed.values())
    assert list(s3.listing("finance/")) == []


def test_s3_urls_are_signed_for_the_address_browsers_use(s3, photo, s3_endpoint):
    """The services reach the store as 127.0.0.1, browsers as localhost (compose: minio:9000 and the
    published port): SigV4 signs the host, so reads are signed for the browsers' address."""
    public = s3_endpoint.replace("127.0.0.1", "localhost")
    signed = S3Storage(s3.client, s3.bucket, 60, signer=s3_client(public, "cn-north-1", "test-key", "test-secret"))
    signed.put("store-1/p1", photo, "image/jpeg")
    url = signed.url("store-1/p1", "image/jpeg")
    assert url.startswith(public + "/") and signed.origin() == public
    assert requests.get(url, timeout=10).content == photo.read_bytes()


def test_local_listing_skips_nothing_a_crash_left(tmp_path, photo):
    store = LocalStorage(tmp_path / "attachments")
    store.put("workshop/2026-12-06/s1/a", photo, "image/jpeg")
    (tmp_path / "attachments" / "workshop" / "2026-12-06" / "s1" / ".partial-x").write_bytes(b"half")
    assert sorted(key for key, _ in store.listing("workshop/2026-12-06/")) == [
        "workshop/2026-12-06/s1/.partial-x", "workshop/2026-12-06/s1/a"]
    assert list(store.listing("sales/")) == [] and store.origin() is None


def test_local_put_open_delete_leaves_no_partial_files(tmp_path, photo):
    store = LocalStorage(tmp_path / "attachments")
    store.put("store-1/a1", photo, "image/jpeg")
    assert store.open("store-1/a1").read() == photo.read_bytes()
    assert store.url("store-1/a1", "image/jpeg") is None
    assert [p.name for p in (tmp_path / "attachments" / "store-1").iterdir()] == ["a1"]
    store.delete("store-1/a1")
    store.delete("store-1/a1")
    with pytest.raises(FileNotFoundError):
        store.open("store-1/a1")


@pytest.mark.parametrize("key", ["../escape", "a/../../b", "/abs", "", "a//b", "a\\b"])
def test_keys_cannot_leave_the_store(tmp_path, photo, key):
    with pytest.raises(ValueError):
        LocalStorage(tmp_path).put(key, photo, "image/jpeg")


def test_gateway_stores_uploads_in_s3_and_answers_reads_with_a_short_lived_redirect(app, s3, tmp_path):  # noqa: F811
    """The gateway (fake owner RPC, see tests/unit/test_attachment_routes.py) with the S3 backend: the
    bytes are read from the object store itself, never through the gateway."""
    app.deps.rpc, app.deps.storage = OwnerRpc(), s3
    created = post(app, PATH, jpeg_with_gps(tmp_path / "gps.jpg").read_bytes())
    assert created.status_code == 201, created.text
    read = app.simulate_get(created.json["url"])
    assert read.status_code == 302 and read.content == b""
    location = read.headers["location"]
    assert location.startswith(s3.client.meta.endpoint_url) and "X-Amz-Expires=60" in location
    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "image/jpeg"
    assert hashlib.sha256(fetched.content).hexdigest() == created.json["sha256"]
    assert not Image.open(io.BytesIO(fetched.content)).getexif().get_ifd(0x8825)
    thumb = app.simulate_get(created.json["thumbnail_url"])  # not made yet: the photo's own URL
    assert thumb.status_code == 302 and requests.get(thumb.headers["location"], timeout=10).status_code == 200
