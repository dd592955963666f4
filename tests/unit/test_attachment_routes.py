"""The attachment endpoints in the gateway with a fake RPC and the real local store: what is kept of
an upload, what is refused before anything is stored, idempotent repeats, reads."""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from gateway import media
from gateway.rpc import RemoteError
from services.common.attachments import AttachmentRecord, StoredAttachmentOut, thumbnail_key_of
from services.common.storage import LocalStorage
from services.common.thumbnails import make_thumbnail
from tests.unit.conftest import FakeRpc
from tests.unit.test_media import jpeg_with_gps

PATH = "/v1/work-orders/wo1/inspections/f1/photos"
OWNER = {"store_id": "store-1", "owner_type": "finding", "owner_id": "f1", "parent_id": "wo1"}


class OwnerRpc(FakeRpc):
    """Answers like the owning service: authorises, records the row it is given, hands it back."""

    def __init__(self):
        super().__init__()
        self.rows = {}

    def call(self, service, method, context=None, timeout=None, **kwargs):
        super().call(service, method, context, timeout, **kwargs)
        if (service, method) in self.behaviour:
            result = self.behaviour[(service, method)]
            if isinstance(result, Exception):
                raise result
            return result
        if method.startswith("authorize_"):
            return OWNER
        if method.startswith("record_"):
            row = {**AttachmentRecord().load(kwargs["data"]), **OWNER, "uploaded_by": "admin", "uploaded_at": None}
            self.rows[row["id"]] = row
            return StoredAttachmentOut().dump(row)
        if method == "get_attachment":
            if kwargs["attachment_id"] not in self.rows:
                raise RemoteError(service, "NotFound", "No attachment.", ["No attachment.", {}, "not_found"])
            return StoredAttachmentOut().dump(self.rows[kwargs["attachment_id"]])
        return {}


@pytest.fixture
def client(app, tmp_path):
    app.deps.rpc = OwnerRpc()
    app.deps.storage = LocalStorage(tmp_path / "attachments")
    return app


def multipart(content: bytes, filename: str = "photo.jpg", fields: dict | None = None) -> tuple[bytes, str]:
    boundary = "----test-boundary-7MA4YWxk"
    chunks = []
    for name, value in (fields or {}).items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                  f'Content-Type: image/jpeg\r\n\r\n'.encode() + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def post(client, path, content, headers=None, **kwargs):
    body, content_type = multipart(content, **kwargs)
    return client.simulate_post(path, body=body, headers={**client.headers, "Content-Type": content_type,
                                                           **(headers or {})})


