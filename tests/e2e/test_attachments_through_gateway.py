"""Photos on an inspection finding, a visit's walk-around, a work order, a complaint and a purchase
receipt, through the gateway against the real services (local store under DATA_DIR): stored without
EXIF, the thumbnail made by the owning service after the upload, refused by their bytes, size limits,
another store's, idempotent repeats, and the files of an erased customer gone, bytes and all."""
from __future__ import annotations

import base64
import io
import json
import socket
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image
from pypdf import PdfReader

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



def test_an_upload_cut_off_half_way_keeps_nothing_and_its_retry_stores_it_once(stack, technician, finding_url,
                                                                                tmp_path):
    """A phone on a bad network: the connection drops half-way through the photo. Nothing is recorded nor left
    visible; the retry under the same Idempotency-Key stores it, and a retry of that is the same attachment."""
    inspections, finding_id = finding_url
    url, key = f"{inspections}/{finding_id}/photos", {"Idempotency-Key": uuid.uuid4().hex}
    photos = lambda: technician.get(inspections).json()["items"][0]["findings"][0]["photos"]  # noqa: E731
    before = len(photos())
    content = photo(tmp_path)
    request = requests.Request("POST", url, files={"file": ("cut.jpg", content)},
                               headers={**technician.headers, **key}).prepare()
    target = urlsplit(url)
    with socket.create_connection((target.hostname, target.port), timeout=10) as cut:
        head = [f"POST {target.path} HTTP/1.1", f"Host: {target.netloc}",
                *(f"{name}: {value}" for name, value in request.headers.items())]
        cut.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + request.body[:len(request.body) // 2])
    time.sleep(1)
    assert len(photos()) == before
    stored = technician.post(url, files={"file": ("cut.jpg", content)}, headers=key)
    again = technician.post(url, files={"file": ("cut.jpg", content)}, headers=key)
    assert stored.status_code == again.status_code == 201 and again.json()["id"] == stored.json()["id"]
    assert len(photos()) == before + 1

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


def test_delivery_walk_around_stands_beside_check_in_and_waits_for_the_car_to_be_completed(
        stack, admin, advisor, store, tmp_path):
    from tests.support.customer import car_with_quote, finish
    car = car_with_quote(stack, store, advisor)
    url = f"{stack.url}/v1/visits/{car.visit['id']}/photos"
    before = advisor.post(url, files={"file": ("a.jpg", photo(tmp_path))}, data={"position": "rear"})
    assert before.status_code == 201, before.text
    handed_back = {"position": "rear", "stage": "delivery"}
    early = advisor.post(url, files={"file": ("b.jpg", photo(tmp_path))}, data=handed_back)
    assert early.status_code == 409 and early.json()["error"]["code"] == "visit_not_completed", early.text
    assert [p["stage"] for p in advisor.get(f"{stack.url}/v1/visits/{car.visit['id']}").json()["photos"]] == [
        "check_in"]
    done = finish(stack, admin, car)
    eventually(lambda: advisor.get(f"{stack.url}/v1/orders/{done.order['id']}").json(),
               lambda order: order["state"] == "completed", "sales heard the work completed")
    after = advisor.post(url, files={"file": ("b.jpg", photo(tmp_path))}, data=handed_back)
    assert after.status_code == 201, after.text
    assert (before.json()["stage"], after.json()["stage"]) == ("check_in", "delivery")
    shown = advisor.get(f"{stack.url}/v1/visits/{car.visit['id']}").json()["photos"]
    assert [(p["position"], p["stage"]) for p in shown] == [("rear", "check_in"), ("rear", "delivery")]
    wrong = advisor.post(url, files={"file": ("c.jpg", photo(tmp_path))}, data={"stage": "later"})
    assert wrong.status_code == 422 and "stage" in wrong.json()["error"]["fields"]


@pytest.fixture(scope="module")
def signed_contract(stack, admin, store, advisor):
    """A customer's quote decided by the advisor and contracted with the customer's drawn signature."""
    from tests.support.customer import SIGNATURE_PNG, car_with_quote
    car = car_with_quote(stack, store, advisor)
    quote = car.quote
    advisor.post(f"{stack.url}/v1/quotes/{quote['id']}/decision", json={
        "approved_line_ids": [line["id"] for line in quote["lines"]], "declined_line_ids": []}).raise_for_status()
    drawn = "data:image/png;base64," + base64.b64encode(SIGNATURE_PNG).decode()
    reply = advisor.post(f"{stack.url}/v1/quotes/{quote['id']}/contract", json={
        "payment_method": "wechat", "signed_by": "王车主", "signature_png": drawn})
    assert reply.status_code == 201, reply.text
    return car, reply.json()


def test_the_contract_signed_on_screen_keeps_its_image_signer_and_the_hash_of_the_contract(
        stack, advisor, outsider, signed_contract):
    from tests.support.customer import SIGNATURE_PNG
    car, order = signed_contract
    signature = order["signature"]
    assert signature["signer"] == "王车主" and signature["matches"] is True
    assert signature["document_sha256"] == signature["current_sha256"] and len(signature["document_sha256"]) == 64
    again = advisor.get(f"{stack.url}/v1/orders/{order['id']}").json()["signature"]
    assert again["id"] == signature["id"] and again["matches"] is True
    image = advisor.get(f"{stack.url}{signature['url']}")
    assert image.status_code == 200 and image.content == SIGNATURE_PNG
    assert outsider.get(f"{stack.url}{signature['url']}").status_code == 403
    bad = advisor.post(f"{stack.url}/v1/quotes/{car.quote['id']}/contract", json={
        "payment_method": "wechat", "signed_by": "王车主", "signature_png": "bm90IGEgcG5n"})
    assert bad.status_code == 422 and "signature_png" in bad.json()["error"]["fields"]


def test_findings_photos_reach_the_advisors_quote_and_only_their_own_customer(
        stack, admin, store, advisor, outsider, technician, signed_contract, tmp_path):
    from tests.support.customer import car_with_quote, sign_in
    car, order = signed_contract
    [wo] = wait_for_work_order(stack, advisor, order["id"])
    inspection = technician.post(f"{stack.url}/v1/work-orders/{wo['id']}/inspections", json={"findings": [
        {"area": "tyres", "item": "左前轮胎", "condition": "red", "notes": "鼓包"}]})
    assert inspection.status_code == 201, inspection.text
    finding = inspection.json()["findings"][0]
    shot = technician.post(f"{stack.url}/v1/work-orders/{wo['id']}/inspections/{finding['id']}/photos",
                           files={"file": ("tyre.jpg", photo(tmp_path))}).json()
    quote = advisor.post(f"{stack.url}/v1/work-orders/{wo['id']}/inspections/quote", json={})
    assert quote.status_code == 201, quote.text
    quote_id = quote.json()["id"]

    sheet = advisor.get(f"{stack.url}/v1/work-orders/{wo['id']}/pdf")
    assert sheet.status_code == 200, sheet.text
    *_, findings_page = PdfReader(io.BytesIO(sheet.content)).pages
    assert "检查发现" in findings_page.extract_text() and "左前轮胎" in findings_page.extract_text()
    assert len(findings_page.images) == 1  # the tyre's photo

    findings = advisor.get(f"{stack.url}/v1/quotes/{quote_id}/findings")
    assert findings.status_code == 200, findings.text
    [seen] = findings.json()["items"]
    assert seen["item"] == "左前轮胎" and [p["id"] for p in seen["photos"]] == [shot["id"]]
    assert outsider.get(f"{stack.url}/v1/quotes/{quote_id}/findings").status_code == 403

    advisor.post(f"{stack.url}/v1/quotes/{quote_id}/lines", json={
        "kind": "fee", "description": "更换轮胎", "unit_price_fen": 60000}).raise_for_status()
    advisor.post(f"{stack.url}/v1/quotes/{quote_id}/present").raise_for_status()
    owner = sign_in(stack, car.customer["mobile"])
    mine = owner.get(f"{stack.url}/c/v1/quotes/{quote_id}")
    assert mine.status_code == 200, mine.text
    [theirs] = mine.json()["findings"]
    [their_photo] = theirs["photos"]
    assert their_photo["url"] == f"/c/v1/quotes/{quote_id}/attachments/{shot['id']}"
    got = owner.get(f"{stack.url}{their_photo['url']}")
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg"
    assert owner.get(f"{stack.url}{their_photo['thumbnail_url']}").status_code == 200
    assert owner.get(f"{stack.url}/v1/attachments/{shot['id']}").status_code == 401  # a staff route

    stranger_car = car_with_quote(stack, store, advisor, name="李路人")
    stranger = sign_in(stack, stranger_car.customer["mobile"])
    for path in (their_photo["url"], their_photo["thumbnail_url"], f"/c/v1/attachments/{shot['id']}",
                 f"/c/v1/attachments/{order['signature']['id']}"):
        denied = stranger.get(f"{stack.url}{path}")
        assert denied.status_code == 404 and b"\xff\xd8" not in denied.content
    assert owner.get(f"{stack.url}/c/v1/attachments/{shot['id']}").status_code == 200
    # under another quote of the same customer (the contracted one) the photo is not found
    assert owner.get(f"{stack.url}/c/v1/quotes/{car.quote['id']}/attachments/{shot['id']}").status_code == 404
    assert stranger.get(f"{stack.url}/c/v1/quotes/{quote_id}").status_code == 404
    assert owner.get(f"{stack.url}/c/v1/attachments/{order['signature']['id']}").status_code == 200


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
        first = ok(manager.get(f"{stack.url}{path}", params={"limit": 1}))  # a page at a time, oldest first
        assert [a["id"] for a in first["items"]] == [note["id"]] and first["next_cursor"]
        rest = ok(manager.get(f"{stack.url}{path}", params={"limit": 1, "cursor": first["next_cursor"]}))
        assert [a["id"] for a in rest["items"]] == [shot["id"]] and rest["next_cursor"] is None
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
