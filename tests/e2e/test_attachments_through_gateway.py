"""Photos on an inspection finding, a visit's walk-around, a work order, a complaint and a purchase
receipt, through the gateway against the real services (local store under DATA_DIR): stored without
EXIF, the thumbnail made by the owning service after the upload, refused by their bytes, size limits,
another store's, idempotent repeats, and the files of an erased customer gone, bytes and all."""
from __future__ import annotations

import io
import json
import uuid

import pytest
from PIL import Image

from tests.e2e.test_inventory_through_gateway import new_part, purchase
from tests.e2e.test_sales_through_gateway import check_in, customer_with_vehicle
from tests.e2e.test_workshop_through_gateway import add_technician, order_payload, wait_for_work_order
from tests.support.accounts import create_store, make_user
from tests.support.bus import publish
from tests.support.one_car import eventually, ok
from tests.unit.test_media import jpeg_with_gps

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def store(stack, admin):
    return create_store(stack, admin, "广州天河店")


@pytest.fixture(scope="module")
def advisor(stack, admin, store):
    return make_user(stack, admin, "service_advisor", [store["id"]])


@pytest.fixture(scope="module")
def outsider(stack, admin):
    return make_user(stack, admin, "service_advisor", [create_store(stack, admin, "深圳南山店")["id"]])


@pytest.fixture(scope="module")
def technician(stack, admin, store):
    session = make_user(stack, admin, "technician", [store["id"]])
    add_technician(stack, make_user(stack, admin, "store_manager", [store["id"]]), store, "李师傅", ["brakes"], session)
    return session


@pytest.fixture(scope="module")
def finding_url(stack, vhost, store, advisor, technician):
    payload = order_payload(store)
    publish(vhost, "sales", "order_confirmed", payload)
    [wo] = wait_for_work_order(stack, advisor, payload["order_id"])
    inspection = technician.post(f"{stack.url}/v1/work-orders/{wo['id']}/inspections", json={"findings": [
        {"area": "brakes", "item": "前刹车片", "condition": "red", "notes": "剩 2mm"}]})
    assert inspection.status_code == 201, inspection.text
    finding = inspection.json()["findings"][0]
    return f"{stack.url}/v1/work-orders/{wo['id']}/inspections", finding["id"]


def photo(tmp_path) -> bytes:
    return jpeg_with_gps(tmp_path / f"{uuid.uuid4().hex}.jpg").read_bytes()


def test_finding_photo_from_the_phone_is_stored_without_location_and_shown_with_a_thumbnail(
        stack, technician, advisor, finding_url, tmp_path):
    inspections, finding_id = finding_url
    reply = technician.post(f"{inspections}/{finding_id}/photos", files={"file": ("IMG_0001.jpg", photo(tmp_path))})
    assert reply.status_code == 201, reply.text
    attachment = reply.json()
    assert attachment["content_type"] == "image/jpeg" and len(attachment["sha256"]) == 64

    got = advisor.get(f"{stack.url}{attachment['url']}")
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg"
    assert len(got.content) == attachment["size"]
    kept = Image.open(io.BytesIO(got.content))
    assert not kept.getexif().get_ifd(0x8825) and b"Phone X" not in got.content  # no GPS, no device
    thumb = eventually(lambda: advisor.get(f"{stack.url}{attachment['thumbnail_url']}"),  # made by workshop
                       lambda r: r.status_code == 200 and len(r.content) < attachment["size"], "the thumbnail")
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 320

    listed = advisor.get(inspections).json()
    [photo_listed] = listed["items"][0]["findings"][0]["photos"]
    assert photo_listed["id"] == attachment["id"] and photo_listed["thumbnail_url"] == attachment["thumbnail_url"]
    assert [p["id"] for p in listed["attention"][0]["photos"]] == [attachment["id"]]


