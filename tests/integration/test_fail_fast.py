"""A wrong broker login or vhost, or a wrong database URL, stops a service or the gateway at start within seconds
with one structured log line naming the setting and exit code 78 (services/common/preflight.py), instead of a
process retrying and logging tracebacks forever."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.common.preflight import EXIT_CONFIG
from tests.support.infra import AMQP_BASE, PG_ADMIN_URL
from tests.support.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Wrong-Pa55-seen-nowhere"
START_SECONDS = 20  # a start that fails fast does so well within this, even on a loaded machine


def wrong_password(url: str) -> str:
    scheme, rest = url.split("://", 1)
    user = rest.split("@", 1)[0].split(":", 1)[0]
    return f"{scheme}://{user}:{SECRET}@{rest.split('@', 1)[1]}"


def wrong_user(url: str) -> str:
    """The test server may trust local connections whatever the password: an unknown role it refuses all the same."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://no_such_role_here:{SECRET}@{rest.split('@', 1)[-1]}"


def started(argv: list[str], tmp_path: Path, **env: str) -> tuple[int, list[str], float]:
    began = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=START_SECONDS * 3, env={
        **os.environ, "DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1", **env})
    return done.returncode, (done.stdout + done.stderr).splitlines(), time.monotonic() - began


def the_refusal(lines: list[str]) -> dict:
    """The one error line, as JSON; no traceback, no password."""
    assert not any("Traceback" in line or SECRET in line for line in lines), lines
    errors = [json.loads(line) for line in lines if line.startswith("{") and '"ERROR"' in line]
    assert len(errors) == 1, lines
    assert errors[0]["message"].startswith("cannot start: ") and errors[0]["exit_code"] == EXIT_CONFIG
    return errors[0]


def service(tmp_path: Path, **env: str) -> tuple[int, list[str], float]:
    return started([sys.executable, "-m", "services.common.runner", "crm"], tmp_path, **env)


@pytest.mark.parametrize("amqp_uri, phrase", [
    (wrong_password(f"{AMQP_BASE}/"), "refused the login of AMQP_URI"),
    (f"{AMQP_BASE}/no-such-vhost-here", "refused the vhost of AMQP_URI"),
])
def test_a_service_refuses_to_start_on_a_wrong_broker_login_or_vhost(tmp_path, amqp_uri, phrase):
    code, lines, seconds = service(tmp_path, AMQP_URI=amqp_uri)
    assert code == EXIT_CONFIG and seconds < START_SECONDS, (code, seconds, lines)
    assert phrase in the_refusal(lines)["message"]


@pytest.mark.parametrize("database_url, phrase", [
    (wrong_user(PG_ADMIN_URL), 'role "no_such_role_here" does not exist'),
    (PG_ADMIN_URL.rsplit("/", 1)[0] + "/no_such_database_here", 'database "no_such_database_here" does not exist'),
    ("postgres://where", "CRM_DATABASE_URL is not a database URL"),
])
def test_a_service_refuses_to_start_on_a_wrong_database_url(tmp_path, vhost, database_url, phrase):
    code, lines, seconds = service(tmp_path, AMQP_URI=vhost.uri, CRM_DATABASE_URL=database_url)
    assert code == EXIT_CONFIG and seconds < START_SECONDS, (code, seconds, lines)
    refusal = the_refusal(lines)["message"]
    assert phrase in refusal and "CRM_DATABASE_URL" in refusal


def test_the_gateway_refuses_to_start_on_a_wrong_vhost(tmp_path):
    code, lines, seconds = started(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "gateway.wsgi:app"], tmp_path,
        AMQP_URI=f"{AMQP_BASE}/no-such-vhost-here", GATEWAY_PORT=str(free_port()), GATEWAY_HOST="127.0.0.1",
        JWT_SECRET="fail-fast-secret-of-at-least-thirty-two-bytes", GATEWAY_DATABASE_URL=f"sqlite:///{tmp_path}/gw.db")
    assert code == EXIT_CONFIG and seconds < START_SECONDS, (code, seconds, lines)
    assert "refused the vhost of AMQP_URI" in the_refusal(lines)["message"]
