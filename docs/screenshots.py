"""Screenshots of every console screen and the car owner's app, as the demo chain's people see them under
`make run` (docs/screenshots/, shown in the README): each demo login opens every screen of its menu in
Debian's Chromium (the technician and the car owner on a 390×844 phone, the others on a 1366 px counter).

    make run                                  # in another terminal, until the banner shows
    .venv/bin/python -m docs.screenshots [--url http://127.0.0.1:8080] [--out docs/screenshots]

A script for the docs, not a test: tests/browser walks every flow and checks each screen."""
from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import requests
from playwright.sync_api import Page, sync_playwright

from deploy import demo
from deploy.sandboxes import messaging

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
COUNTER = {"viewport": {"width": 1366, "height": 900}}
STORE = demo.STORES[0][0].lower()
LOGINS = ((f"technician.{STORE}", "technician"), (f"manager.{STORE}", "manager"), (f"advisor.{STORE}", "advisor"),
          (f"cashier.{STORE}", "cashier"), ("admin", "hq"))
"""Who opens the console, and the prefix of their screenshots; a screen is taken once, by the first who has it
(the store's people first: HQ adds only its own screens)."""


def console(browser, url: str, out: Path, username: str, prefix: str, taken: set[str]) -> list[str]:
    password = (demo.ADMIN_PASSWORD or "admin1234") if username == "admin" else demo.STAFF_PASSWORD
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  **(PHONE if prefix == "technician" else COUNTER))
    page = context.new_page()
    page.goto(f"{url}/")
    page.fill("[name=username]", username)
    page.fill("[name=password]", password)
    page.click("form.login button[type=submit]")
    page.wait_for_selector(".topbar:not([hidden])")
    names = []
    for href in page.eval_on_selector_all("#nav a[href^='#/']", "links => links.map(a => a.getAttribute('href'))"):
        screen = href.removeprefix("#/")
        if screen in taken:
            continue
        page.goto(f"{url}/console/{href}")
        settle(page)
        names.append(shoot(page, out, f"{prefix}-{screen}"))
        taken.add(screen)
    context.close()
    return names


def owner_of_a_car_in_work(url: str) -> str:
    """The mobile of a car owner whose car is in the workshop now (the demo's work under way)."""
    token = requests.post(f"{url}/v1/auth/login", json={"username": f"advisor.{STORE}",
                                                       "password": demo.STAFF_PASSWORD}, timeout=10).json()
    staff = requests.Session()
    staff.headers["Authorization"] = f"Bearer {token['access_token']}"
    store_id = staff.get(f"{url}/v1/me", timeout=10).json()["store_ids"][0]
    [order, *_] = staff.get(f"{url}/v1/work-orders", params={"store_id": store_id, "status": "in_progress"},
                            timeout=10).json()["items"]
    return staff.get(f"{url}/v1/customers/{order['customer_id']}", timeout=10).json()["mobile"]


def car_owner(browser, url: str, out: Path) -> list[str]:
    """The owner of a car in work signs in with the code the SMS sandbox took: their cars, the car's progress,
    messages, account."""
    mobile = owner_of_a_car_in_work(url)
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    page = context.new_page()
    page.goto(f"{url}/m/")
    page.fill("[name=mobile]", mobile)
    before = len(sign_in_codes(mobile))
    page.click("[name=send-code]")
    page.fill("[name=code]", new_code(mobile, before))
    page.click("form.login button[type=submit]")
    page.wait_for_url(re.compile(r"#/cars$"))
    settle(page)
    names = [shoot(page, out, "owner-cars")]
    page.locator("button.car").first.click()
    settle(page)
    names.append(shoot(page, out, "owner-car"))
    for screen in ("messages", "me"):
        page.goto(f"{url}/m/#/{screen}")
        settle(page)
        names.append(shoot(page, out, f"owner-{screen}"))
    context.close()
    return names


def sign_in_codes(mobile: str) -> list[str]:
    """The sign-in codes the SMS sandbox took for `mobile`, oldest first."""
    reply = requests.get(f"http://127.0.0.1:{messaging.port()}/sandbox/sms", params={"to": mobile}, timeout=10)
    return [re.findall(r"\d{6}", line["body"])[0] for line in reply.json()["items"] if line["template"] == "sign_in"]


def new_code(mobile: str, before: int, timeout: float = 15) -> str:
    """The code sent after the `before` codes already taken."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(codes := sign_in_codes(mobile)) > before:
            return codes[-1]
        time.sleep(0.3)
    raise SystemExit(f"the SMS sandbox took no sign-in code for {mobile}")


def settle(page: Page) -> None:
    """A moment for the screen's reads and its last paint (the live stream never lets the network go quiet)."""
    page.wait_for_timeout(2_000)


def shoot(page: Page, out: Path, name: str, most: int = 1800) -> str:
    """The screen as far down as `most` CSS pixels (a long list's first rows tell what it is)."""
    size = page.viewport_size or COUNTER["viewport"]
    height = min(most, page.evaluate("document.documentElement.scrollHeight"))
    page.screenshot(path=out / f"{name}.png", full_page=True,
                    clip={"x": 0, "y": 0, "width": size["width"], "height": max(height, size["height"])})
    print(f"  {name}.png", flush=True)
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=demo.URL)
    parser.add_argument("--out", default=str(Path(__file__).parent / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    shots = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        for username, prefix in LOGINS:
            shots += console(browser, args.url, out, username, prefix, taken)
        shots += car_owner(browser, args.url, out)
        browser.close()
    (out / "index.json").write_text(json.dumps(shots, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