def test_a_text_file_named_jpg_is_415_and_oversize_is_413(stack, technician, finding_url, tmp_path):
    inspections, finding_id = finding_url
    fake = technician.post(f"{inspections}/{finding_id}/photos", files={"file": ("brake.jpg", b"not a photo at all")})
    assert fake.status_code == 415 and fake.json()["error"]["code"] == "unsupported_media_type"
    huge = b"\xff\xd8\xff\xe0" + b"\0" * (20 * 1024 * 1024 + 1)  # a "photo" over the 20 MB photo limit
    big = technician.post(f"{inspections}/{finding_id}/photos", files={"file": ("big.jpg", huge)})
    assert big.status_code == 413 and big.json()["error"]["code"] == "payload_too_large"
    listed = technician.get(inspections).json()["items"][0]["findings"][0]["photos"]
    assert all(p["size"] < 1024 * 1024 for p in listed)  # neither was recorded


def test_another_stores_photo_is_403_and_its_finding_takes_no_upload(stack, technician, outsider, finding_url,
                                                                     tmp_path):
    inspections, finding_id = finding_url
    mine = technician.post(f"{inspections}/{finding_id}/photos", files={"file": ("a.jpg", photo(tmp_path))}).json()
    for path in (mine["url"], mine["thumbnail_url"]):
        denied = outsider.get(f"{stack.url}{path}")
        assert denied.status_code == 403 and denied.headers["Content-Type"].startswith("application/json")
        assert b"\xff\xd8" not in denied.content
    upload = outsider.post(f"{inspections}/{finding_id}/photos", files={"file": ("b.jpg", photo(tmp_path))})
    assert upload.status_code == 403
    assert outsider.get(f"{stack.url}/v1/attachments/w-{uuid.uuid4().hex[:26]}").status_code == 404


def test_a_repeated_upload_with_its_idempotency_key_is_stored_once(stack, technician, finding_url, tmp_path):
    inspections, finding_id = finding_url
    before = len(technician.get(inspections).json()["items"][0]["findings"][0]["photos"])
    content, key = photo(tmp_path), {"Idempotency-Key": uuid.uuid4().hex}
    first = technician.post(f"{inspections}/{finding_id}/photos", files={"file": ("c.jpg", content)}, headers=key)
    again = technician.post(f"{inspections}/{finding_id}/photos", files={"file": ("c.jpg", content)}, headers=key)
    assert first.status_code == again.status_code == 201 and again.json()["id"] == first.json()["id"]
    after = technician.get(inspections).json()["items"][0]["findings"][0]["photos"]
    assert len(after) == before + 1


def test_check_in_walk_around_photos_with_positions_and_damage(stack, advisor, outsider, store, tmp_path):
    customer, vehicle = customer_with_vehicle(stack, advisor)
    visit = check_in(stack, advisor, store, customer, vehicle)
    damage = [{"kind": "scratch", "note": "左前门 10cm 划痕"}]
    reply = advisor.post(f"{stack.url}/v1/visits/{visit['id']}/photos", files={"file": ("front.jpg", photo(tmp_path))},
                         data={"position": "front_left", "damage": json.dumps(damage, ensure_ascii=False)})
    assert reply.status_code == 201, reply.text
    assert reply.json()["position"] == "front_left" and reply.json()["damage"] == damage
    shown = advisor.get(f"{stack.url}/v1/visits/{visit['id']}").json()["photos"]
    assert [(p["id"], p["position"]) for p in shown] == [(reply.json()["id"], "front_left")]
    assert advisor.get(f"{stack.url}{reply.json()['url']}").status_code == 200  # found in sales after workshop
    assert outsider.get(f"{stack.url}{reply.json()['url']}").status_code == 403
    assert outsider.post(f"{stack.url}/v1/visits/{visit['id']}/photos",
                         files={"file": ("x.jpg", photo(tmp_path))}).status_code == 403


def stored_under(stack, attachment_id: str) -> list:
    return list((stack.log_dir / "attachments").rglob(f"{attachment_id}*"))


