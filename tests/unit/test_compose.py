"""docker-compose.yml checked against the code, so neither can drift without a failing test.

Docker is not needed: the file is parsed (PyYAML resolves the anchors and `<<` merges the way
compose does) and every name in it is looked up in the source tree.
"""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from services.common import config
from services.common.attachments import OWNER_SERVICES
from services.common.migrate import OWNERS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"

INFRA = ("rabbitmq", "postgres")
APP_PROCESSES = (*config.SERVICES, "gateway")  # long-running processes of our image
DB_URL = re.compile(r"^postgresql\+psycopg2://[^@/]+@(?P<host>[\w.-]+):(?P<port>\d+)/(?P<db>\w+)$")
ENV_READ = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|env_int|env_float)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]""")
DERIVED_DB_URL = re.compile(r"\{\s*\w+\.upper\(\)\s*\}_DATABASE_URL")


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


# -- helpers (plain functions of the parsed data, so a mutated copy can be checked too) --------

def argv(command) -> list[str]:
    """A compose `command` (string or list) as the argv it runs."""
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the `- NAME=value` form
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def own_images(compose: dict) -> dict[str, dict]:
    """The compose services that run our image (they have a build section)."""
    return {name: svc for name, svc in compose["services"].items() if "build" in svc}


def database_urls(env: dict) -> dict[str, str]:
    return {name: value for name, value in env.items() if name.endswith("_DATABASE_URL")}


def env_names_read_by_code() -> set[str]:
    names: set[str] = set()
    derived = False
    for folder in ("services", "gateway", "deploy"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            names.update(a or b for a, b in ENV_READ.findall(text))
            derived = derived or bool(DERIVED_DB_URL.search(text))
    if derived:  # config.database_url(owner) reads f"{owner.upper()}_DATABASE_URL"
        names.update(f"{owner.upper()}_DATABASE_URL" for owner in (*config.SERVICES, "gateway"))
    return names


def init_sql_databases() -> set[str]:
    sql = re.sub(r"--[^\n]*", "", INIT_SQL.read_text())
    return {name.lower() for name in re.findall(r'CREATE\s+DATABASE\s+"?(\w+)"?', sql, re.IGNORECASE)}


def problems(compose: dict) -> list[str]:
    """Every way docker-compose.yml disagrees with the code; empty when it is right."""
    found: list[str] = []
    services = compose.get("services") or {}
    ours = own_images(compose)
    known_env = env_names_read_by_code()
    created = init_sql_databases()

    expected_ours = {*APP_PROCESSES, "migrate"}
    if set(ours) != expected_ours:
        found.append(f"services built from our image {sorted(ours)} != {sorted(expected_ours)}")
    for name in INFRA:
        if name not in services:
            found.append(f"no {name} service")

    for name, svc in services.items():
        if "container_name" in svc:
            found.append(f"{name}: container_name set (breaks --scale)")

    for name, svc in ours.items():
        build = svc["build"]
        context = ROOT / (build.get("context", ".") if isinstance(build, dict) else build)
        dockerfile = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
        if (context / dockerfile).resolve() != DOCKERFILE.resolve():
            found.append(f"{name}: builds {context / dockerfile}, not deploy/Dockerfile")
        env = environment(svc)
        for var in sorted(set(env) - known_env):
            found.append(f"{name}: sets {var}, which no code under services/ gateway/ deploy/ reads")
        for var, url in database_urls(env).items():
            match = DB_URL.match(str(url))
            owner = var[: -len("_DATABASE_URL")].lower()
            if not match:
                found.append(f"{name}: {var} is not a postgresql+psycopg2 URL: {url}")
            elif match["host"] not in services:
                found.append(f"{name}: {var} points at host {match['host']}, not a compose service")
            elif match["db"] != owner:
                found.append(f"{name}: {var} names database {match['db']}, not {owner}")
            elif match["db"] not in created:
                found.append(f"{name}: database {match['db']} is not created by deploy/postgres/init.sql")

    for name in APP_PROCESSES:
        svc = services.get(name)
        if svc is None:
            found.append(f"no compose service {name}")
            continue
        env = environment(svc)
        amqp = str(env.get("AMQP_URI", ""))
        host = re.match(r"^amqps?://(?:[^@/]*@)?([\w.-]+)", amqp)
        if not host or host[1] != "rabbitmq":
            found.append(f"{name}: AMQP_URI {amqp!r} does not point at the rabbitmq service")
        own = f"{name.upper()}_DATABASE_URL"
        if set(database_urls(env)) != {own}:
            found.append(f"{name}: database URLs {sorted(database_urls(env))}, expected only {own}")
        if svc.get("ports"):
            if name != "gateway":
                found.append(f"{name}: publishes host ports {svc['ports']} (breaks --scale)")
        depends = svc.get("depends_on") or {}
        if not isinstance(depends, dict):
            depends = {}
        for dep, condition in (("migrate", "service_completed_successfully"),
                               ("rabbitmq", "service_healthy"), ("postgres", "service_healthy")):
            if (depends.get(dep) or {}).get("condition") != condition:
                found.append(f"{name}: does not depend on {dep} with {condition}")
        if not (svc.get("healthcheck") or {}).get("test"):
            found.append(f"{name}: no healthcheck")

    for name in config.SERVICES:
        svc = services.get(name) or {}
        expected = ["python", "-m", "services.common.runner", name]
        if argv(svc.get("command", [])) != expected:
            found.append(f"{name}: command {svc.get('command')!r} is not {' '.join(expected)}")
        test = argv((svc.get("healthcheck") or {}).get("test", []))
        if test[:1] in (["CMD"], ["CMD-SHELL"]):
            test = test[1:] if test[0] == "CMD" else shlex.split(" ".join(test[1:]))
        if test != ["python", "-m", "services.common.healthcheck", name]:
            found.append(f"{name}: healthcheck {test} is not python -m services.common.healthcheck {name}")

    gateway = services.get("gateway") or {}
    command = argv(gateway.get("command", []))
    if command[:1] != ["gunicorn"] or "gateway.wsgi:app" not in command:
        found.append(f"gateway: command {command} does not run gunicorn gateway.wsgi:app")
    config_file = command[command.index("-c") + 1] if "-c" in command[:-1] else None
    if config_file != "deploy/gunicorn.conf.py":
        found.append(f"gateway: gunicorn config {config_file!r} is not deploy/gunicorn.conf.py")
    if gateway.get("ports") != ["${GATEWAY_PORT:-8080}:8080"]:
        found.append(f"gateway: ports {gateway.get('ports')} != ['${{GATEWAY_PORT:-8080}}:8080']")
    gateway_env = environment(gateway)
    if "GATEWAY_PORT" in gateway_env:
        found.append("gateway: GATEWAY_PORT passed in; the container must listen on 8080 as published")
    if gateway_env.get("APP_ENV") != "production":
        found.append("gateway: APP_ENV is not production")
    for secret in ("JWT_SECRET", "ADMIN_PASSWORD"):
        if not str(gateway_env.get(secret, "")).startswith(f"${{{secret}"):
            found.append(f"gateway: {secret} is not taken from the host environment")
    health = " ".join(argv((gateway.get("healthcheck") or {}).get("test", [])))
    if "urllib" not in health or "127.0.0.1:8080/healthz" not in health.replace("localhost", "127.0.0.1"):
        found.append(f"gateway: healthcheck {health!r} does not GET :8080/healthz")
    if "minio" not in services:
        found.append("no minio service (the attachments' object store)")
    for name in (*OWNER_SERVICES.values(), "gateway"):  # who reads and writes attachment bytes: one store
        env = environment(services.get(name) or {})
        if env.get("STORAGE_BACKEND") != "s3" or env.get("S3_ENDPOINT_URL") != "http://minio:9000":
            found.append(f"{name}: attachment bytes are not in the minio service")

    migrate = services.get("migrate") or {}
    if argv(migrate.get("command", [])) != ["python", "-m", "services.common.migrate"]:
        found.append(f"migrate: command {migrate.get('command')!r} is not python -m services.common.migrate")
    expected_urls = {f"{owner.upper()}_DATABASE_URL" for owner in OWNERS}
    if set(database_urls(environment(migrate))) != expected_urls:
        found.append(f"migrate: database URLs {sorted(database_urls(environment(migrate)))} "
                     f"!= {sorted(expected_urls)}")
    if ((migrate.get("depends_on") or {}).get("postgres") or {}).get("condition") != "service_healthy":
        found.append("migrate: does not wait for postgres to be healthy")
    if migrate.get("restart", "no") != "no":
        found.append("migrate: a one-shot job must not restart")

    rabbit_check = argv(((services.get("rabbitmq") or {}).get("healthcheck") or {}).get("test", []))
    if "rabbitmq-diagnostics" not in rabbit_check or "ping" not in rabbit_check:
        found.append(f"rabbitmq: healthcheck {rabbit_check} is not rabbitmq-diagnostics ping")
    postgres = services.get("postgres") or {}
    if "pg_isready" not in argv((postgres.get("healthcheck") or {}).get("test", [])):
        found.append("postgres: healthcheck is not pg_isready")
    mounts = [str(volume) for volume in postgres.get("volumes", [])]
    if not any(re.match(r"^\./deploy/postgres/init\.sql:/docker-entrypoint-initdb\.d/", m) for m in mounts):
        found.append(f"postgres: deploy/postgres/init.sql not mounted into /docker-entrypoint-initdb.d ({mounts})")
    return found


# -- the tests ------------------------------------------------------------------------------

def test_compose_file_matches_the_code(compose):
    assert problems(compose) == []


def test_init_sql_creates_one_database_per_owner():
    assert init_sql_databases() == set(OWNERS)


def test_code_reads_the_variables_compose_relies_on():
    names = env_names_read_by_code()
    expected = {"AMQP_URI", "MAX_WORKERS", "PREFETCH_COUNT", "LOG_LEVEL", "JWT_SECRET", "ADMIN_PASSWORD",
                "APP_ENV", "GATEWAY_WORKERS", "GATEWAY_THREADS", "RPC_TIMEOUT", "GATEWAY_PORT",
                "CRM_DATABASE_URL", "GATEWAY_DATABASE_URL"}
    assert expected <= names, sorted(expected - names)


def test_runner_accepts_every_service_and_finds_its_class():
    # In a subprocess: importing the runner monkey-patches the whole interpreter with eventlet.
    probe = ("import importlib, json, sys\n"
             "from services.common import runner\n"
             "out = {}\n"
             "for name in sys.argv[1:]:\n"
             "    cls = getattr(importlib.import_module(f'services.{name}.service'), 'SERVICE', None)\n"
             "    out[name] = [name in runner.config.SERVICES, getattr(cls, 'name', None)]\n"
             "print(json.dumps(out))\n")
    result = subprocess.run([sys.executable, "-c", probe, *config.SERVICES], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    accepted = json.loads(result.stdout.strip().splitlines()[-1])
    assert accepted == {name: [True, name] for name in config.SERVICES}


def test_modules_named_in_commands_exist():
    for module in ("services/common/runner.py", "services/common/migrate.py",
                   "services/common/healthcheck.py", "deploy/gunicorn.conf.py"):
        assert (ROOT / module).is_file(), module
    assert 'if __name__ == "__main__"' in (ROOT / "services/common/healthcheck.py").read_text()
    # gateway.wsgi:app is read, not imported (importing builds the app and connects to its database).
    wsgi = (ROOT / "gateway" / "wsgi.py").read_text()
    assert re.search(r"^app\s*=", wsgi, re.MULTILINE), "gateway/wsgi.py defines no module-level `app`"
    gunicorn_conf = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    assert re.search(r"""GATEWAY_PORT['"]\s*,\s*['"]8080['"]""", gunicorn_conf), \
        "gunicorn no longer listens on 8080 by default, as docker-compose.yml publishes"


def test_dockerfile_builds_one_image_for_every_process():
    text = DOCKERFILE.read_text()
    instructions = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert re.search(r"^FROM\s+python:3\.11-slim\b", text, re.MULTILINE)
    assert re.search(r"pip install .*-r requirements\.txt", text)
    for folder in ("services", "gateway", "deploy"):
        assert re.search(rf"^COPY\s+(--\S+\s+)*{folder}/?\s+\S+", text, re.MULTILINE), f"{folder}/ not copied"
    users = [line.split()[1] for line in instructions if line.upper().startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), "the image must run as a non-root user"


# -- the checks themselves must catch breakage ----------------------------------------------

def _mutated(change) -> list[str]:
    # A fresh copy, with no aliasing: PyYAML shares merged (`<<`) values between services.
    data = json.loads(json.dumps(load_compose()))
    change(data)
    return problems(data)


def _set(path: list, value):
    def change(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def _delete(path: list):
    def change(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return change


MUTATIONS = {
    "service missing": _delete(["services", "finance"]),
    "wrong runner name": _set(["services", "crm", "command"], "python -m services.common.runner sales"),
    "wrong healthcheck name": _set(["services", "sales", "healthcheck", "test"],
                                   ["CMD", "python", "-m", "services.common.healthcheck", "crm"]),
    "no amqp uri": _delete(["services", "inventory", "environment", "AMQP_URI"]),
    "own db url missing": _delete(["services", "workshop", "environment", "WORKSHOP_DATABASE_URL"]),
    "foreign db url": _set(["services", "crm", "environment", "SALES_DATABASE_URL"],
                           "postgresql+psycopg2://u:p@postgres:5432/sales"),
    "url names another database": _set(["services", "crm", "environment", "CRM_DATABASE_URL"],
                                       "postgresql+psycopg2://u:p@postgres:5432/sales"),
    "migrate url names another database": _set(["services", "migrate", "environment", "CRM_DATABASE_URL"],
                                                "postgresql+psycopg2://u:p@postgres:5432/crm2"),
    "url host is no service": _set(["services", "crm", "environment", "CRM_DATABASE_URL"],
                                   "postgresql+psycopg2://u:p@localhost:5432/crm"),
    "unknown env var": _set(["services", "gateway", "environment", "JWT_SECRETS"], "x"),
    "container_name": _set(["services", "inventory", "container_name"], "inventory"),
    "service host port": _set(["services", "inventory", "ports"], ["5000:5000"]),
    "no migrate dependency": _delete(["services", "finance", "depends_on", "migrate"]),
    "migrate only started": _set(["services", "gateway", "depends_on", "migrate"],
                                 {"condition": "service_started"}),
    "rabbitmq not healthy": _set(["services", "crm", "depends_on", "rabbitmq"], {"condition": "service_started"}),
    "gunicorn config": _set(["services", "gateway", "command"], "gunicorn -c gunicorn.conf.py gateway.wsgi:app"),
    "wsgi app": _set(["services", "gateway", "command"], "gunicorn -c deploy/gunicorn.conf.py gateway.app:app"),
    "gateway port": _set(["services", "gateway", "ports"], ["8080:8000"]),
    "hard-coded jwt secret": _set(["services", "gateway", "environment", "JWT_SECRET"], "secret"),
    "gateway healthcheck": _set(["services", "gateway", "healthcheck", "test"], ["CMD", "true"]),
    "migrate command": _set(["services", "migrate", "command"], "python -m services.common.runner crm"),
    "migrate misses an owner": _delete(["services", "migrate", "environment", "GATEWAY_DATABASE_URL"]),
    "postgres healthcheck": _delete(["services", "postgres", "healthcheck"]),
    "init.sql not mounted": _set(["services", "postgres", "volumes"], []),
    "other dockerfile": _set(["services", "sales", "build"], {"context": ".", "dockerfile": "Dockerfile"}),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_broken_compose_file_is_caught(mutation):
    assert _mutated(MUTATIONS[mutation]), f"{mutation!r} went unnoticed"


def test_a_database_missing_from_init_sql_is_caught(monkeypatch):
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "init_sql_databases", lambda: set(OWNERS) - {"crm"})
    found = problems(load_compose())
    assert any("database crm is not created by deploy/postgres/init.sql" in p for p in found), found


def test_an_env_var_the_code_stopped_reading_is_caught(monkeypatch):
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "env_names_read_by_code", lambda: set())
    found = problems(load_compose())
    assert any("sets AMQP_URI, which no code" in p for p in found), found
