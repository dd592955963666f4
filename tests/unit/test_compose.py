"""docker-compose.yml checked against the code, so neither can drift without a failing test.

Docker is not needed: the file is parsed (PyYAML resolves the anchors and `<<` merges the way
compose does) and every name in it is looked up in the source tree.
"""
from __future__ import annotations

import copy
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy.sandboxes import messaging
from gateway.stream.document import CUSTOMER_PATH as CUSTOMER_STREAM_PATH
from gateway.stream.document import PATH as STREAM_PATH
from services.common import config
from services.common.attachments import OWNER_SERVICES
from services.common.migrate import OWNERS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"
PASSWORDS_SH = ROOT / "deploy" / "postgres" / "passwords.sh"
FRONT_CONF = ROOT / "deploy" / "nginx" / "front.conf"
STREAM_CONF = ROOT / "deploy" / "gunicorn_stream.conf.py"

INFRA = ("rabbitmq", "postgres")
DEV_SANDBOXES = ("messaging-sandbox",)  # profile `dev` only
DEV_ENV_FILE = ROOT / "deploy" / "sandboxes" / "compose-dev.env"
DELIVERER = "webhooks"  # the webhook deliverer (gateway/partners/deliverer.py), the gateway's database
STREAM = "stream"  # the live stream (gateway/stream), the gateway's identity database
FRONT = "front"  # the same-origin front (nginx, deploy/nginx/front.conf): the one published port
CUSTOMER_GATEWAY = "customer-gateway"  # the customer channel's own gateway (deploy/gunicorn_customer.conf.py)
APP_PROCESSES = (*config.SERVICES, "gateway", CUSTOMER_GATEWAY, DELIVERER, STREAM)  # long-running processes of ours
DATABASE_OF = {DELIVERER: "gateway", STREAM: "gateway", CUSTOMER_GATEWAY: "gateway"}
CHANNEL_LOCATIONS = ("= /c/v1", "/c/v1/", "= /m", "/m/")
"""The nginx locations of the customer channel: gateway/app.py CHANNEL_PREFIX and gateway/mobile.py PREFIX, with and
without what lies under them."""
"""Whose database a process uses when it is not its own name's."""
DELIVERER_PROBE_PORT = "8090"
PUBLISHED = "${GATEWAY_PORT:-8080}:8080"
"""The console's, the API's and the stream's one origin, published by the front."""
GATEWAY_APP_PORT = 8080  # gunicorn's default bind (deploy/gunicorn.conf.py), where the front sends the rest
STREAM_LEFT_TO_DEFAULTS = {"STREAM_HOST", "GATEWAY_HOST", "PROMETHEUS_MULTIPROC_DIR"}
"""Read by the stream's process but right unset in a container: bind every interface, metrics in a new folder."""
STREAM_AUTH_ENV = {"AMQP_URI", "GATEWAY_DATABASE_URL", "APP_ENV", "JWT_SECRET", "JWT_ACCEPTED_SECRETS", "LOG_LEVEL"}
"""What the stream needs of the gateway's settings: its bus, who a token is, the gateway's token keys."""
DB_URL = re.compile(r"^postgresql\+psycopg2://[^@/]+@(?P<host>[\w.-]+):(?P<port>\d+)/(?P<db>\w+)$")
ENV_READ = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|env_int|env_float)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]""")
DB_CREDENTIALS = re.compile(r"^postgresql\+psycopg2://(?P<user>[^:@/]+):(?P<password>[^@/]+)@")
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


def stream_settings_read() -> set[str]:
    """The variables the stream's own code reads (gateway/stream/, its gunicorn config), less those left unset."""
    text = "\n".join(path.read_text() for path in [*(ROOT / "gateway" / "stream").glob("*.py"), STREAM_CONF])
    return {a or b for a, b in ENV_READ.findall(text)} - STREAM_LEFT_TO_DEFAULTS


def init_sql_databases() -> set[str]:
    sql = re.sub(r"--[^\n]*", "", INIT_SQL.read_text())
    return {name.lower() for name in re.findall(r'CREATE\s+DATABASE\s+"?(\w+)"?', sql, re.IGNORECASE)}


def owner_password(owner: str) -> str:
    """How compose takes an owner's database password: from the host, refused when unset."""
    return f"${{{owner.upper()}_DB_PASSWORD:?"


def init_sql_owner_problems(sql: str) -> list[str]:
    """Each owner's database owned by its own login role, no superuser, which no other role may connect to."""
    sql = re.sub(r"--[^\n]*", "", sql)
    found = []
    for owner in OWNERS:
        role = re.search(rf"CREATE\s+ROLE\s+{owner}\s+([^;]*);", sql, re.IGNORECASE)
        if not role or "LOGIN" not in role[1].upper() or "NOSUPERUSER" not in role[1].upper():
            found.append(f"init.sql: no login role {owner} that is no superuser")
        if not re.search(rf"CREATE\s+DATABASE\s+{owner}\s+OWNER\s+{owner}\s*;", sql, re.IGNORECASE):
            found.append(f"init.sql: database {owner} is not owned by role {owner}")
        if not re.search(rf"REVOKE\s+ALL\s+ON\s+DATABASE\s+{owner}\s+FROM\s+PUBLIC\s*;", sql, re.IGNORECASE):
            found.append(f"init.sql: any role may connect to database {owner}")
    return found


