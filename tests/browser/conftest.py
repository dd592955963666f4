"""The staff console in a real browser: Debian's Chromium driven by Playwright against the
whole running stack (`stack`). Every test logs in through the console like a store's staff
member; `shot()` saves a screenshot of each screen under test-artifacts/screenshots/."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support.one_car import Store, confirmed_order, every, new_part, ok  # noqa: F401 - confirmed_order for tests

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "Secret-pass-1"  # what tests.support.one_car.Store gives every account
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
COUNTER_PC = {"viewport": {"width": 1366, "height": 900}}

pytestmark = pytest.mark.e2e
expect.set_options(timeout=15_000)


@pytest.fixture(scope="package")  # closed once a worker leaves the browser tests: while Playwright's sync API is
def browser():                       # open, its event loop runs in the main thread and asyncio.run() elsewhere fails
    assert CHROMIUM.exists(), "Chromium is missing: deploy/ensure-browser.sh installs it (make test runs it)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


class Console:
    """Opens the console as one of a store's accounts, on a counter PC or a phone."""

    def __init__(self, browser, stack, request):
        self.browser, self.stack, self.test = browser, stack, request.node.name
        self.contexts = []

    def open(self, username: str, device: dict = COUNTER_PC, password: str = PASSWORD, locale: str = "zh-CN") -> Page:
        """`locale`: the browser's own language (the console's is its own setting)."""
        context = self.browser.new_context(locale=locale, timezone_id="Asia/Shanghai", **device)
        self.contexts.append(context)
        page = track(context.new_page())
        page.goto(f"{self.stack.url}/")
        page.fill("[name=username]", username)
        page.fill("[name=password]", password)
        page.click("form.login button[type=submit]")
        expect(page.locator(".topbar")).to_be_visible()
        return page

    def shot(self, page: Page, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{self.test}-{name}.png", full_page=True)

    def close(self):
        for context in self.contexts:
            context.close()


_IN_FLIGHT: dict[int, set] = {}


def track(page: Page) -> Page:
    """Counts the page's requests in flight but the live stream's (`settle`)."""
    flying = _IN_FLIGHT.setdefault(id(page), set())
    page.on("request", lambda request: None if "/v1/stream" in request.url else flying.add(request))
    page.on("requestfinished", lambda request: flying.discard(request))
    page.on("requestfailed", lambda request: flying.discard(request))
    return page


def settle(page: Page, quiet_ms: int = 500, timeout_ms: int = 30_000) -> None:
    """Waits until no request but the live stream has been in flight for `quiet_ms` — Playwright's
    `networkidle` never comes while the console's stream is open (a request that does not end)."""
    flying, quiet, waited = _IN_FLIGHT[id(page)], 0, 0
    while quiet < quiet_ms:
        assert waited < timeout_ms, f"requests still in flight after {timeout_ms} ms: {[r.url for r in flying]}"
        page.wait_for_timeout(100)
        waited += 100
        quiet = quiet + 100 if not flying else 0


@pytest.fixture
def console(browser, stack, request):
    opened = Console(browser, stack, request)
    yield opened
    opened.close()


def username(admin, stack, session) -> str:
    users = every(admin, f"{stack.url}/v1/users")
    return next(u["username"] for u in users if u["id"] == session.user_id)


@pytest.fixture(scope="module")
def shop(stack, admin):
    store = Store(stack, admin)
    store.login = {role: username(admin, stack, session) for role, session in store.users.items()}
    return store


@pytest.fixture(scope="module")
def part(stack, admin, shop):
    return new_part(stack, admin, shop)


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def amount(text: str) -> int:
    """¥1,234.56 as fen."""
    whole, fen = text.replace("¥", "").replace(",", "").split(".")
    return int(whole) * 100 + int(fen)


def fill_in(scope, submit: bool = True, **values: str) -> None:
    """Types each value into the control of that name inside `scope` (a form), then submits it."""
    for name, value in values.items():
        scope.locator(f"[name='{name}']").fill(value)
    if submit:
        scope.locator("button[type=submit]").click()


# ASCII a zh-CN screen may show besides what has a digit in it (amounts, plates, SKUs, numbers, 5W-30):
# the language switch, units and standards (file sizes, PDF, the export formats CSV and Excel), the store's
# IANA time zone
SCREEN_ASCII = {"EN", "km", "VIN", "OE", "QC", "Asia/Shanghai", "PDF", "OFD", "KB", "MB", "CSV", "Excel"}


def phone_sign_in(page: Page, stack, mobile: str) -> None:
    """The car owner signs in on the phone app with the code the SMS sandbox received."""
    from tests.support.customer import latest_code
    page.goto(f"{stack.url}/m/")
    page.fill("[name=mobile]", mobile)
    page.click("[name=send-code]")
    expect(page.locator("#notice")).to_have_text("验证码已发送")
    page.fill("[name=code]", latest_code(stack, mobile))
    page.click("form.login button[type=submit]")


def inspection_finding(page: Page, mileage_km: str, item: str, condition: str, notes: str, photos: tuple = ()):
    """The technician's open inspection form with its first finding (brakes) filled in, not yet saved."""
    inspection = page.locator("form.inspection")
    inspection.locator("[name='findings.0.area']").select_option("brakes")
    inspection.locator(f".finding[data-index='0'] .cond label.{condition}").click()
    fill_in(inspection, submit=False, **{"mileage_km": mileage_km, "findings.0.item": item, "findings.0.notes": notes})
    if photos:
        inspection.locator("[name='findings.0.photos']").set_input_files(files=list(photos))
    return inspection


def go_to(page: Page, screen: str) -> None:
    """Opens `screen` from the top bar as a person does: its area's menu first, when it has one."""
    href = f'a[href="#/{screen}"]'
    link = page.locator(f"#nav {href}")
    toggle = page.locator("#nav .menu", has=page.locator(href)).locator(".menu-toggle")
    for _ in range(3):  # the top bar is drawn again after each screen opens: a menu seen open may close under us
        if not link.is_visible():
            toggle.click()
        try:
            link.click(timeout=5_000)
            return
        except PlaywrightTimeoutError:
            continue
    link.click()


def ascii_words(text: str) -> set[str]:
    """The ASCII words of `text` that hold a letter and no digit."""
    return {w for w in re.findall(r"[A-Za-z0-9_./@-]+", text) if re.search("[A-Za-z]", w) and not re.search(r"\d", w)}


def assert_all_chinese(page: Page, *typed: str) -> None:
    """The screen in zh-CN shows no English word but what someone typed (`typed`: names, references,
    usernames) and never `null`, `undefined` or `NaN`."""
    typed_words = {word for value in typed for word in ascii_words(value)}
    stray = sorted(ascii_words(page.locator("body").inner_text()) - SCREEN_ASCII - typed_words)
    assert stray == [], f"untranslated on a zh-CN screen: {stray}"