def stored_files(tmp_path):
    root = tmp_path / "attachments"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_photo_is_stored_without_exif_and_served_with_its_thumbnail_once_the_owner_made_it(client, tmp_path):
    source = jpeg_with_gps(tmp_path / "gps.jpg").read_bytes()
    reply = post(client, PATH, source)
    assert reply.status_code == 201, reply.text
    body = reply.json
    assert set(body) >= {"id", "content_type", "size", "sha256", "url", "thumbnail_url"}
    assert body["content_type"] == "image/jpeg" and body["url"] == f"/v1/attachments/{body['id']}"
    assert reply.headers["location"] == body["url"]
    got = client.simulate_get(body["url"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert len(got.content) == body["size"] and got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["cache-control"] == "private, max-age=300"  # the API's no-store is for other answers
    assert reply.headers["cache-control"] == "no-store"
    unknown = client.simulate_get("/v1/attachments/w-nosuchattachment0000000")
    assert unknown.status_code == 404 and unknown.headers["cache-control"] == "no-store"
    kept = Image.open(io.BytesIO(got.content))
    assert not kept.getexif().get_ifd(0x8825) and b"Phone X" not in got.content
    assert stored_files(tmp_path) == [body["id"]]  # no thumbnail made on the request path
    meanwhile = client.simulate_get(body["thumbnail_url"])  # not made yet: the photo itself
    assert meanwhile.status_code == 200 and meanwhile.content == got.content
    row = client.deps.rpc.rows[body["id"]]  # what the owner's thumbnail job does (attachment_jobs.py)
    with client.deps.storage.open(row["storage_key"]) as photo:
        client.deps.storage.put(thumbnail_key_of(row["storage_key"]), make_thumbnail(photo, tmp_path / "t.jpg"),
                                "image/jpeg")
    row["thumbnail_key"] = thumbnail_key_of(row["storage_key"])
    thumb = client.simulate_get(body["thumbnail_url"])
    assert thumb.status_code == 200 and max(Image.open(io.BytesIO(thumb.content)).size) == 320
    recorded = [c for c in client.deps.rpc.calls if c[1] == "record_finding_photo"][0][3]["data"]
    assert recorded["taken_at"] == "2026-12-05T14:30:00+08:00"  # no offset in EXIF: the store's (default) zone


def test_a_text_file_named_jpg_is_415_and_nothing_is_stored_or_recorded(client, tmp_path):
    reply = post(client, PATH, b"hello, I am plain text pretending to be a photo")
    assert reply.status_code == 415
    assert reply.json["error"]["code"] == "unsupported_media_type"
    assert stored_files(tmp_path) == []
    assert not [c for c in client.deps.rpc.calls if c[1] == "record_finding_photo"]


def test_oversize_for_its_kind_is_413(client, tmp_path, monkeypatch):
    monkeypatch.setitem(media.LIMITS, "pdf", 500)
    reply = post(client, PATH, b"%PDF-1.4\n" + b"x" * 600, filename="big.pdf")
    assert reply.status_code == 413 and reply.json["error"]["code"] == "payload_too_large"
    assert stored_files(tmp_path) == []


def test_another_stores_finding_is_403_before_anything_is_stored(client, tmp_path):
    client.deps.rpc.behaviour[("workshop", "authorize_finding_photo")] = RemoteError(
        "workshop", "Forbidden", "This store is outside your account's stores.", ["This store is outside …"])
    reply = post(client, PATH, jpeg_with_gps(tmp_path / "gps.jpg").read_bytes())
    assert reply.status_code == 403 and stored_files(tmp_path) == []
    assert client.simulate_post(PATH, json={}).status_code == 403  # refused before the body is even read


def test_another_stores_attachment_is_403_without_bytes(client):
    client.deps.rpc.behaviour[("workshop", "get_attachment")] = RemoteError(
        "workshop", "Forbidden", "This store is outside your account's stores.", ["This store is outside …"])
    reply = client.simulate_get("/v1/attachments/w-01hzzzzzzzzzzzzzzzzzzzzzzz")
    assert reply.status_code == 403 and reply.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("prefix,service", [("w", "workshop"), ("s", "sales"), ("c", "crm"), ("i", "inventory")])
def test_an_attachment_is_found_in_one_call_to_the_service_its_id_names(client, prefix, service):
    reply = client.simulate_get(f"/v1/attachments/{prefix}-01hzzzzzzzzzzzzzzzzzzzzzzz")
    assert reply.status_code == 404
    assert [c[0] for c in client.deps.rpc.calls if c[1] == "get_attachment"] == [service]


def test_an_id_naming_no_service_is_404_without_asking_any(client):
    assert client.simulate_get("/v1/attachments/01hzzzzzzzzzzzzzzzzzzzzzzz").status_code == 404
    assert client.simulate_get("/v1/attachments/x-01hzzzzzzzzzzzzzzzzzzzzzzz").status_code == 404
    assert not [c for c in client.deps.rpc.calls if c[1] == "get_attachment"]


def test_a_pdf_has_no_thumbnail(client):
    created = post(client, PATH, b"%PDF-1.4\n" + b"x" * 100, filename="report.pdf")
    assert created.status_code == 201 and created.json["thumbnail_url"] is None
    assert client.simulate_get(f"/v1/attachments/{created.json['id']}/thumbnail").status_code == 404


def test_files_on_a_work_order_complaint_and_receipt_go_to_their_owner(client, tmp_path):
    photo = jpeg_with_gps(tmp_path / "gps.jpg").read_bytes()
    for path, service, owner_type, prefix in (("/v1/work-orders/wo1/attachments", "workshop", "work_order", "w-"),
                                              ("/v1/complaints/c1/attachments", "crm", "complaint", "c-"),
                                              ("/v1/receipts/r1/attachments", "inventory", "receipt", "i-")):
        reply = post(client, path, photo)
        assert reply.status_code == 201, reply.text
        assert reply.json["id"].startswith(prefix)
        calls = [c for c in client.deps.rpc.calls if c[0] == service]
        assert [c[1] for c in calls] == ["authorize_attachment", "record_attachment"]
        assert calls[-1][3]["owner_type"] == owner_type
        stored = client.deps.rpc.rows[reply.json["id"]]["storage_key"]
        assert stored.startswith(f"{service}/") and stored.endswith(f"/store-1/{reply.json['id']}")
        client.simulate_get(path)
        assert client.deps.rpc.calls[-1][:2] == (service, "list_attachments")


def test_bytes_are_deleted_when_the_owner_refuses_the_record(client, tmp_path):
    client.deps.rpc.behaviour[("workshop", "record_finding_photo")] = RemoteError(
        "workshop", "Conflict", "The work order is delivered.", ["The work order is delivered.", {}, "conflict"])
    reply = post(client, PATH, jpeg_with_gps(tmp_path / "gps.jpg").read_bytes())
    assert reply.status_code == 409 and stored_files(tmp_path) == []


def test_idempotent_repeat_answers_the_first_upload_and_stores_once(client, tmp_path):
    source = jpeg_with_gps(tmp_path / "gps.jpg").read_bytes()
    first = post(client, PATH, source, headers={"Idempotency-Key": "photo-1"})
    again = post(client, PATH, source, headers={"Idempotency-Key": "photo-1"})
    assert first.status_code == again.status_code == 201 and again.json == first.json
    assert len([c for c in client.deps.rpc.calls if c[1] == "record_finding_photo"]) == 1
    other = post(client, PATH, b"\xff\xd8\xff" + b"another file", headers={"Idempotency-Key": "photo-1"})
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_key_reused"


def test_walk_around_position_and_damage_marks_are_recorded(client, tmp_path):
    damage = json.dumps([{"kind": "scratch", "note": "左前门划痕"}])
    reply = post(client, "/v1/visits/v1/photos", jpeg_with_gps(tmp_path / "gps.jpg").read_bytes(),
                 fields={"position": "front_left", "damage": damage})
    assert reply.status_code == 201, reply.text
    assert reply.json["position"] == "front_left"
    assert reply.json["damage"] == [{"kind": "scratch", "note": "左前门划痕"}]
    bad = post(client, "/v1/visits/v1/photos", b"\xff\xd8\xff", fields={"position": "under_the_seat"})
    assert bad.status_code == 422 and "position" in bad.json["error"]["fields"]


def test_no_file_is_422_and_a_json_body_is_415(client):
    body, content_type = multipart(b"", fields={"position": "front"})
    reply = client.simulate_post(PATH, body=body, headers={**client.headers, "Content-Type": content_type})
    assert reply.status_code == 422 and "file" in reply.json["error"]["fields"]
    reply = client.simulate_post(PATH, json={"file": "x"})
    assert reply.status_code == 415 and reply.json["error"]["code"] == "unsupported_media_type"


def test_uploads_may_exceed_the_json_body_limit_but_json_routes_may_not(client, tmp_path):
    big = Image.effect_noise((600, 600), 60).convert("RGB")
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=95)
    assert len(buffer.getvalue()) > client.deps.settings.max_body_bytes
    assert post(client, PATH, buffer.getvalue()).status_code == 201
    assert client.simulate_post("/v1/customers", body="x" * 4096).status_code == 413


def test_openapi_declares_the_multipart_body_and_binary_reads(client):
    spec = client.simulate_get("/openapi.json").json
    upload = spec["paths"]["/v1/visits/{visit_id}/photos"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"
    assert {"position", "damage"} <= set(form["properties"])
    assert {"201", "413", "415", "403"} <= set(upload["responses"])
    read = spec["paths"]["/v1/attachments/{attachment_id}"]["get"]["responses"]
    assert "302" in read and read["200"]["content"]["application/octet-stream"]["schema"]["format"] == "binary"


def test_the_upload_is_streamed_in_chunks_and_cut_off_at_the_limit(tmp_path):
    """Without a Content-Length to refuse up front (chunked), reading stops past the limit."""
    import falcon
    from falcon import testing

    from gateway.uploads import CHUNK, receive

    body, content_type = multipart(b"\xff\xd8\xff" + b"\0" * (3 * CHUNK))
    req = testing.create_req(method="POST", path=PATH, body=body, headers={"Content-Type": content_type})
    with pytest.raises(falcon.HTTPContentTooLarge):
        receive(req, tmp_path, limit=2 * CHUNK)
    req = testing.create_req(method="POST", path=PATH, body=body, headers={"Content-Type": content_type})
    received = receive(req, tmp_path, limit=4 * CHUNK)
    assert received.size == 3 * CHUNK + 3 and received.path.stat().st_size == received.size


def test_the_consoles_policy_lets_photos_come_from_the_object_stores_public_origin():
    from gateway.middleware import console_policy
    assert "img-src 'self' data: blob:;" in console_policy() and "connect-src 'self';" in console_policy()
    policy = console_policy("https://files.example.com")
    assert "img-src 'self' data: blob: https://files.example.com;" in policy
    assert "connect-src 'self' https://files.example.com;" in policy and "script-src 'self';" in policy



def test_a_photo_finding_every_reencoding_slot_busy_is_503_with_retry_after_and_stored_on_retry(client, tmp_path):
    """A worker's threads do not decode photos all at once (each holds ~140 MB of pixels): past its slots an
    upload waits, then is refused with Retry-After, worded, and nothing kept; the same Idempotency-Key later
    stores it. A PDF, kept as sent, needs no slot."""
    client.deps.reencode_slots = media.ReencodeSlots(1, wait_seconds=0.05)
    source, key = jpeg_with_gps(tmp_path / "gps.jpg").read_bytes(), {"Idempotency-Key": "photo-busy"}
    with client.deps.reencode_slots.taken():
        refused = post(client, PATH, source, headers=key)
        worded = post(client, PATH, source, headers={"Accept-Language": "zh-CN"})
        pdf = post(client, PATH, b"%PDF-1.4\n%%EOF\n", filename="report.pdf")
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert refused.json["error"]["code"] == "uploads_busy"
    assert worded.json["error"]["message"] == "照片处理繁忙，请稍等几秒再上传"
    assert pdf.status_code == 201 and pdf.json["content_type"] == "application/pdf"
    assert [c[1] for c in client.deps.rpc.calls if c[1] == "record_finding_photo"] == ["record_finding_photo"]
    retried = post(client, PATH, source, headers=key)
    assert retried.status_code == 201 and retried.json["content_type"] == "image/jpeg"
