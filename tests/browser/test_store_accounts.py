"""The manager sees on the store screen, in Chinese and in the console alone, which accounts the store takes
money and issues fapiao on: its own WeChat Pay sub-merchant and 销方税号 (its keys files), the chain's Alipay
app and health-record system — merchant numbers and the tax number, never a key."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from deploy.sandboxes import alipay as alipay_sandbox
from deploy.sandboxes import wechatpay as sandbox
from tests.browser.conftest import assert_all_chinese
from tests.support.one_car import ok

SUB_MCHID = sandbox.SUB_MCHIDS[2]
TAX_NUM = "91310115MA1K4ABC2X"


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
    expect(wechat).to_contain_text(f"特约商户号 {SUB_MCHID}")
    expect(wechat).to_contain_text(f"服务商商户号 {sandbox.SP_MCHID}")
    alipay = card.locator("tr[data-account=account_alipay]")
    expect(alipay).to_contain_text("连锁统一账户")
    expect(alipay).to_contain_text(f"商户应用编号 {alipay_sandbox.APPID}")
    fapiao = card.locator("tr[data-account=account_fapiao]")
    expect(fapiao).to_contain_text("门店自有账户")
    expect(fapiao).to_contain_text(f"销方税号 {TAX_NUM}")
    expect(card.locator("tr[data-account=account_health_record]")).to_contain_text("连锁统一账户")
    expect(card.locator(".hint")).to_contain_text(f"{own_accounts['code']}.json")
    text = card.inner_text()
    assert "store-token-never-shown" not in text and stack.env["WECHATPAY_APIV3_KEY"] not in text
    assert_all_chinese(manager, shop.login["store_manager"], own_accounts["code"], "广州天河店")
    console.shot(manager, "store-accounts")
