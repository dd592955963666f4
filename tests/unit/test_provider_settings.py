"""The one lookup of a provider's settings for a store (services/common/config.py `provider_settings`): the
chain's account from the environment, a store's own file under PROVIDER_KEYS_DIR overriding it field by
field, read again when it changes."""
from __future__ import annotations

import json
import os

import pytest

from services.common.config import (AlipaySettings, NuonuoSettings, WeChatPaySettings, provider_settings,
                                    provider_store_keys)


@pytest.fixture
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PROVIDER_KEYS_DIR", str(tmp_path))
    monkeypatch.setenv("WECHATPAY_MCHID", "1900000100")
    monkeypatch.setenv("WECHATPAY_APPID", "wxchain")
    monkeypatch.setenv("WECHATPAY_APIV3_KEY", "chain-key")
    monkeypatch.setenv("WECHATPAY_PRIVATE_KEY_FILE", "/etc/chain/apiclient_key.pem")
    monkeypatch.delenv("WECHATPAY_SUB_MCHID", raising=False)
    return tmp_path


def write(folder, provider: str, key: str, values: dict):
    (folder / provider).mkdir(exist_ok=True)
    path = folder / provider / f"{key}.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    return path


def test_a_store_without_a_file_uses_the_chains_account(keys_dir):
    found = provider_settings("wechatpay", "SH001", "01STOREID")
    assert isinstance(found, WeChatPaySettings)
    assert (found.mchid, found.appid, found.sub_mchid) == ("1900000100", "wxchain", "")
    assert provider_settings("wechatpay") == found


def test_a_stores_file_overrides_field_by_field(keys_dir):
    write(keys_dir, "wechatpay", "SH001", {"sub_mchid": "1900000201"})
    found = provider_settings("wechatpay", "SH001", "01STOREID")
    assert (found.mchid, found.appid, found.sub_mchid, found.apiv3_key) == (
        "1900000100", "wxchain", "1900000201", "chain-key")  # a sub-merchant of the chain's service provider


def test_the_code_is_looked_up_before_the_id_and_either_works(keys_dir):
    write(keys_dir, "wechatpay", "01STOREID", {"sub_mchid": "by-id"})
    assert provider_settings("wechatpay", "SH009", "01STOREID").sub_mchid == "by-id"
    write(keys_dir, "wechatpay", "SH009", {"sub_mchid": "by-code"})
    assert provider_settings("wechatpay", "SH009", "01STOREID").sub_mchid == "by-code"


def test_a_stores_own_merchant_names_its_key_files_beside_its_file(keys_dir):
    write(keys_dir, "wechatpay", "SZ002", {"mchid": "1900000300", "appid": "wxown", "apiv3_key": "own-key",
                                           "cert_serial_no": "ABC", "private_key_file": "SZ002.pem",
                                           "timeout": "3.5"})
    found = provider_settings("wechatpay", "SZ002")
    assert found.private_key_file == str(keys_dir / "wechatpay" / "SZ002.pem")
    assert (found.mchid, found.apiv3_key, found.timeout) == ("1900000300", "own-key", 3.5)


def test_a_rotated_file_takes_effect_without_a_restart(keys_dir):
    path = write(keys_dir, "alipay", "SH001", {"app_auth_token": "old", "auth_app_id": "2021000000000101"})
    assert provider_settings("alipay", "SH001").app_auth_token == "old"
    path.write_text(json.dumps({"app_auth_token": "new", "auth_app_id": "2021000000000101"}))
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))
    found = provider_settings("alipay", "SH001")
    assert isinstance(found, AlipaySettings) and found.app_auth_token == "new"


def test_fapiao_seller_per_store(keys_dir, monkeypatch):
    monkeypatch.setenv("NUONUO_TAX_NUM", "91310000CHAIN00000")
    monkeypatch.setenv("NUONUO_ACCESS_TOKEN", "chain-token")
    write(keys_dir, "nuonuo", "SH001", {"tax_num": "91310000MA1STORE01", "access_token": "store-token",
                                        "seller_name": "上海一店汽车服务有限公司"})
    store, chain = provider_settings("nuonuo", "SH001"), provider_settings("nuonuo", "BJ001")
    assert isinstance(store, NuonuoSettings)
    assert (store.tax_num, store.access_token) == ("91310000MA1STORE01", "store-token")
    assert (chain.tax_num, chain.access_token) == ("91310000CHAIN00000", "chain-token")


def test_a_misnamed_setting_is_an_error_naming_the_file_not_its_values(keys_dir):
    write(keys_dir, "wechatpay", "SH001", {"sub_mch_id": "1900000201", "apiv3_key": "secret"})
    with pytest.raises(ValueError, match="sub_mch_id") as raised:
        provider_settings("wechatpay", "SH001")
    assert "secret" not in str(raised.value)
    (keys_dir / "wechatpay" / "SH002.json").write_text("not json")
    with pytest.raises(ValueError, match="SH002.json is not JSON"):
        provider_settings("wechatpay", "SH002")


def test_keys_that_would_leave_the_folder_are_ignored(keys_dir):
    write(keys_dir, "wechatpay", "SH001", {"sub_mchid": "1900000201"})
    assert provider_settings("wechatpay", "../wechatpay/SH001").sub_mchid == ""
    assert provider_settings("wechatpay", ".hidden", None, "").sub_mchid == ""


def test_the_stores_with_their_own_accounts(keys_dir, monkeypatch):
    write(keys_dir, "wechatpay", "SH001", {"sub_mchid": "1"})
    write(keys_dir, "wechatpay", "SH002", {"sub_mchid": "2"})
    assert provider_store_keys("wechatpay") == ["SH001", "SH002"]
    assert provider_store_keys("alipay") == []
    monkeypatch.delenv("PROVIDER_KEYS_DIR")
    assert provider_store_keys("wechatpay") == [] and provider_settings("wechatpay", "SH001").sub_mchid == ""
