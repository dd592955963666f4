"""`make run`'s process set (deploy/supervise.py over deploy/Procfile) on the embedded default
(SQLite under DATA_DIR): a service killed with `kill -9` comes back by itself while the gateway
keeps answering, and SIGINT (Ctrl-C) stops every process; the demo store with merchant accounts of its own
has its keys files under DATA_DIR/store-accounts, which finance and crm read (PROVIDER_KEYS_DIR): a car checked
in there is texted 【南山店】 under its own SMS account, one checked in at 广州天河店 【车主服务】 under the chain's.
Under honcho the first death stopped the whole suite, gateway included."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from deploy import demo
from deploy.sandboxes import messaging
from services.common.config import SERVICES
from tests.support import data
from tests.support.infra import Vhost
from tests.support.stack import ROOT, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]


def until(predicate, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.5)
    return value


def answer(url: str) -> int | None:
    try:
        return requests.get(url, timeout=5).status_code
    except requests.RequestException:
        return None


def program_pid(conf: Path, env: dict, name: str) -> int | None:
    out = subprocess.run([sys.executable, "-m", "supervisor.supervisorctl", "-c", str(conf), "pid", name],
                         env=env, capture_output=True, text=True).stdout.strip()
    return int(out) if out.isdigit() and int(out) > 0 else None


def texts_are_signed_by_their_store(url: str, env: dict) -> None:
    """A check-in at 深圳南山店 (its own SMS account) and one at 广州天河店 (the chain's), texted through the
    messaging sandbox: each text under its store's account and sign."""
    token = requests.post(f"{url}/v1/auth/login", json={"username": "admin", "password": env["ADMIN_PASSWORD"]},
                          timeout=10).json()["access_token"]
    admin = requests.Session()
    admin.headers["Authorization"] = f"Bearer {token}"

    def stores() -> dict | None:
        found = {s["code"]: s["id"] for s in admin.get(f"{url}/v1/stores", params={"limit": 200}, timeout=10)
                 .json()["items"]}
        return found if {demo.OWN_ACCOUNTS_STORE, "GZ-TH"} <= set(found) else None

    store_ids = until(stores, "the demo seeds its stores", timeout=180)
    sandbox = f"http://127.0.0.1:{env['MESSAGING_SANDBOX_PORT']}"
    for code, sign, account in ((demo.OWN_ACCOUNTS_STORE, demo.OWN_SMS_SIGN, messaging.STORE_ACCESS_KEY_ID),
                                ("GZ-TH", "车主服务", messaging.ACCESS_KEY_ID)):
        mobile = data.mobile()
        customer = admin.post(f"{url}/v1/customers", json={"name": "测试车主", "mobile": mobile,
                                                           "home_store_id": store_ids[code]}, timeout=10)
        assert customer.status_code == 201, customer.text
        vehicle = admin.post(f"{url}/v1/customers/{customer.json()['id']}/vehicles", json={"plate": data.plate()},
                             timeout=10)
        assert vehicle.status_code == 201, vehicle.text
        visit = admin.post(f"{url}/v1/visits", json={
            "store_id": store_ids[code], "customer_id": customer.json()["id"], "vehicle_id": vehicle.json()["id"],
            "mileage_km": 1000, "needs": ["保养"]}, timeout=10)
        assert visit.status_code == 201, visit.text
        [text] = until(lambda m=mobile: requests.get(f"{sandbox}/sandbox/sms", params={"to": m}, timeout=5)
                       .json()["items"], f"{code}'s check-in texted", timeout=60)
        assert text["body"].startswith(f"【{sign}】您的爱车 ") and text["access_key_id"] == account, text


@pytest.fixture
def vhost():
    host = Vhost().create()
    yield host
    host.drop()


def test_a_killed_service_is_restarted_and_the_gateway_keeps_answering(vhost, tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.endswith("_DATABASE_URL")}
    env.update({"DATA_DIR": str(tmp_path), "AMQP_URI": vhost.uri, "GATEWAY_PORT": str(port),
                "GATEWAY_HOST": "127.0.0.1", "ADMIN_PASSWORD": "admin-test-Pa55", "GATEWAY_WORKERS": "1",
                "WECHATPAY_SANDBOX_PORT": str(free_port()), "ALIPAY_SANDBOX_PORT": str(free_port()),
                "MESSAGING_SANDBOX_PORT": str(free_port()), "GATEWAY_APP_PORT": str(free_port()),
                "STREAM_PORT": str(free_port()), "CUSTOMER_GATEWAY_PORT": str(free_port()), "STOP_TIMEOUT": "10",
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "PYTHONUNBUFFERED": "1"})
    subprocess.run([sys.executable, "-m", "services.common.migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    log = open(tmp_path / "run.log", "wb")
    suite = subprocess.Popen([sys.executable, "-m", "deploy.supervise"], cwd=ROOT, env=env, stdout=log,
                             stderr=subprocess.STDOUT)
    url, conf = f"http://127.0.0.1:{port}", tmp_path / "supervisord.conf"
    try:
        until(lambda: answer(f"{url}/readyz") == 200, "the suite gets ready", timeout=180)
        children = psutil.Process(suite.pid).children(recursive=True)
        sales = program_pid(conf, env, "sales")
        os.kill(sales, signal.SIGKILL)
        seen = []

        def back() -> bool:
            seen.append((answer(f"{url}/healthz"), answer(f"{url}/readyz")))
            return seen[-1] == (200, 200) and program_pid(conf, env, "sales") not in (None, sales)

        until(back, "sales restarted and ready", timeout=90)
        assert all(health == 200 for health, _ready in seen), seen  # the gateway never stopped answering
        assert all(program_pid(conf, env, name) for name in (*SERVICES, "gateway", "customer-gateway", "stream",
                                                             "front"))
        # the demo store's own merchant accounts: its keys files, and finance pointed at them
        keys = tmp_path / "store-accounts"
        assert psutil.Process(program_pid(conf, env, "finance")).environ()["PROVIDER_KEYS_DIR"] == str(keys)
        for provider, values in demo.OWN_ACCOUNTS.items():
            assert json.loads((keys / provider / f"{demo.OWN_ACCOUNTS_STORE}.json").read_text()) == values
        assert psutil.Process(program_pid(conf, env, "crm")).environ()["PROVIDER_KEYS_DIR"] == str(keys)
        texts_are_signed_by_their_store(url, env)
        # the phone app and its API through the front, from the channel's own gunicorn; the staff API not there
        until(lambda: answer(f"{url}/m/") == 200, "the customer channel's gateway answers", timeout=60)
        assert answer(f"{url}/c/v1/vehicles") == 401
        assert answer(f"http://127.0.0.1:{env['CUSTOMER_GATEWAY_PORT']}/v1/me") == 404
    finally:
        suite.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            suite.wait(timeout=90)
        except subprocess.TimeoutExpired:  # killed, so that what failed before (if anything) is what is reported
            for child in psutil.Process(suite.pid).children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
            suite.kill()
            suite.wait()
    output = (tmp_path / "run.log").read_text(errors="replace")
    assert suite.returncode == 0, "\n".join(output.splitlines()[-40:])
    assert not [child for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE]
    assert "exited: sales (terminated by SIGKILL" in output