def test_files_on_a_work_order_a_complaint_and_a_receipt(stack, admin, vhost, store, advisor, outsider, tmp_path):
    manager = make_user(stack, admin, "store_manager", [store["id"]])
    payload = order_payload(store)
    publish(vhost, "sales", "order_confirmed", payload)
    [wo] = wait_for_work_order(stack, advisor, payload["order_id"])
    customer, _vehicle = customer_with_vehicle(stack, advisor)
    complaint = ok(advisor.post(f"{stack.url}/v1/complaints", json={
        "store_id": store["id"], "customer_id": customer["id"], "description": "车门有新划痕"}), 201)
    part = new_part(stack, admin)
    supplier = ok(admin.post(f"{stack.url}/v1/suppliers", json={"code": f"AT-{uuid.uuid4().hex[:6]}",
                                                                 "name": "附件汽配"}), 201)
    po = purchase(stack, manager, store["id"], supplier["id"], [(part["sku"], 2, 2_500)])
    receipt = ok(manager.post(f"{stack.url}/v1/purchase-orders/{po['id']}/receipts",
                              json={"lines": [{"sku": part["sku"], "qty": 2}]}), 201)
    for path, prefix in ((f"/v1/work-orders/{wo['id']}/attachments", "w-"),
                         (f"/v1/complaints/{complaint['id']}/attachments", "c-"),
                         (f"/v1/receipts/{receipt['id']}/attachments", "i-")):
        note = ok(manager.post(f"{stack.url}{path}", files={"file": ("送货单.pdf", b"%PDF-1.4\n" + b"x" * 200)}), 201)
        shot = ok(manager.post(f"{stack.url}{path}", files={"file": ("IMG.jpg", photo(tmp_path))}), 201)
        assert note["id"].startswith(prefix) and note["thumbnail_url"] is None
        assert [a["id"] for a in ok(manager.get(f"{stack.url}{path}"))["items"]] == [note["id"], shot["id"]]
        assert manager.get(f"{stack.url}{note['url']}").content.startswith(b"%PDF-1.4")
        assert outsider.get(f"{stack.url}{path}").status_code == 403
        assert outsider.get(f"{stack.url}{shot['url']}").status_code == 403
        assert outsider.post(f"{stack.url}{path}", files={"file": ("x.jpg", photo(tmp_path))}).status_code == 403
        eventually(lambda made=shot["id"]: stored_under(stack, made), lambda found: len(found) == 2,
                   "the thumbnail made")


def test_an_erased_customers_photos_and_files_go_bytes_and_all(stack, admin, store, advisor, tmp_path):
    manager = make_user(stack, admin, "store_manager", [store["id"]])
    customer, vehicle = customer_with_vehicle(stack, advisor)
    visit = check_in(stack, advisor, store, customer, vehicle)
    complaint = ok(advisor.post(f"{stack.url}/v1/complaints", json={
        "store_id": store["id"], "customer_id": customer["id"], "description": "投诉"}), 201)
    walk_around = ok(advisor.post(f"{stack.url}/v1/visits/{visit['id']}/photos",
                                  files={"file": ("front.jpg", photo(tmp_path))}, data={"position": "front"}), 201)
    evidence = ok(advisor.post(f"{stack.url}/v1/complaints/{complaint['id']}/attachments",
                               files={"file": ("scratch.jpg", photo(tmp_path))}), 201)
    for attachment in (walk_around, evidence):
        assert stored_under(stack, attachment["id"])
    ok(manager.post(f"{stack.url}/v1/customers/{customer['id']}/erase"))
    for attachment in (walk_around, evidence):
        url, attachment_id = f"{stack.url}{attachment['url']}", attachment["id"]
        eventually(lambda url=url: advisor.get(url).status_code, lambda code: code == 404,
                   "the erased customer's file unreadable")
        eventually(lambda made=attachment_id: stored_under(stack, made), lambda found: found == [],
                   "the erased customer's bytes deleted")
    assert ok(advisor.get(f"{stack.url}/v1/visits/{visit['id']}"))["photos"] == []
