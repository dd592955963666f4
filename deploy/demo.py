"""Seed a demo chain through the gateway's API (only `make run` does this; never production),
print the URLs and the demo logins, then exit (deploy/supervise.py runs it once).

Run as `python -m deploy.demo` from the repository root. Besides stores, staff and customers it
asks each service's own `demo.seed(api, url, store_ids)` for its part: inventory's catalogue and
stock, sales' service catalogue (labour operations, packages), workshop's bays and crews."""
from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import requests

from deploy import demo_history
from deploy.sandboxes import alipay, messaging, wechatpay
from services.common import config
from services.finance import demo as finance_demo
from services.inventory import demo as inventory_demo
from services.sales import demo as sales_demo
from services.workshop import demo as workshop_demo

URL = f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}"
ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "")
STAFF_PASSWORD = "demo1234"
STORES = [("GZ-TH", "广州天河店", "广州市天河区天河路 385 号"),
          ("SZ-NS", "深圳南山店", "深圳市南山区科技园南路 18 号"),
          ("FS-CC", "佛山禅城店", "佛山市禅城区季华五路 22 号")]
PHONES = {"GZ-TH": "020-38886666", "SZ-NS": "0755-26668888", "FS-CC": "0757-83336666"}
"""Each demo store's phone: the header of every document it prints (the manager edits it in the console)."""
REPAIR_LICENCES = {"GZ-TH": "440106000101", "SZ-NS": "440305000202", "FS-CC": "440604000303"}
"""Each demo store's 许可证号 (made up; the manager sets the real one on 健康档案上传): its repair health records'
login at the provincial system's sandbox."""
OWN_ACCOUNTS_STORE = "SZ-NS"
OWN_SMS_SIGN = "南山店"
"""The demo store that is a legal entity of its own, with its own merchant accounts (the others use the chain's):
`make run` writes its keys files (`store_accounts`)."""
OWN_ACCOUNTS = {"wechatpay": {**wechatpay.sub_merchant(wechatpay.SUB_MCHIDS[0]),
                              "sub_appid": messaging.STORE_WECHAT_APPID},
                "alipay": alipay.authorization(next(iter(alipay.MERCHANTS))),
                "sms": {"sign_name": OWN_SMS_SIGN, "access_key_id": messaging.STORE_ACCESS_KEY_ID,
                        "access_key_secret": messaging.STORE_ACCESS_KEY_SECRET},
                "wechat_mp": {"appid": messaging.STORE_WECHAT_APPID, "secret": messaging.STORE_WECHAT_SECRET}}
"""Its accounts at the sandboxes: a sub-merchant (特约商户) of the sandbox's WeChat Pay service provider whose
sub_appid is its own official account, an Alipay merchant who granted the chain's app 第三方应用授权 (the README's
Merchant accounts per store), an Alibaba Cloud SMS account of its own whose texts are signed 【南山店】 and that
official account (公众号), where the phone app inside WeChat is authorized to pay it by JSAPI (the README's
Messages per store)."""
ROLES = ("store_manager", "service_advisor", "technician", "cashier")
STAFF_NAMES = {"GZ-TH": ("陈志强", "林晓燕", "李建国", "黄丽"), "SZ-NS": ("郑海波", "许敏", "李建国", "邓丽娟"),
               "FS-CC": ("梁国华", "何静", "李建国", "冯婷")}
"""Each store's people in the order of ROLES, named on every screen (the technician login is the crew's
master of services/workshop/demo.py, 李建国 in every store)."""
CUSTOMERS = [  # name, mobile, gender, plate, VIN, make, model, year, mileage
    ("张伟", "13800138001", "male", "粤A12345", "LSVAU218XN2183294", "大众", "帕萨特", 2021, 45210),
    ("王芳", "13800138002", "female", "粤BD12345", "LGXCE6CB8N0123456", "比亚迪", "汉 EV", 2022, 23800),
    ("李娜", "13800138003", "female", "粤E8K2L9", None, "丰田", "凯美瑞", 2019, 88120),
    ("刘洋", "13800138004", "male", "粤A5F67D", None, "本田", "雅阁", 2020, 61500),
    ("陈静", "13800138005", "female", "粤BF23456", None, "特斯拉", "Model 3", 2023, 15030),
    ("杨磊", "13800138006", "male", "粤X3M881", None, "别克", "GL8", 2018, 132400),
]