def problems(compose: dict) -> list[str]:
    """Every way docker-compose.yml disagrees with the code; empty when it is right."""
    found: list[str] = []
    services = compose.get("services") or {}
    ours = own_images(compose)
    known_env = env_names_read_by_code()
    created = init_sql_databases()

    expected_ours = {*APP_PROCESSES, "migrate", *DEV_SANDBOXES}
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
            credentials = DB_CREDENTIALS.match(str(url))
            if not credentials or credentials["user"] != owner:
                found.append(f"{name}: {var} does not connect as the owner's own role {owner}")
            elif not credentials["password"].startswith(owner_password(owner)):
                found.append(f"{name}: {var}'s password is not {owner_password(owner)}…}} from the host")

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
        own = f"{DATABASE_OF.get(name, name).upper()}_DATABASE_URL"
        if set(database_urls(env)) != {own}:
            found.append(f"{name}: database URLs {sorted(database_urls(env))}, expected only {own}")
        if svc.get("ports"):
            found.append(f"{name}: publishes host ports {svc['ports']} (breaks --scale; the front publishes "
                         f"{PUBLISHED})")
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
    found += deliverer_problems(services)
    found += customer_gateway_problems(services)
    found += stream_problems(services)
    found += provider_problems(services)
    found += front_problems(services, FRONT_CONF.read_text())
    if "minio" not in services:
        found.append("no minio service (the attachments' object store)")
    for name in (*OWNER_SERVICES.values(), "gateway", CUSTOMER_GATEWAY):  # who reads and writes attachment bytes
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

    found += hardening_problems(compose)
    found += dev_sandbox_problems(compose)

    rabbit_check = argv(((services.get("rabbitmq") or {}).get("healthcheck") or {}).get("test", []))
    if "rabbitmq-diagnostics" not in rabbit_check or "ping" not in rabbit_check:
        found.append(f"rabbitmq: healthcheck {rabbit_check} is not rabbitmq-diagnostics ping")
    postgres = services.get("postgres") or {}
    if "pg_isready" not in argv((postgres.get("healthcheck") or {}).get("test", [])):
        found.append("postgres: healthcheck is not pg_isready")
    mounts = [str(volume) for volume in postgres.get("volumes", [])]
    if not any(re.match(r"^\./deploy/postgres/?:/docker-entrypoint-initdb\.d(:ro)?$", m) for m in mounts):
        found.append(f"postgres: deploy/postgres (init.sql, passwords.sh) not mounted as /docker-entrypoint-initdb.d "
                     f"({mounts})")
    postgres_env = environment(postgres)
    for owner in OWNERS:
        if not str(postgres_env.get(f"{owner.upper()}_DB_PASSWORD", "")).startswith(owner_password(owner)):
            found.append(f"postgres: {owner.upper()}_DB_PASSWORD is not passed in from the host (passwords.sh)")
    found += init_sql_owner_problems(INIT_SQL.read_text())
    return found


