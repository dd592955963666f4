"""The car owner's phone app opened inside WeChat (a MicroMessenger user agent on a 390×844 phone), UI alone: the
owner opens the completed car's invoice and taps 微信支付; with no openid known the app goes through WeChat's 网页授权
(the sandbox's authorize page sends it back to /m/ with a code), then pays by JSAPI — WeixinJSBridge's
getBrandWCPayRequest (the sandbox's stand-in bridge, which verifies the paySign and pays) — and the invoice shows
已付清. Staff see the payment; WeChat Pay's order was a JSAPI one. A store that is a sub-merchant with an official
account of its own (as make run's 深圳南山店) is paid the same way, authorized at its own account."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from deploy.sandboxes import messaging
from deploy.sandboxes import wechatpay as pay_sandbox
from tests.browser.conftest import PHONE, SCREENSHOTS, assert_all_chinese, phone_sign_in, yuan
from tests.support.customer import car_with_quote, finish, oil_change, ok, staff_world

pytestmark = pytest.mark.e2e
OWN_SUB_MCHID = pay_sandbox.SUB_MCHIDS[3]
"""The store's own sub-merchant here, no other test's: the stack is the worker's, and the e2e reconciliation counts
each of its own sub-merchants' payments of the day (test_store_accounts_through_gateway)."""
WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN")


@pytest.fixture
def wechat_phone(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", user_agent=WECHAT, **PHONE)
    yield context.new_page()
    context.close()


def test_inside_wechat_the_owner_pays_by_jsapi_after_web_authorization(stack, admin, wechat_phone):
    store, advisor, name = staff_world(stack, admin, "江门蓬江店")
    order = pays_inside_wechat(stack, admin, wechat_phone, (store, advisor, name), pay_sandbox.APPID,
                               "customer_wechat_pay-paid")
    assert order.get("sub_mchid") is None


@pytest.fixture
def own_accounts_store(stack, admin):
    """A store like make run's 深圳南山店: a sub-merchant of the chain's service provider whose sub_appid is an
    official account of its own (its keys files; they go again after)."""
    store, advisor, name = staff_world(stack, admin, "深圳南山店")
    stack.give_account("wechatpay", store["code"], {**pay_sandbox.sub_merchant(OWN_SUB_MCHID),
                                                    "sub_appid": messaging.STORE_WECHAT_APPID})
    stack.give_account("wechat_mp", store["code"], {"appid": messaging.STORE_WECHAT_APPID,
                                                    "secret": messaging.STORE_WECHAT_SECRET})
    yield store, advisor, name
    stack.give_account("wechatpay", store["code"], None)
    stack.give_account("wechat_mp", store["code"], None)


def test_a_store_on_its_own_official_account_is_paid_by_jsapi_authorized_there(stack, admin, wechat_phone,
                                                                                own_accounts_store):
    order = pays_inside_wechat(stack, admin, wechat_phone, own_accounts_store, messaging.STORE_WECHAT_APPID,
                               "customer_wechat_pay-own-account")
    assert order["sub_mchid"] == OWN_SUB_MCHID  # on the store's own merchant account


def pays_inside_wechat(stack, admin, page, world: tuple, appid: str, shot: str) -> dict:
    """The owner pays the finished car's invoice at the store of `world` from the phone inside WeChat, UI alone,
    authorized at the official account `appid`; WeChat Pay's order, paid by an openid of `appid`."""
    store, advisor, name = world
    car = car_with_quote(stack, store, advisor, name, "梁车主", oil_op=oil_change(stack, admin))
    done = finish(stack, admin, car)
    total = done.invoice["total_fen"]
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url) if request.is_navigation_request() else None)

    phone_sign_in(page, stack, car.customer["mobile"])
    page.click("[name=to-accept]")
    invoice = page.locator(f"[data-invoice='{done.invoice['number']}']")
    expect(invoice.locator("[data-invoice-state]")).to_have_text("待付款")
    expect(invoice.locator("[data-due] .price")).to_have_text(yuan(total))
    page.click("[name=pay]")

    # WeChat's 网页授权 and back, then JSAPI: the invoice paid, on the screen paid from
    expect(invoice.locator("[data-invoice-state]")).to_have_text("已付清", timeout=30_000)
    expect(invoice.locator("[data-due] .price")).to_have_text(yuan(0))
    expect(page).to_have_url(re.compile(r"/m/#/accept/"))
    assert any("/connect/oauth2/authorize?" in url and f"appid={appid}&" in url and "scope=snsapi_base" in url
               for url in visited), visited
    assert any(re.search(r"/m/\?code=[\w-]+&state=", url) for url in visited), visited  # WeChat's way back
    assert not any("/sandbox/h5/" in url for url in visited)  # never the H5 cashier inside WeChat
    assert_all_chinese(page, car.vehicle["plate"], store["name"], done.invoice["number"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{shot}.png", full_page=True)

    staff = ok(advisor.get(f"{stack.url}/v1/invoices/{done.invoice['id']}"))
    assert (staff["status"], [p["method"] for p in staff["payments"]]) == ("paid", ["wechat"])
    intents = ok(advisor.get(f"{stack.url}/v1/payment-intents", params={"store_id": store["id"]}))["items"]
    [jsapi] = [intent for intent in intents if intent["invoice_id"] == done.invoice["id"]]
    assert (jsapi["channel"], jsapi["status"]) == ("jsapi", "paid")
    order = requests.get(f"{stack.wechatpay_url}/sandbox/orders/{jsapi['id']}", timeout=10).json()
    assert (order["trade_type"], order["trade_state"], order["payer_appid"]) == ("JSAPI", "SUCCESS", appid)
    return order
