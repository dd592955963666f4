"""The health-record adapter (services/finance/health_record_provider.py) against the local sandbox of the
provincial system (deploy/sandboxes/health_record.py): a shop's login and a record kept once per settlement
number, a record or a login the system refuses, a token it forgot, and a system that is down. What this
proves holds against the sandbox only (README)."""
from __future__ import annotations

import threading

import pytest
import requests

from deploy.sandboxes import health_record as sandbox
from deploy.sandboxes import wsgi_server
from services.common.config import HealthRecordSettings
from services.finance.health_record_provider import HealthRecordProvider
from services.finance.providers import ProviderError
from tests.support.stack import free_port

SHOP = "440106000123"


@pytest.fixture(scope="module")
def url():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = wsgi_server(sandbox.Sandbox(), "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base
    server.shutdown()


def provider(url: str, password: str = sandbox.PASSWORD, passwords: str = "{}") -> HealthRecordProvider:
    return HealthRecordProvider(HealthRecordSettings(base_url=url, password=password, passwords_json=passwords,
                                                     timeout=5))


def record(number: str, **basic) -> dict:
    return {"basicInfo": {"companyname": "广州天河汽车服务有限公司", "vehicleplatenumber": "粤A12345",
                          "vin": "LSVAU2180N2183294", "repairdate": "20261206", "repairmileage": "30100",
                          "settledate": "20261206", "faultdescription": "刹车异响", "costlistcode": number, **basic},
            "repairprojectlist": [{"repairproject": "更换刹车片", "workinghours": 1.5}],
            "vehiclepartslist": [{"partsname": "前刹车片", "partscode": "BP-001", "partsquantity": 2}]}


def held(url: str, number: str) -> list[dict]:
    items = requests.get(f"{url}/sandbox/records", timeout=5).json()["items"]
    return [item for item in items if item["basicInfo"]["costlistcode"] == number]


def test_a_record_is_kept_once_per_settlement_number_under_the_shops_code(url):
    client = provider(url)
    assert client.upload(SHOP, record("INV-1")) == "新增成功"
    assert client.upload(SHOP, record("INV-1")) == "记录已存在"  # a resend after a lost answer
    kept = held(url, "INV-1")
    assert len(kept) == 1 and kept[0]["companycode"] == SHOP
    assert kept[0]["vehiclepartslist"] == [{"partsname": "前刹车片", "partscode": "BP-001", "partsquantity": 2}]


def test_the_system_refuses_a_record_without_mileage_or_with_a_short_vin_in_its_words(url):
    with pytest.raises(ProviderError) as refused:
        provider(url).upload(SHOP, record("INV-2", repairmileage=""))
    assert not refused.value.down and refused.value.code == "rejected"
    assert refused.value.message == "repairmileage 不能为空"
    with pytest.raises(ProviderError) as short:
        provider(url).upload(SHOP, record("INV-2", vin="LSVAU2180N218329"))
    assert short.value.message == "vin 车辆识别代号应为17位" and held(url, "INV-2") == []


def test_a_wrong_password_is_a_refused_login_and_a_shops_own_password_wins(url):
    with pytest.raises(ProviderError) as refused:
        provider(url, password="wrong").upload(SHOP, record("INV-3"))
    assert refused.value.code == "login" and refused.value.message == "企业编码或密码错误"
    own = provider(url, password="wrong", passwords=f'{{"{SHOP}": "{sandbox.PASSWORD}"}}')
    assert own.upload(SHOP, record("INV-3")) == "新增成功"


def test_a_token_the_system_forgot_is_taken_anew_once(url):
    client = provider(url)
    client.upload(SHOP, record("INV-4"))
    requests.post(f"{url}/sandbox/expire-tokens", json={}, timeout=5)
    assert client.upload(SHOP, record("INV-5")) == "新增成功"


def test_a_system_that_is_down_is_an_error_to_retry_and_then_answers_again(url):
    client = provider(url)
    requests.post(f"{url}/sandbox/down", json={"down": True}, timeout=5)
    try:
        with pytest.raises(ProviderError) as down:
            client.upload(SHOP, record("INV-6"))
        assert down.value.down
    finally:
        requests.post(f"{url}/sandbox/down", json={"down": False}, timeout=5)
    assert client.upload(SHOP, record("INV-6")) == "新增成功"
    with pytest.raises(ProviderError) as nobody:
        provider(f"http://127.0.0.1:{free_port()}").upload(SHOP, record("INV-7"))
    assert nobody.value.down
