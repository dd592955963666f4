"""`make run`'s process set (deploy/supervise.py over deploy/Procfile) on the embedded default
(SQLite under DATA_DIR): a service killed with `kill -9` comes back by itself while the gateway
keeps answering, and SIGINT (Ctrl-C) stops every process; the demo store with merchant accounts of its own
has its keys files under DATA_DIR/store-accounts, which finance reads (PROVIDER_KEYS_DIR). Under honcho the
first death stopped the whole suite, gateway included."""
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
from services.common.config import SERVICES
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