def dev_env() -> dict[str, str]:
    lines = [line for line in DEV_ENV_FILE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def dev_sandbox_problems(compose: dict) -> list[str]:
    """The messaging sandbox runs only in the `dev` profile, where compose-dev.env turns it on and points crm and
    the gateway at it with its credentials; without that file they are configured from the host environment."""
    found = []
    services = compose.get("services") or {}
    sandbox = services.get("messaging-sandbox") or {}
    if sandbox.get("profiles") != ["dev"]:
        found.append("messaging-sandbox: not in the dev profile alone")
    command = argv(sandbox.get("command", []))
    if command[:3] != ["python", "-m", "deploy.sandboxes.messaging"] or "0.0.0.0" not in command:
        found.append(f"messaging-sandbox: command {command} does not serve deploy.sandboxes.messaging to the network")
    port = command[command.index("--port") + 1] if "--port" in command[:-1] else None
    expected = {**messaging.credentials(f"http://messaging-sandbox:{port}"), "COMPOSE_PROFILES": "dev"}
    if dev_env() != expected:
        found.append(f"compose-dev.env {dev_env()} is not the sandbox's credentials {expected}")
    for name, prefixes in (("crm", ("ALIYUN_SMS_", "WECHAT_MP_")), ("gateway", ("ALIYUN_SMS_", "WECHAT_OAUTH_")),
                           (CUSTOMER_GATEWAY, ("ALIYUN_SMS_", "WECHAT_OAUTH_"))):
        env = environment(services.get(name) or {})
        for variable in [v for v in messaging.credentials("") if v.startswith(prefixes)]:
            if not str(env.get(variable, "")).startswith(f"${{{variable}:-"):
                found.append(f"{name}: {variable} is not taken from the host environment (compose-dev.env)")
    return found


def deliverer_problems(services: dict) -> list[str]:
    """The webhook deliverer: its module, the keys its secrets are sealed with (as the gateway's and the
    migration's), its readiness asked on the probe port it is given, production's URL rules."""
    found: list[str] = []
    deliverer = services.get(DELIVERER) or {}
    if argv(deliverer.get("command", [])) != ["python", "-m", "gateway.partners.deliverer"]:
        found.append(f"{DELIVERER}: command {deliverer.get('command')!r} is not python -m gateway.partners.deliverer")
    env = environment(deliverer)
    if env.get("WEBHOOK_HEALTH_PORT") != DELIVERER_PROBE_PORT:
        found.append(f"{DELIVERER}: WEBHOOK_HEALTH_PORT {env.get('WEBHOOK_HEALTH_PORT')!r} is not "
                     f"{DELIVERER_PROBE_PORT}")
    health = " ".join(argv((deliverer.get("healthcheck") or {}).get("test", [])))
    if "urllib" not in health or f"127.0.0.1:{env.get('WEBHOOK_HEALTH_PORT')}/readyz" not in health:
        found.append(f"{DELIVERER}: healthcheck {health!r} does not GET its WEBHOOK_HEALTH_PORT's /readyz")
    if env.get("APP_ENV") != "production" or "WEBHOOK_ALLOW_PRIVATE" in env:
        found.append(f"{DELIVERER}: not production (webhooks to private addresses must stay refused)")
    keys = {name: environment(services.get(name) or {}).get("WEBHOOK_SECRET_KEYS")
            for name in ("gateway", "migrate", DELIVERER)}
    if len(set(keys.values())) != 1 or not str(keys["gateway"]).startswith("${WEBHOOK_SECRET_KEYS:?"):
        found.append(f"WEBHOOK_SECRET_KEYS not the host's one required value for all of {sorted(keys)}: {keys}")
    return found


def customer_gateway_problems(services: dict) -> list[str]:
    """The customer channel's own gateway: the gateway's code under its own gunicorn config (the channel's routes, its
    own budget), listening where the front sends `/c/v1` and `/m`, with the gateway's token and webhook keys, its
    database and production's rules; the staff gateway serving the staff side alone."""
    found: list[str] = []
    channel = services.get(CUSTOMER_GATEWAY)
    if channel is None:
        return [f"no {CUSTOMER_GATEWAY} service: the customer channel would take the staff gateway's threads"]
    expected = ["gunicorn", "-c", "deploy/gunicorn_customer.conf.py", "gateway.wsgi:app"]
    if argv(channel.get("command", [])) != expected:
        found.append(f"{CUSTOMER_GATEWAY}: command {channel.get('command')!r} is not {' '.join(expected)}")
    env = environment(channel)
    gateway_env = environment(services.get("gateway") or {})
    for key in ("APP_ENV", "JWT_SECRET", "JWT_ACCEPTED_SECRETS", "WEBHOOK_SECRET_KEYS", "GATEWAY_DATABASE_URL",
                "TRUSTED_PROXIES", "RPC_TIMEOUT"):
        if env.get(key) != gateway_env.get(key):
            found.append(f"{CUSTOMER_GATEWAY}: {key} {env.get(key)!r} is not the gateway's {gateway_env.get(key)!r}")
    for key in ("GATEWAY_PORT", "CUSTOMER_GATEWAY_PORT"):
        if key in env:
            found.append(f"{CUSTOMER_GATEWAY}: {key} passed in; it must listen on {GATEWAY_APP_PORT}, where the front "
                         "sends the channel")
    if env.get("GATEWAY_SERVES", "customer") != "customer":
        found.append(f"{CUSTOMER_GATEWAY}: GATEWAY_SERVES {env['GATEWAY_SERVES']!r}")
    for key in ("CUSTOMER_GATEWAY_WORKERS", "CUSTOMER_GATEWAY_THREADS"):
        if not value_or_default(env.get(key)):
            found.append(f"{CUSTOMER_GATEWAY}: {key} not set (its own budget)")
    if gateway_env.get("GATEWAY_SERVES") != "staff":
        found.append(f"gateway: GATEWAY_SERVES {gateway_env.get('GATEWAY_SERVES')!r} is not staff (the customer "
                     f"channel would also run on the staff gateway's threads)")
    health = " ".join(argv((channel.get("healthcheck") or {}).get("test", [])))
    if "urllib" not in health or f"127.0.0.1:{GATEWAY_APP_PORT}/healthz" not in health:
        found.append(f"{CUSTOMER_GATEWAY}: healthcheck {health!r} does not GET :{GATEWAY_APP_PORT}/healthz")
    return found


def provider_settings() -> set[str]:
    """What finance's outside systems read (services/common/config.py: WeChat Pay, Alipay, 诺诺, the health record),
    less the tunables with defaults (timeouts, poll and retry periods)."""
    text = (ROOT / "services" / "common" / "config.py").read_text()
    names = set(re.findall(r'"((?:WECHATPAY|ALIPAY|NUONUO|HEALTH_RECORD)_[A-Z0-9_]+)"', text))
    return {name for name in names if not name.endswith(("_TIMEOUT", "_SECONDS"))}


def provider_problems(services: dict) -> list[str]:
    """finance is given every provider setting (from the host environment, or a file path), and the key files'
    folder read-only where the *_FILE settings point."""
    finance = services.get("finance") or {}
    env = environment(finance)
    found = [f"finance: {name} is not set (services/common/config.py reads it)"
             for name in sorted(provider_settings() - set(env))]
    mounts = {}  # target: read-only, from `host:target[:mode]` (the host part may hold `${VAR:-default}`)
    for volume in map(str, finance.get("volumes") or []):
        read_only = volume.endswith(":ro")
        mounts[volume.removesuffix(":ro").removesuffix(":rw").rsplit(":", 1)[-1]] = read_only
    for name in sorted(n for n in env if n in provider_settings() and n.endswith("_FILE")):
        folder = next((target for target in mounts if str(env[name]).startswith(target + "/")), None)
        if folder is None or not mounts[folder]:
            found.append(f"finance: {name} ({env[name]}) is not in a folder mounted read-only")
    return found


def stream_problems(services: dict) -> list[str]:
    """The live stream: its gunicorn, every setting its code reads, the gateway's token keys (a console's token is
    checked here too) and production's refusal to start without them, its /healthz asked on its STREAM_PORT."""
    found: list[str] = []
    stream = services.get(STREAM) or {}
    expected = ["gunicorn", "-c", "deploy/gunicorn_stream.conf.py", "gateway.stream.asgi:app"]
    if argv(stream.get("command", [])) != expected:
        found.append(f"{STREAM}: command {stream.get('command')!r} is not {' '.join(expected)}")
    env = environment(stream)
    for var in sorted((stream_settings_read() | STREAM_AUTH_ENV) - set(env)):
        found.append(f"{STREAM}: {var} is not set (the stream reads it)")
    if env.get("APP_ENV") != "production":
        found.append(f"{STREAM}: not APP_ENV=production (it would make a JWT key of its own without JWT_SECRET)")
    gateway_env = environment(services.get("gateway") or {})
    for key in ("JWT_SECRET", "JWT_ACCEPTED_SECRETS"):
        if env.get(key) != gateway_env.get(key):
            found.append(f"{STREAM}: {key} {env.get(key)!r} is not the gateway's {gateway_env.get(key)!r}")
    if "WEBHOOK_SECRET_KEYS" in env:
        found.append(f"{STREAM}: given WEBHOOK_SECRET_KEYS, which it never uses (gateway/stream/asgi.py)")
    health = " ".join(argv((stream.get("healthcheck") or {}).get("test", [])))
    if "urllib" not in health or f"127.0.0.1:{env.get('STREAM_PORT')}/healthz" not in health:
        found.append(f"{STREAM}: healthcheck {health!r} does not GET its STREAM_PORT's /healthz")
    per_worker = int(value_or_default(env.get("STREAM_MAX_PER_WORKER")) or 0)
    nofile = (stream.get("ulimits") or {}).get("nofile", 0)
    nofile = nofile.get("soft", 0) if isinstance(nofile, dict) else nofile
    if int(nofile) <= per_worker + 100:
        found.append(f"{STREAM}: ulimits nofile {nofile} does not cover STREAM_MAX_PER_WORKER ({per_worker}) streams")
    return found


def value_or_default(value) -> str | None:
    """A compose value as the process gets it when the host sets nothing: `${NAME:-default}` gives the default."""
    default = re.match(r"^\$\{\w+:-(?P<default>[^}]*)\}$", str(value)) if value is not None else None
    return default["default"] if default else None if value is None else str(value)


def nginx_locations(conf: str) -> dict[str, dict[str, list[str]]]:
    """`location [=] PATH { … }` blocks of an nginx config: {"= /path" or "/path": {directive: [its arguments]}},
    `set` variables substituted, and "" for the directives outside them (events, http, server)."""
    conf = re.sub(r"#[^\n]*", "", conf)
    blocks = {}
    for modifier, path, body in re.findall(r"location\s+(=\s+)?(\S+)\s*\{([^{}]*)\}", conf):
        blocks[("= " if modifier else "") + path] = body
    blocks[""] = re.sub(r"location\s+[^{]*\{[^{}]*\}", "", conf)
    parsed: dict[str, dict[str, list[str]]] = {}
    for name, body in blocks.items():
        directives: dict[str, list[str]] = {}
        for statement in re.split(r"[;{}]", body):
            words = shlex.split(statement)
            if words:
                directives.setdefault(words[0], []).append(" ".join(words[1:]))
        variables = dict(value.split(" ", 1) for value in directives.get("set", []))
        for key, values in directives.items():
            if key != "set":
                for variable, value in variables.items():
                    values = [v.replace(variable, value) for v in values]
                directives[key] = values
        parsed[name] = directives
    return parsed


def seconds(value: str) -> float:
    number = re.match(r"^(\d+)(ms|s|m|h)?$", value or "")
    if not number:
        return 0
    return int(number[1]) * {"ms": 0.001, None: 1, "s": 1, "m": 60, "h": 3600}[number[2]]


def front_problems(services: dict, conf: str) -> list[str]:
    """The front: nginx on the one published port, sending the stream's path to the stream's STREAM_PORT unbuffered,
    with a read timeout above its heartbeat, everything else to the gateway's gunicorn, and the client's address in
    an X-Forwarded-For the client cannot write into, which the gateway believes from it (TRUSTED_PROXIES)."""
    found: list[str] = []
    front = services.get(FRONT)
    if front is None:
        return [f"no {FRONT} service: the console, the API and the stream need one origin"]
    if not str(front.get("image", "")).startswith("nginx:"):
        found.append(f"{FRONT}: image {front.get('image')!r} is not nginx")
    if front.get("ports") != [PUBLISHED]:
        found.append(f"{FRONT}: ports {front.get('ports')} != [{PUBLISHED!r}]")
    mounts = [str(volume) for volume in front.get("volumes") or []]
    if "./deploy/nginx/front.conf:/etc/nginx/nginx.conf:ro" not in mounts:
        found.append(f"{FRONT}: deploy/nginx/front.conf is not mounted as /etc/nginx/nginx.conf ({mounts})")
    locations = nginx_locations(conf)
    stream_env = environment(services.get(STREAM) or {})
    heartbeat = float(value_or_default(stream_env.get("STREAM_HEARTBEAT_SECONDS")) or 0)
    for path in (STREAM_PATH, CUSTOMER_STREAM_PATH):
        routed = locations.get(f"= {path}", {})
        if routed.get("proxy_pass") != [f"http://{STREAM}:{stream_env.get('STREAM_PORT')}"]:
            found.append(f"{FRONT}: {path} goes to {routed.get('proxy_pass')}, not the {STREAM} service's "
                         f"STREAM_PORT {stream_env.get('STREAM_PORT')}")
        if routed.get("proxy_buffering") != ["off"]:
            found.append(f"{FRONT}: {path} is buffered (each event must be written at once)")
        timeout = seconds((routed.get("proxy_read_timeout") or ["60s"])[-1])
        if not heartbeat or timeout <= 2 * heartbeat:
            found.append(f"{FRONT}: {path} read timeout {timeout:g} s is not well above the stream's heartbeat")
    rest = locations.get("/", {})
    if rest.get("proxy_pass") != [f"http://gateway:{GATEWAY_APP_PORT}"]:
        found.append(f"{FRONT}: / goes to {rest.get('proxy_pass')}, not the gateway's {GATEWAY_APP_PORT}")
    for location in CHANNEL_LOCATIONS:
        if locations.get(location, {}).get("proxy_pass") != [f"http://{CUSTOMER_GATEWAY}:{GATEWAY_APP_PORT}"]:
            found.append(f"{FRONT}: {location} goes to {locations.get(location, {}).get('proxy_pass')}, not the "
                         f"{CUSTOMER_GATEWAY} service's {GATEWAY_APP_PORT}")
    if ((front.get("depends_on") or {}).get(CUSTOMER_GATEWAY) or {}).get("condition") != "service_started":
        found.append(f"{FRONT}: does not start after {CUSTOMER_GATEWAY}")
    server = locations.get("", {})
    if "X-Forwarded-For $remote_addr" not in server.get("proxy_set_header", []):
        found.append(f"{FRONT}: X-Forwarded-For is not set to the client's address alone ($remote_addr)")
    if "127.0.0.11" not in " ".join(server.get("resolver", [])):
        found.append(f"{FRONT}: no resolver asking Docker's DNS (a recreated container would not be found)")
    if not environment(services.get("gateway") or {}).get("TRUSTED_PROXIES"):
        found.append("gateway: no TRUSTED_PROXIES: behind the front every client would have the front's address")
    health = " ".join(argv((front.get("healthcheck") or {}).get("test", [])))
    if "127.0.0.1:8080/" not in health:
        found.append(f"{FRONT}: healthcheck {health!r} does not ask its own port")
    return found


PASSWORD_DEFAULT = re.compile(r"\$\{(\w*PASSWORD\w*):-[^}]")
STOP_TIMEOUT_DEFAULT = 50  # services.common.config.stop_timeout()


def hardening_problems(compose: dict) -> list[str]:
    """What production needs of every container: no default password (compose refuses to start without
    one), logs rotated, CPU and memory limits, and for our processes a stop grace period longer than
    STOP_TIMEOUT (graceful stop, then nameko's kill, then exit)."""
    found = [f"a default password for {name}" for name in PASSWORD_DEFAULT.findall(COMPOSE_FILE.read_text())]
    for name, svc in (compose.get("services") or {}).items():
        options = (svc.get("logging") or {}).get("options") or {}
        if not (options.get("max-size") and options.get("max-file")):
            found.append(f"{name}: its log is not rotated (logging max-size and max-file)")
        limits = ((svc.get("deploy") or {}).get("resources") or {}).get("limits") or {}
        if name != "migrate" and not (limits.get("cpus") and limits.get("memory")):
            found.append(f"{name}: no CPU and memory limits")
        grace = str(svc.get("stop_grace_period", "10s"))
        seconds = int(grace[:-1]) * (60 if grace.endswith("m") else 1) if grace[:-1].isdigit() else 0
        if name in APP_PROCESSES and seconds <= STOP_TIMEOUT_DEFAULT:
            found.append(f"{name}: stop_grace_period {grace} is not longer than STOP_TIMEOUT "
                         f"({STOP_TIMEOUT_DEFAULT} s)")
    return found


# -- the tests ------------------------------------------------------------------------------

def test_compose_file_matches_the_code(compose):
    assert problems(compose) == []


@pytest.mark.parametrize("change, phrase", [
    (lambda c: c["services"]["crm"].pop("stop_grace_period"), "crm: stop_grace_period"),
    (lambda c: c["services"]["postgres"].pop("logging"), "postgres: its log is not rotated"),
    (lambda c: c["services"]["gateway"].pop("deploy"), "gateway: no CPU and memory limits"),
])
def test_unhardened_compose_is_caught(compose, change, phrase):
    broken = copy.deepcopy(compose)
    change(broken)
    assert any(phrase in problem for problem in hardening_problems(broken))


def test_no_default_passwords_in_compose():
    assert not PASSWORD_DEFAULT.findall(COMPOSE_FILE.read_text())
    assert PASSWORD_DEFAULT.findall('RABBITMQ_DEFAULT_PASS: "${RABBITMQ_PASSWORD:-autoservice}"')


def test_init_sql_creates_one_database_per_owner():
    assert init_sql_databases() == set(OWNERS)


def test_code_reads_the_variables_compose_relies_on():
    names = env_names_read_by_code()
    expected = {"AMQP_URI", "MAX_WORKERS", "PREFETCH_COUNT", "LOG_LEVEL", "JWT_SECRET", "ADMIN_PASSWORD",
                "APP_ENV", "GATEWAY_WORKERS", "GATEWAY_THREADS", "RPC_TIMEOUT", "GATEWAY_PORT",
                "CRM_DATABASE_URL", "GATEWAY_DATABASE_URL", "TRUSTED_PROXIES"}
    assert expected <= names, sorted(expected - names)
    assert {"STREAM_PORT", "STREAM_WORKERS", "STREAM_MAX_PER_WORKER", "STREAM_HEARTBEAT_SECONDS",
            "STREAM_CLIENT_BUFFER", "STREAM_HISTORY"} <= stream_settings_read(), sorted(stream_settings_read())


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
                   "services/common/healthcheck.py", "deploy/gunicorn.conf.py", "deploy/gunicorn_stream.conf.py"):
        assert (ROOT / module).is_file(), module
    asgi = (ROOT / "gateway" / "stream" / "asgi.py").read_text()
    assert re.search(r"^app\s*=", asgi, re.MULTILINE), "gateway/stream/asgi.py defines no module-level `app`"
    stream_app = (ROOT / "gateway" / "stream" / "app.py").read_text()
    assert re.search(r"""add_route\(\s*["']/healthz["']""", stream_app), "the stream answers no /healthz"
    assert 'if __name__ == "__main__"' in (ROOT / "services/common/healthcheck.py").read_text()
    # gateway.wsgi:app is read, not imported (importing builds the app and connects to its database).
    wsgi = (ROOT / "gateway" / "wsgi.py").read_text()
    assert re.search(r"^app\s*=", wsgi, re.MULTILINE), "gateway/wsgi.py defines no module-level `app`"
    gunicorn_conf = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    assert re.search(r"""GATEWAY_PORT['"]\s*,\s*['"]{GATEWAY_APP_PORT}['"]""".format(GATEWAY_APP_PORT=GATEWAY_APP_PORT),
                     gunicorn_conf), "gunicorn no longer listens on 8080 by default, where the front sends the API"


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
    "a service as the superuser": _set(["services", "crm", "environment", "CRM_DATABASE_URL"],
                                       "postgresql+psycopg2://autoservice:${POSTGRES_PASSWORD:?x}@postgres:5432/crm"),
    "another owner's role": _set(["services", "sales", "environment", "SALES_DATABASE_URL"],
                                 "postgresql+psycopg2://crm:${CRM_DB_PASSWORD:?x}@postgres:5432/sales"),
    "a password written in": _set(["services", "migrate", "environment", "FINANCE_DATABASE_URL"],
                                  "postgresql+psycopg2://finance:secret@postgres:5432/finance"),
    "an owner's password not given to postgres": _delete(["services", "postgres", "environment",
                                                          "GATEWAY_DB_PASSWORD"]),
    "sandbox outside the dev profile": _delete(["services", "messaging-sandbox", "profiles"]),
    "sandbox on another port": _set(["services", "messaging-sandbox", "command"],
                                    "python -m deploy.sandboxes.messaging --host 0.0.0.0 --port 9999"),
    "crm's SMS endpoint fixed": _set(["services", "crm", "environment", "ALIYUN_SMS_ENDPOINT"],
                                     "https://dysmsapi.aliyuncs.com"),
    "other dockerfile": _set(["services", "sales", "build"], {"context": ".", "dockerfile": "Dockerfile"}),
    "no deliverer": _delete(["services", "webhooks"]),
    "deliverer runs another module": _set(["services", "webhooks", "command"], "python -m gateway.partners.webhooks"),
    "deliverer on another database": _set(["services", "webhooks", "environment", "GATEWAY_DATABASE_URL"],
                                          "postgresql+psycopg2://u:p@postgres:5432/crm"),
    "deliverer probe on another port": _set(["services", "webhooks", "environment", "WEBHOOK_HEALTH_PORT"], "9000"),
    "deliverer without readiness": _set(["services", "webhooks", "healthcheck", "test"], ["CMD", "true"]),
    "deliverer allows private addresses": _set(["services", "webhooks", "environment", "WEBHOOK_ALLOW_PRIVATE"], "1"),
    "deliverer with its own keys": _set(["services", "webhooks", "environment", "WEBHOOK_SECRET_KEYS"], "k"),
    "migration without the keys": _delete(["services", "migrate", "environment", "WEBHOOK_SECRET_KEYS"]),
    "no stream": _delete(["services", "stream"]),
    "stream runs the gateway's config": _set(["services", "stream", "command"],
                                             "gunicorn -c deploy/gunicorn.conf.py gateway.stream.asgi:app"),
    "stream without its heartbeat": _delete(["services", "stream", "environment", "STREAM_HEARTBEAT_SECONDS"]),
    "stream without its history": _delete(["services", "stream", "environment", "STREAM_HISTORY"]),
    "stream with a JWT key of its own": _set(["services", "stream", "environment", "JWT_SECRET"], "${STREAM_JWT:?x}"),
    "stream without the accepted keys": _delete(["services", "stream", "environment", "JWT_ACCEPTED_SECRETS"]),
    "stream not production": _delete(["services", "stream", "environment", "APP_ENV"]),
    "stream on another database": _set(["services", "stream", "environment", "GATEWAY_DATABASE_URL"],
                                       "postgresql+psycopg2://crm:${CRM_DB_PASSWORD:?x}@postgres:5432/crm"),
    "stream on another port than the front's": _set(["services", "stream", "environment", "STREAM_PORT"], "9000"),
    "stream without its healthcheck": _set(["services", "stream", "healthcheck", "test"], ["CMD", "true"]),
    "stream given the webhook keys": _set(["services", "stream", "environment", "WEBHOOK_SECRET_KEYS"],
                                          "${WEBHOOK_SECRET_KEYS:?x}"),
    "stream limited to 1024 files": _delete(["services", "stream", "ulimits"]),
    "stream publishes a port": _set(["services", "stream", "ports"], ["8090:8090"]),
    "no front": _delete(["services", "front"]),
    "front on another port": _set(["services", "front", "ports"], ["8081:8080"]),
    "front without its config": _set(["services", "front", "volumes"], []),
    "front without limits": _delete(["services", "front", "deploy"]),
    "gateway published beside the front": _set(["services", "gateway", "ports"], ["${GATEWAY_PORT:-8080}:8080"]),
    "gateway trusts no proxy": _delete(["services", "gateway", "environment", "TRUSTED_PROXIES"]),
    "no customer gateway": _delete(["services", "customer-gateway"]),
    "customer gateway runs the staff config": _set(["services", "customer-gateway", "command"],
                                                   "gunicorn -c deploy/gunicorn.conf.py gateway.wsgi:app"),
    "customer gateway with a JWT key of its own": _set(["services", "customer-gateway", "environment", "JWT_SECRET"],
                                                       "${CUSTOMER_JWT_SECRET:?x}"),
    "customer gateway without the webhook keys": _delete(["services", "customer-gateway", "environment",
                                                          "WEBHOOK_SECRET_KEYS"]),
    "customer gateway on another database": _set(["services", "customer-gateway", "environment",
                                                  "GATEWAY_DATABASE_URL"],
                                                 "postgresql+psycopg2://crm:${CRM_DB_PASSWORD:?x}@postgres:5432/crm"),
    "customer gateway on another port": _set(["services", "customer-gateway", "environment",
                                              "CUSTOMER_GATEWAY_PORT"], "9000"),
    "customer gateway serving staff": _set(["services", "customer-gateway", "environment", "GATEWAY_SERVES"],
                                           "staff"),
    "customer gateway without its budget": _delete(["services", "customer-gateway", "environment",
                                                    "CUSTOMER_GATEWAY_THREADS"]),
    "customer gateway publishes a port": _set(["services", "customer-gateway", "ports"], ["8083:8080"]),
    "customer gateway without a healthcheck": _set(["services", "customer-gateway", "healthcheck", "test"],
                                                   ["CMD", "true"]),
    "customer gateway without limits": _delete(["services", "customer-gateway", "deploy"]),
    "customer gateway's codes not texted": _delete(["services", "customer-gateway", "environment",
                                                    "ALIYUN_SMS_ACCESS_KEY_ID"]),
    "staff gateway serves the channel too": _delete(["services", "gateway", "environment", "GATEWAY_SERVES"]),
    "front starts before the customer gateway": _delete(["services", "front", "depends_on", "customer-gateway"]),
    "finance without 诺诺's key": _delete(["services", "finance", "environment", "NUONUO_APP_KEY"]),
    "payment keys mounted writable": _set(["services", "finance", "volumes"],
                                          ["./deploy/provider-keys:/run/provider-keys"]),
    "payment keys not mounted": _delete(["services", "finance", "volumes"]),
}

