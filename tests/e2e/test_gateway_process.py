"""The gateway's gunicorn as deployed (deploy/gunicorn.conf.py) in a container-like environment:
a home that cannot be written and no XDG_RUNTIME_DIR. It binds no control socket (before, every
gateway of a host shared `$HOME/.gunicorn/gunicorn.ctl`, and an unwritable home logged
"Control server error" on every start); it logs one JSON stream, gunicorn's lines too, in UTC with the zone;
and a kept-alive connection outlasts a client's pause."""
from __future__ import annotations

import os
import http.client
import json
import signal
import subprocess
import sys
import time

import pytest

from services.common.migrate import upgrade
from tests.e2e.test_make_run import answer, until
from tests.support.stack import ROOT, free_port

pytestmark = pytest.mark.e2e


def test_the_gateway_starts_without_a_control_socket_in_an_unwritable_home_and_keeps_idle_connections(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade("gateway", url)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "XDG_RUNTIME_DIR"}
    env.update({"HOME": "/proc/no-home", "DATA_DIR": str(tmp_path), "GATEWAY_DATABASE_URL": url,
                "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(port), "GATEWAY_WORKERS": "1",
                "ADMIN_PASSWORD": "admin-test-Pa55"})
    with open(tmp_path / "gateway.log", "wb") as log:
        gateway = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                                    "gateway.wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            until(lambda: answer(f"http://127.0.0.1:{port}/healthz") == 200, "the gateway answers", timeout=60)
            assert_a_kept_connection_outlasts_a_pause(port)
        finally:
            gateway.send_signal(signal.SIGTERM)
            gateway.wait(timeout=30)
    output = (tmp_path / "gateway.log").read_text(errors="replace")
    assert "Listening at" in output and "Control server" not in output and "gunicorn.ctl" not in output
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # one JSON stream, gunicorn's too
    assert {"gunicorn.error", "gateway.access"} <= {line["logger"] for line in lines}
    assert all(line["ts"].endswith("+00:00") and line["component"] == "gateway" for line in lines), lines


def assert_a_kept_connection_outlasts_a_pause(port: int, pause: float = 6) -> None:
    """A client's kept-alive connection still serves after a pause longer than gunicorn's default keep-alive
    (5 s): when the gateway closed it first, a request sent at that moment met `RemoteDisconnected`
    (deploy/gunicorn.conf.py)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        assert connection.getresponse().read() is not None
        kept = connection.sock
        time.sleep(pause)
        connection.request("GET", "/healthz")
        reply = connection.getresponse()
        reply.read()
        assert reply.status == 200 and connection.sock is kept
    finally:
        connection.close()
