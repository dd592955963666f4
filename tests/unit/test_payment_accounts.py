"""Finance's registry of merchant accounts (services/finance/accounts.py): the account a store opens orders on,
the one an order was opened on, every account to reconcile, one verifier per service provider; and what the
store screen shows of them (ids, never a secret). No provider is called: adapters are built, not used."""
from __future__ import annotations

import json

import pytest

from services.finance.accounts import PaymentAccounts, store_accounts


@pytest.fixture
def accounts(tmp_path, monkeypatch):
    monkeypatch.setenv("PROVIDER_KEYS_DIR", str(tmp_path))
    for name, value in {"WECHATPAY_MCHID": "1900000109", "WECHATPAY_APPID": "wxchain", "WECHATPAY_APIV3_KEY": "k" * 32,
                        "ALIPAY_APPID": "2021000000000001", "NUONUO_APP_KEY": "", "HEALTH_RECORD_BASE_URL": ""}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WECHATPAY_SUB_MCHID", raising=False)
    monkeypatch.delenv("ALIPAY_APP_AUTH_TOKEN", raising=False)
    for provider, key, values in (
            ("wechatpay", "SH001", {"mchid": "1900000100", "appid": "wxsp", "sub_mchid": "1900000201"}),
            ("wechatpay", "SH002", {"mchid": "1900000100", "appid": "wxsp", "sub_mchid": "1900000202"}),
            ("alipay", "SH001", {"app_auth_token": "202612BB2021000000000101", "auth_app_id": "2021000000000101"})):
        (tmp_path / provider).mkdir(exist_ok=True)
        (tmp_path / provider / f"{key}.json").write_text(json.dumps(values))
    return PaymentAccounts()


def test_a_store_opens_orders_on_its_own_account_else_the_chains(accounts):
    assert accounts.for_store("wechat", "SH001", "id-1").merchant_id == "1900000201"
    assert accounts.for_store("wechat", "BJ001", "id-3").merchant_id == "1900000109"
    assert accounts.for_store("alipay", "SH001").merchant_id == "2021000000000101"
    assert accounts.for_store("alipay", "SH002").merchant_id == "2021000000000001"
    assert accounts.for_store("wechat", "SH001") is accounts.for_store("wechat", "SH001", "id-1")  # one per account
    assert accounts.for_store("cash", "SH001") is None and list(accounts) == ["alipay", "wechat"]


def test_every_account_once_and_one_verifier_per_service_provider(accounts):
    assert [account.merchant_id for account in accounts.accounts("wechat")] == ["1900000109", "1900000201",
                                                                                "1900000202"]
    verifiers = accounts.verifiers("wechat")
    assert [account.merchant_id for account in verifiers] == ["1900000109", "1900000201"]  # direct; the provider
    assert accounts.for_merchant("wechat", "1900000202").settings.sub_mchid == "1900000202"
    assert accounts.for_merchant("wechat", None).merchant_id == "1900000109"  # an order from before accounts
    assert accounts.for_merchant("wechat", "1900000999") is None  # an account no longer configured
    assert accounts.chain_merchant("wechat") == "1900000109"


def test_fixed_adapters_for_tests():
    class Fake:
        merchant_id, verifier = "m", "v"
    fake = Fake()
    fixed = PaymentAccounts({"wechat": fake})
    assert fixed.for_store("wechat", "any") is fake and fixed.accounts("alipay") == [] and list(fixed) == ["wechat"]


def test_the_store_screen_shows_ids_never_secrets(accounts):
    shown = store_accounts(accounts, "id-1", "SH001", "粤穗 0001")
    wechat, alipay = shown["payments"]
    assert (wechat["own"], wechat["mode"], wechat["merchant_id"], wechat["sp_mchid"]) == (
        True, "partner", "1900000201", "1900000100")
    assert (alipay["own"], alipay["mode"], alipay["merchant_id"], alipay["isv_appid"]) == (
        True, "partner", "2021000000000101", "2021000000000001")
    assert shown["fapiao"]["configured"] is False and shown["health_record"]["company_code"] == "粤穗 0001"
    assert shown["keys_file"] == "SH001.json"
    text = json.dumps(shown)
    assert "k" * 32 not in text and "202612BB" not in text
    chain = store_accounts(accounts, "id-3", None, None)
    assert [account["own"] for account in chain["payments"]] == [False, False] and chain["keys_file"] == "id-3.json"


def test_a_broken_keys_file_leaves_its_store_unconfigured_and_the_others_alone(accounts, tmp_path, caplog):
    (tmp_path / "wechatpay" / "SH003.json").write_text('{"sub_mch_id": "1900000203", "apiv3_key": "secret"}')
    assert accounts.for_store("wechat", "SH003") is None  # never the chain's account for a store of its own
    assert [account.merchant_id for account in accounts.accounts("wechat")] == ["1900000109", "1900000201",
                                                                                "1900000202"]
    assert "sub_mch_id" in caplog.text and "secret" not in caplog.text