def wait_ready(timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{URL}/readyz", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(1)
    sys.exit("the suite did not become ready; see the other processes' output")


SERVICE_SEEDS = (inventory_demo.seed, sales_demo.seed, workshop_demo.seed,  # sales' packages use inventory's SKUs
                 finance_demo.seed)


def store_accounts(folder: Path, providers: Iterable[str] = tuple(OWN_ACCOUNTS)) -> Path:
    """Write the demo store's keys files (`folder` is PROVIDER_KEYS_DIR: `<provider>/<store code>.json`) for
    `providers` (those served by their sandboxes); a file already there is left as it is (edited by hand)."""
    for provider in providers:
        path = folder / provider / f"{OWN_ACCOUNTS_STORE}.json"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(OWN_ACCOUNTS[provider], ensure_ascii=False, indent=2), encoding="utf-8")
    return folder


def seed(api: requests.Session, url: str = URL, database_url: Callable[[str], str] = config.database_url,
         history_days: int = demo_history.DAYS) -> None:
    """The demo chain through the gateway at `url` (an admin's session), then `history_days` of its
    history (deploy/demo_history.py, on the services' databases at `database_url(owner)`); what
    exists is left alone."""
    stores = {s["code"]: s["id"] for s in api.get(f"{url}/v1/stores", params={"limit": 200}).json()["items"]}
    if STORES[0][0] not in stores:
        seed_chain(api, url)
        stores = {s["code"]: s["id"] for s in api.get(f"{url}/v1/stores", params={"limit": 200}).json()["items"]}
    store_ids = [stores[code] for code, _name, _address in STORES]
    for service_seed in SERVICE_SEEDS:  # each skips what it already seeded
        service_seed(api, url, store_ids)
    if not history_days:
        return
    started = time.monotonic()
    stores = {s["code"]: s for s in api.get(f"{url}/v1/stores", params={"limit": 200}).json()["items"]}
    users = {code: {user["role"]: user for user in api.get(f"{url}/v1/users", params={
        "store_id": stores[code]["id"], "limit": 200}).json()["items"]} for code, _name, _address in STORES}
    cars = demo_history.seed([(code, stores[code]) for code, _name, _address in STORES], users, database_url,
                             history_days)
    if cars:
        print(f"demo: {cars} cars of the last {history_days} days seeded in {time.monotonic() - started:.0f} s "
              "(the dashboard shows them)", flush=True)


def seed_chain(api: requests.Session, url: str) -> None:
    store_ids = []
    for code, name, address in STORES:
        reply = api.post(f"{url}/v1/stores", json={"code": code, "name": name, "address": address,
                                                    "phone": PHONES[code]})
        reply.raise_for_status()
        store_ids.append(reply.json()["id"])
        api.patch(f"{url}/v1/stores/{store_ids[-1]}/finance-settings", json={  # repair health records
            "repair_category": "class_2", "repair_licence_no": REPAIR_LICENCES[code],
            "repair_company_name": f"{name.removesuffix('店')}汽车服务有限公司"}).raise_for_status()
    for code, store_id in zip((s[0] for s in STORES), store_ids, strict=True):
        for role, name in zip(ROLES, STAFF_NAMES[code], strict=True):
            api.post(f"{url}/v1/users", json={"username": f"{role.split('_')[-1]}.{code.lower()}",
                                              "display_name": name, "password": STAFF_PASSWORD, "role": role,
                                              "store_ids": [store_id]}).raise_for_status()
    for index, (name, mobile, gender, plate, vin, make, model, year, mileage) in enumerate(CUSTOMERS):
        reply = api.post(f"{url}/v1/customers", json={
            "name": name, "mobile": mobile, "gender": gender, "home_store_id": store_ids[index % 3],
            "source": "walk_in", "marketing_consent": index % 2 == 0, "tags": ["demo"]})
        reply.raise_for_status()
        api.post(f"{url}/v1/customers/{reply.json()['id']}/vehicles", json={
            "plate": plate, "vin": vin, "make": make, "model": model, "year": year,
            "mileage_km": mileage}).raise_for_status()


def main() -> None:
    wait_ready()
    api = requests.Session()
    login = api.post(f"{URL}/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}, timeout=10)
    if login.status_code != 200:
        sys.exit("demo: cannot log in as admin (was the identity database created with another ADMIN_PASSWORD?)")
    api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    seed(api, history_days=0)
    print(banner(), flush=True)  # the suite is usable while its history is seeded
    seed(api)


def banner(url: str = URL) -> str:
    """What `make run` prints once the demo chain is there: where to go and who to log in as."""
    codes = ", ".join(s[0].lower() for s in STORES)
    return f"""
  Auto-service chain suite is up: {url}
  Staff console: {url}/console/   API reference: {url}/openapi.json
  HQ admin:  admin / {ADMIN_PASSWORD}
  Store staff (password {STAFF_PASSWORD}): manager.<store>, advisor.<store>, technician.<store>, cashier.<store>
  with <store> one of {codes}, e.g. advisor.gz-th
"""


if __name__ == "__main__":
    main()
