"""The 诺诺 adapter (services/finance/fapiao_nuonuo.py) against the local sandbox (deploy/sandboxes/nuonuo.py):
a blue fapiao issued asynchronously, its 红字确认单 and red fapiao, a signature the sandbox refuses, and a
provider that is down. What this proves holds against the sandbox only (README)."""
from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from xml.etree import ElementTree as ET

import pytest
import requests

from deploy.sandboxes import nuonuo as sandbox
from deploy.sandboxes import wsgi_server
from services.common.config import NuonuoSettings
from services.finance.fapiao_nuonuo import NuonuoProvider
from services.finance.providers import ProviderError
from tests.support.stack import free_port

BUYER = "91110108MA01AB2C3T"
OFD = "{http://www.ofdspec.org/2016}"


@pytest.fixture(scope="module")
def url():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = wsgi_server(sandbox.Sandbox(base), "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base
    server.shutdown()


def provider(url: str, **changes) -> NuonuoProvider:
    env = sandbox.credentials(url)
    settings = NuonuoSettings(app_key=env["NUONUO_APP_KEY"], app_secret=env["NUONUO_APP_SECRET"],
                              tax_num=env["NUONUO_TAX_NUM"], seller_name=env["NUONUO_SELLER_NAME"], clerk="张会计",
                              base_url=url, token_url=env["NUONUO_TOKEN_URL"], access_token="", timeout=5)
    for name, value in changes.items():
        setattr(settings, name, value)
    return NuonuoProvider(settings)


def order(order_no: str, line: str = "bs", kind: str = "1", **more) -> dict:
    sign = "-" if kind == "2" else ""
    return {"buyerName": "广州某某物流有限公司", "buyerTaxNum": BUYER, "salerTaxNum": sandbox.TAX_NUM,
            "orderNo": order_no, "invoiceDate": "2026-12-06 10:00:00", "clerk": "张会计", "pushMode": "-1",
            "invoiceType": kind, "invoiceLine": line, "invoiceDetail": [{
                "goodsName": "更换机油", "goodsCode": sandbox.TAX_CODES["labour"], "num": f"{sign}1", "price": "113",
                "withTaxFlag": "1", "taxRate": "0.13", "tax": f"{sign}13.00", "taxIncludedAmount": f"{sign}113.00",
                "taxExcludedAmount": f"{sign}100.00"}], **more}


def issued(client: NuonuoProvider, serial: str):
    for _ in range(50):
        result = client.query(serial)
        if result.state != "pending":
            return result
        time.sleep(0.1)
    raise AssertionError("never issued")


def test_blue_then_red_after_the_buyer_confirms(url):
    client = provider(url)
    serial = client.issue(order("ORDER-BLUE-1"))
    assert client.issue(order("ORDER-BLUE-1")) == serial  # the same order number answers the same serial
    blue = issued(client, serial)
    assert blue.state == "issued" and len(blue.number) == 20 and blue.issued_at_ms
    pdf = requests.get(blue.pdf_url, timeout=5)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # the OFD 版式文件: a GB/T 33190 package whose entry file names its document, and whose page carries the number
    package = zipfile.ZipFile(io.BytesIO(requests.get(blue.ofd_url, timeout=5).content))
    entry = ET.fromstring(package.read("OFD.xml"))
    assert entry.find(f"{OFD}DocBody/{OFD}DocRoot").text == "Doc_0/Document.xml"
    document = ET.fromstring(package.read("Doc_0/Document.xml"))
    page = document.find(f"{OFD}Pages/{OFD}Page").get("BaseLoc")
    face = [code.text for code in ET.fromstring(package.read(f"Doc_0/{page}")).iter(f"{OFD}TextCode")]
    assert face[0] == "电子发票（增值税专用发票）" and f"发票号码：{blue.number}" in face

    bill_id, state = client.apply_red_confirm({"blueInvoiceNumber": blue.number, "redReason": "2",
                                               "applySource": "0"})
    assert state == "02"  # a 专票: the buyer must confirm
    with pytest.raises(ProviderError) as refused:  # no red fapiao before that
        client.issue(order("ORDER-RED-1", kind="2", invoiceNum=blue.number, billInfoNo="x"))
    assert not refused.value.down
    requests.post(f"{url}/sandbox/confirm", json={"blue_number": blue.number, "accept": True}, timeout=5)
    state, bill_no = client.query_red_confirm(bill_id)
    assert state == "04" and bill_no
    red = issued(client, client.issue(order("ORDER-RED-1", kind="2", invoiceNum=blue.number, billInfoNo=bill_no)))
    assert red.state == "issued" and red.number != blue.number


def test_a_wrong_secret_is_refused_and_a_provider_that_is_down_is_told_apart(url):
    with pytest.raises(ProviderError) as refused:
        provider(url, app_secret="not-the-secret").issue(order("ORDER-SIGN"))
    assert refused.value.code == "token_refused" and not refused.value.down
    client = provider(url)
    client.issue(order("ORDER-WARM"))  # token taken
    client.settings.app_secret = "not-the-secret"
    with pytest.raises(ProviderError) as unsigned:
        client.issue(order("ORDER-SIGN-2"))
    assert unsigned.value.code == "070305" and not unsigned.value.down
    client.settings.app_secret = sandbox.APP_SECRET
    requests.post(f"{url}/sandbox/down", json={"down": True}, timeout=5)
    try:
        with pytest.raises(ProviderError) as down:
            client.issue(order("ORDER-DOWN"))
        assert down.value.down
    finally:
        requests.post(f"{url}/sandbox/down", json={"down": False}, timeout=5)
    assert client.issue(order("ORDER-DOWN"))


def test_a_store_of_its_own_issues_under_its_seller_and_never_under_another(url, tmp_path, monkeypatch):
    """The store's keys file makes it its own seller (销方税号): the fapiao is issued for it (`userTax`) and names
    it; an order naming another seller than the one it is sent for is refused."""
    from services.finance.accounts import StoreProviders

    for name, value in {**sandbox.credentials(url), "NUONUO_ACCESS_TOKEN": ""}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PROVIDER_KEYS_DIR", str(tmp_path))
    (tmp_path / "nuonuo").mkdir()
    (tmp_path / "nuonuo" / "PD001.json").write_text(json.dumps(sandbox.store_seller()))
    stores = StoreProviders("nuonuo", NuonuoProvider, "app_key")
    store, chain = stores.for_store("PD001", "store-id"), stores.for_store("GZ001", "other-id")
    assert (store.settings.tax_num, chain.settings.tax_num) == (sandbox.STORE_TAX_NUM, sandbox.TAX_NUM)
    assert stores.for_store("PD001") is store  # one adapter (and token) per seller
    serial = store.issue(order("STORE-PD-1", line="pc", salerTaxNum=sandbox.STORE_TAX_NUM))
    assert issued(store, serial).state == "issued"
    with pytest.raises(ProviderError) as refused:
        chain.issue(order("STORE-PD-2", line="pc", salerTaxNum=sandbox.STORE_TAX_NUM))
    assert refused.value.code == "E9106"
