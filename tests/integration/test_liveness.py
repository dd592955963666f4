"""Liveness that does not cascade: a service process whose broker is unreachable still answers its
liveness `/healthz` on METRICS_PORT (Kubernetes must not restart it), while its readiness check
(`services.common.healthcheck`, the `health` RPC through the broker) fails."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "amqp://guest:guest@127.0.0.1:1/"


def test_liveness_answers_while_the_broker_is_down_and_readiness_does_not(tmp_path):
    port = free_port()
    env = {**os.environ, "AMQP_URI": UNREACHABLE, "METRICS_PORT": str(port), "DATA_DIR": str(tmp_path),
           "CRM_DATABASE_URL": f"sqlite:///{tmp_path / 'crm.db'}", "STOP_TIMEOUT": "2"}
    service = subprocess.Popen([sys.executable, "-m", "services.common.runner", "crm"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, reply = time.monotonic() + 30, None
        while time.monotonic() < deadline and reply is None:
            assert service.poll() is None, "the service exited"
            try:
                reply = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except requests.ConnectionError:
                time.sleep(0.3)
        assert reply is not None and reply.status_code == 200
        time.sleep(2)  # still alive, still answering, the broker still down
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        assert "python_info" in requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        readiness = subprocess.run([sys.executable, "-m", "services.common.healthcheck", "crm"], cwd=ROOT, env=env,
                                   capture_output=True, timeout=30)
        assert readiness.returncode == 1
    finally:
        service.terminate()
        try:
            service.wait(timeout=20)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
