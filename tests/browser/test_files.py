"""A document's photos and files in the console: the manager adds evidence to a complaint, the
delivery note to a purchase receipt right after receiving it, and a photo to a work order from the
workshop board; each list shows what was added (a photo with its thumbnail) after a reload too."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_all_chinese, confirmed_order
from tests.support.one_car import ok
from tests.unit.test_media import jpeg_with_gps
from tests.support import data


def shown_decoded(image) -> None:
    """The thumbnail (a blob: URL: the token cannot ride on an <img src>) is drawn, not a broken image."""
    expect(image).to_have_attribute("src", re.compile("^blob:"))
    image.page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def upload(card, path) -> None:
    card.locator("[name=file]").set_input_files(str(path))
    card.locator("button[type=submit]").click()


def test_photos_and_files_on_a_complaint_a_receipt_and_a_work_order(console, stack, admin, shop, part, tmp_path):
    car = confirmed_order(stack, shop, part)
    complaint = ok(shop.manager.post(f"{stack.url}/v1/complaints", json={
        "store_id": shop.id, "customer_id": car["order"]["customer_id"], "description": "交车后发现车门新划痕"}))
    supplier = ok(admin.post(f"{stack.url}/v1/suppliers", json={"code": f"F-{data.digits(6)}",
                                                                "name": "附件汽配"}))
    po = ok(shop.manager.post(f"{stack.url}/v1/purchase-orders", json={
        "store_id": shop.id, "supplier_id": supplier["id"], "submit": True,
        "lines": [{"sku": part, "qty": 2, "unit_cost_fen": 2500}]}))
    photo = jpeg_with_gps(tmp_path / "车门.jpg")
    note = tmp_path / "送货单.pdf"
    note.write_bytes(b"%PDF-1.4\n" + b"x" * 3000)
    manager = console.open(shop.login["store_manager"])

    manager.goto(f"{stack.url}/console/#/crm")
    manager.locator("[data-tab=complaints]").click()
    manager.locator(f"#complaints tr[data-complaint='{complaint['id']}'] .files-open").click()
    evidence = manager.locator("#complaint-files .files-card")
    expect(evidence.locator(".files")).to_contain_text("还没有照片或文件")
    upload(evidence, photo)
    shown = evidence.locator(".files li[data-kind=image]")
    expect(shown).to_contain_text("照片")
    shown_decoded(shown.locator("img"))
    assert_all_chinese(manager)
    console.shot(manager, "complaint-files")
    manager.reload()
    manager.locator("[data-tab=complaints]").click()
    manager.locator(f"#complaints tr[data-complaint='{complaint['id']}'] .files-open").click()
    expect(manager.locator("#complaint-files .files li")).to_have_count(1)
    [kept] = ok(shop.manager.get(f"{stack.url}/v1/complaints/{complaint['id']}/attachments"))["items"]
    assert kept["content_type"] == "image/jpeg" and kept["kind"] == "image"

    manager.goto(f"{stack.url}/console/#/inventory")
    manager.locator("[data-tab=purchase_orders]").click()
    manager.locator(f".receive-form[data-po='{po['id']}'] button[type=submit]").click()
    papers = manager.locator(".received .files-card")
    upload(papers, note)
    expect(papers.locator(".files li[data-kind=pdf]")).to_contain_text("PDF 文件")
    with manager.expect_popup() as opened:
        papers.locator(".files li[data-kind=pdf] button").click()
    assert opened.value.url.startswith("blob:")
    console.shot(manager, "receipt-files")
    receipt_id = manager.locator(".received").get_attribute("data-receipt")
    [paper] = ok(shop.manager.get(f"{stack.url}/v1/receipts/{receipt_id}/attachments"))["items"]
    assert paper["content_type"] == "application/pdf" and paper["id"].startswith("i-")

    work_order_id = car["work_order"]["id"]
    manager.goto(f"{stack.url}/console/#/board")
    manager.locator(f"[data-status=open] [data-wo='{work_order_id}']").click()
    files = manager.locator(f".files-card[data-files='/v1/work-orders/{work_order_id}/attachments']")
    upload(files, photo)
    shown_decoded(files.locator(".files li[data-kind=image] img"))
    console.shot(manager, "work-order-files")
    assert len(ok(shop.manager.get(f"{stack.url}/v1/work-orders/{work_order_id}/attachments"))["items"]) == 1


def test_a_complaint_with_more_files_than_a_page_shows_the_rest_on_demand(console, stack, admin, shop, part,
                                                                           tmp_path):
    car = confirmed_order(stack, shop, part)
    complaint = ok(shop.manager.post(f"{stack.url}/v1/complaints", json={
        "store_id": shop.id, "customer_id": car["order"]["customer_id"], "description": "多次返修"}))
    path = f"{stack.url}/v1/complaints/{complaint['id']}/attachments"
    added = [ok(shop.manager.post(path, files={"file": (f"记录{n}.pdf", b"%PDF-1.4\n" + b"x" * 200)}))["id"]
             for n in range(51)]  # a page is 50
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/crm")
    manager.locator("[data-tab=complaints]").click()
    manager.locator(f"#complaints tr[data-complaint='{complaint['id']}'] .files-open").click()
    card = manager.locator("#complaint-files .files-card")
    expect(card.locator(".files li[data-attachment]")).to_have_count(50)
    more = card.locator("[name=more-files]")
    expect(more).to_have_text("显示更多文件")
    assert_all_chinese(manager)
    more.click()
    expect(card.locator(".files li[data-attachment]")).to_have_count(51)
    expect(more).to_be_hidden()
    shown = card.locator(".files li[data-attachment]").evaluate_all(
        "(items) => items.map((li) => li.dataset.attachment)")
    assert shown == added  # oldest first, each once
