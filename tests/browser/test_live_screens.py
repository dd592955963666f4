"""Live screens: a change one person makes appears on another's open screen without a reload, from the
stream (GET /v1/stream through the same-origin front); a console whose stream is refused polls instead."""
from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, confirmed_order
from tests.support.one_car import ok


def board_reads(page) -> list[float]:
    """When the page asked for a board column (GET /v1/work-orders?…status=…)."""
    times: list[float] = []
    page.on("request", lambda request: times.append(time.perf_counter())
            if "/v1/work-orders?" in request.url and "status=" in request.url else None)
    return times


def test_a_technicians_clock_in_moves_the_card_on_the_managers_open_board(console, stack, shop, part,
                                                                          record_property):
    work_order = confirmed_order(stack, shop, part)["work_order"]
    (li, _), _ = shop.techs
    ok(shop.advisor.post(f"{stack.url}/v1/work-orders/{work_order['id']}/dispatch", json={"jobs": [
        {"job_id": work_order["jobs"][0]["id"], "technicians": [{"technician_id": li["id"], "split_pct": 100}]}]}))
    card = f"[data-wo='{work_order['id']}']"

    manager = console.open(shop.login["store_manager"])
    reads = board_reads(manager)
    manager.goto(f"{stack.url}/console/#/board")
    expect(manager.locator("body")).to_have_attribute("data-live", "on")
    expect(manager.locator(f"[data-status=dispatched] {card}")).to_be_visible()

    offline = console.open(shop.login["store_manager"])  # the same board where the stream is refused
    offline.context.route("**/v1/stream*", lambda route: route.fulfill(status=503, headers={"Retry-After": "600"}))
    offline.goto(f"{stack.url}/console/#/board")
    offline.reload()  # signed in before the route: its stream is opened again, and refused
    expect(offline.locator(f"[data-status=dispatched] {card}")).to_be_visible()
    expect(offline.locator("body")).to_have_attribute("data-live", "off")

    phone = console.open(shop.login["technician"], PHONE)
    mine = phone.locator(card)
    before = len(reads)  # the board read once; nothing polled it since
    mine.locator("button:has-text('开工打卡')").click()
    clicked = time.perf_counter()
    expect(mine).to_contain_text("已开工")
    expect(manager.locator(f"[data-status=in_progress] {card}")).to_be_visible(timeout=10_000)
    record_property("board_live_seconds", round(time.perf_counter() - clicked, 3))
    assert len(reads) == before + 5  # one reload of the five columns, made by the change
    expect(offline.locator(f"[data-status=in_progress] {card}")).to_be_visible(timeout=30_000)  # by polling
    record_property("board_polled_seconds", round(time.perf_counter() - clicked, 3))


def test_a_job_dispatched_to_a_technician_appears_on_their_open_phone(console, stack, shop, part):
    """The technician's jobs follow the stream: the advisor dispatches, the phone shows the job — the car by its
    plate — without a tap on 刷新."""
    car = confirmed_order(stack, shop, part)
    work_order = car["work_order"]
    (li, _), _ = shop.techs
    phone = console.open(shop.login["technician"], PHONE)
    expect(phone.locator("#my-jobs")).to_be_visible()
    expect(phone.locator("body")).to_have_attribute("data-live", "on")
    card = phone.locator(f"[data-wo='{work_order['id']}']")
    expect(card).to_have_count(0)
    ok(shop.advisor.post(f"{stack.url}/v1/work-orders/{work_order['id']}/dispatch", json={"jobs": [
        {"job_id": work_order["jobs"][0]["id"], "technicians": [{"technician_id": li["id"], "split_pct": 100}]}]}))
    expect(card).to_be_visible(timeout=10_000)
    expect(card.locator(".plate")).to_have_text(car["plate"])
    expect(card.locator("button:has-text('开工打卡')")).to_be_visible()