FRONT_CONF_MUTATIONS = {
    # name: (old, new) in deploy/nginx/front.conf
    "no stream route": ("location = /v1/stream", "location = /v1/streams"),
    "no car owners' stream route": ("location = /c/v1/stream", "location = /c/v1/streams"),
    "stream sent to the gateway": ("set $stream stream:8090;", "set $stream gateway:8080;"),
    "stream on another port": ("set $stream stream:8090;", "set $stream stream:8091;"),
    "stream buffered": ("proxy_buffering off;", "proxy_buffering on;"),
    "stream cut after a minute": ("proxy_read_timeout 3600s;", "proxy_read_timeout 30s;"),
    "the rest to the stream": ("set $gateway gateway:8080;", "set $gateway stream:8090;"),
    "client address appended": ("X-Forwarded-For $remote_addr", "X-Forwarded-For $proxy_add_x_forwarded_for"),
    "names resolved once": ("resolver 127.0.0.11", "#"),
    "channel sent to the staff gateway": ("set $customer customer-gateway:8080;", "set $customer gateway:8080;"),
    "channel on another port": ("set $customer customer-gateway:8080;", "set $customer customer-gateway:8081;"),
    "phone app left to the staff gateway": ("location /m/ {", "location /mobile/ {"),
    "channel API's root left to the staff gateway": ("location = /c/v1 {", "location = /c/v2 {"),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_broken_compose_file_is_caught(mutation):
    assert _mutated(MUTATIONS[mutation]), f"{mutation!r} went unnoticed"


@pytest.mark.parametrize("mutation", sorted(FRONT_CONF_MUTATIONS))
def test_a_broken_front_is_caught(compose, mutation):
    old, new = FRONT_CONF_MUTATIONS[mutation]
    conf = FRONT_CONF.read_text()
    assert old in conf
    assert front_problems(compose["services"], conf.replace(old, new)), f"{mutation!r} went unnoticed"


def test_the_stream_starts_on_what_compose_gives_it(tmp_path):
    """Its app builds (its settings read) with compose's environment alone, the required values filled in, and
    generates nothing into DATA_DIR (no JWT key of its own, no webhook key)."""
    env = {name: value_or_default(value) or "" for name, value in
           environment(load_compose()["services"][STREAM]).items()}
    env.update(JWT_SECRET="j" * 48, GATEWAY_DATABASE_URL=f"sqlite:///{tmp_path / 'gateway.db'}",
               AMQP_URI="amqp://u:p@127.0.0.1:1/", PATH="/usr/bin:/bin", DATA_DIR=str(tmp_path / "data"))
    built = subprocess.run([sys.executable, "-c", "import gateway.stream.asgi"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


def test_the_stream_reads_what_compose_gives_it():
    """Each setting of the stream in compose is one its own code reads, or one the gateway's token check needs."""
    given = set(environment(load_compose()["services"][STREAM]))
    assert given - STREAM_AUTH_ENV == stream_settings_read(), sorted(given ^ stream_settings_read())


def test_init_sql_gives_each_owner_its_own_role_and_passwords_sh_sets_each():
    assert init_sql_owner_problems(INIT_SQL.read_text()) == []
    [listed] = re.findall(r"^for owner in ([\w ]+); do$", PASSWORDS_SH.read_text(), re.MULTILINE)
    assert listed.split() == list(OWNERS)


@pytest.mark.parametrize("change, phrase", [
    (lambda sql: sql.replace("CREATE DATABASE sales OWNER sales", "CREATE DATABASE sales"), "sales is not owned"),
    (lambda sql: sql.replace("REVOKE ALL ON DATABASE finance FROM PUBLIC;", ""), "connect to database finance"),
    (lambda sql: sql.replace("CREATE ROLE crm LOGIN NOSUPERUSER", "CREATE ROLE crm LOGIN SUPERUSER"), "role crm"),
])
def test_an_owner_left_open_in_init_sql_is_caught(change, phrase):
    assert any(phrase in problem for problem in init_sql_owner_problems(change(INIT_SQL.read_text())))


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
