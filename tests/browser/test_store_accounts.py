"""The manager sees on the store screen, in Chinese and in the console alone, which accounts the store takes
money and issues fapiao on: its own WeChat Pay sub-merchant and 销方税号 (its keys files), the chain's Alipay
app and health-record system — merchant numbers and the tax number, never a key; and which accounts its messages go
out under (its SMS sign, the official accounts masked, 连锁统一 where the chain's)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from deploy.sandboxes import alipay as alipay_sandbox
from deploy.sandboxes import messaging
from deploy.sandboxes import wechatpay as sandbox
from tests.browser.conftest import assert_all_chinese
from tests.support.one_car import ok

SUB_MCHID = sandbox.SUB_MCHIDS[2]
TAX_NUM = "91310115MA1K4ABC2X"


def shown(appid: str, label: str = "公众号编号") -> str:
    """An account's id as the store screen shows it: its last four characters (尾号), as a bank card's."""
    return f"{label} 尾号 {appid[-4:]}"


@pytest.fixture(scope="module")
def own_accounts(stack, shop):
    [store] = [found for found in ok(shop.manager.get(f"{stack.url}/v1/stores", params={"limit": 200}))["items"]
               if found["id"] == shop.id]
    stack.give_account("wechatpay", store["code"], sandbox.sub_merchant(SUB_MCHID))
    stack.give_account("nuonuo", store["code"], {"tax_num": TAX_NUM, "seller_name": "广州天河汽车服务有限公司",
                                                 "access_token": "store-token-never-shown"})
    yield store
    stack.give_account("wechatpay", store["code"], None)
    stack.give_account("nuonuo", store["code"], None)


def test_the_manager_sees_the_stores_own_and_the_chains_accounts(console, stack, shop, own_accounts):
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/store")
    card = manager.locator("#provider-accounts")
    expect(card.locator("h2")).to_have_text("收款与开票账户")
    wechat = card.locator("tr[data-account=account_wechat]")
    expect(wechat).to_contain_text("门店自有账户")
    expect(wechat).to_contain_text("服务商模式特约商户")
    expect(wechat).to_contain_text(shown(SUB_MCHID, "特约商户号"))
    expect(wechat).to_contain_text(shown(sandbox.SP_MCHID, "服务商商户号"))
    alipay = card.locator("tr[data-account=account_alipay]")
    expect(alipay).to_contain_text("连锁统一账户")
    expect(alipay).to_contain_text(shown(alipay_sandbox.APPID, "商户应用编号"))
    fapiao = card.locator("tr[data-account=account_fapiao]")
    expect(fapiao).to_contain_text("门店自有账户")
    expect(fapiao).to_contain_text(f"销方税号 {TAX_NUM}")
    expect(card.locator("tr[data-account=account_health_record]")).to_contain_text("连锁统一账户")
    expect(card.locator(".hint")).to_contain_text(f"{own_accounts['code']}.json")
    text = card.inner_text()
    assert "store-token-never-shown" not in text and stack.env["WECHATPAY_APIV3_KEY"] not in text
    for merchant in (SUB_MCHID, sandbox.SP_MCHID, alipay_sandbox.APPID):  # by their last four only
        assert merchant not in text
    assert_all_chinese(manager, shop.login["store_manager"], own_accounts["code"], "广州天河店")
    console.shot(manager, "store-accounts")


@pytest.fixture
def own_sms(stack, own_accounts):
    stack.give_account("sms", own_accounts["code"], {"sign_name": "南山店",
                                                     "access_key_id": messaging.STORE_ACCESS_KEY_ID,
                                                     "access_key_secret": messaging.STORE_ACCESS_KEY_SECRET})
    yield own_accounts
    stack.give_account("sms", own_accounts["code"], None)
    stack.give_account("wechat_mp", own_accounts["code"], None)


def test_the_manager_sees_which_accounts_the_stores_messages_go_out_under(console, stack, shop, own_sms):
    """Its own SMS sign, the chain's official account (连锁统一); then an official account of its own, which
    also authorizes paying it inside WeChat — appids masked, never a secret."""
    manager = console.open(shop.login["store_manager"])
    manager.goto(f"{stack.url}/console/#/store")
    card = manager.locator("#message-accounts")
    expect(card.locator("h2")).to_have_text("消息与微信内支付账户")
    sms = card.locator("tr[data-account=account_sms]")
    expect(sms).to_contain_text("门店自有账户")
    expect(sms).to_contain_text("短信签名 【南山店】")
    for kind in ("account_wechat_mp", "account_payer_authorization"):
        expect(card.locator(f"tr[data-account={kind}]")).to_contain_text("连锁统一账户")
    expect(card.locator("tr[data-account=account_wechat_mp]")).to_contain_text(
        shown(messaging.WECHAT_APPID))
    expect(card.locator("tr[data-account=account_payer_authorization]")).to_contain_text(
        shown(sandbox.APPID))
    expect(card.locator(".hint")).to_contain_text(f"{own_sms['code']}.json")
    assert_all_chinese(manager, shop.login["store_manager"], own_sms["code"], "广州天河店")
    console.shot(manager, "store-message-accounts")

    stack.give_account("wechat_mp", own_sms["code"], {"appid": messaging.STORE_WECHAT_APPID,
                                                      "secret": messaging.STORE_WECHAT_SECRET})
    manager.reload()
    for kind in ("account_wechat_mp", "account_payer_authorization"):
        row = card.locator(f"tr[data-account={kind}]")
        expect(row).to_contain_text("门店自有账户")
        expect(row).to_contain_text(shown(messaging.STORE_WECHAT_APPID))
    text = card.inner_text()
    for secret in (messaging.STORE_WECHAT_SECRET, messaging.STORE_ACCESS_KEY_SECRET, messaging.STORE_WECHAT_APPID,
                   messaging.STORE_ACCESS_KEY_ID):
        assert secret not in text
