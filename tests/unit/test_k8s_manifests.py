"""deploy/k8s checked against the code and docker-compose.yml, so the three cannot drift.

No cluster is needed: each overlay is rendered with `kubectl kustomize` (skipped only when kubectl
is absent), every built-in object is validated offline against the Kubernetes schema with the
`kubernetes-validate` package, and the two CRD kinds (KEDA's ScaledObject, TriggerAuthentication)
are checked by hand. Then every name in the manifests is looked up in the code: the services of
services.common.config.SERVICES and their commands, the environment variables the code reads,
the queues nameko really declares, the healthcheck module, the gateway's routes, the migrate CLI's
owners, gunicorn's drain, deploy/postgres/init.sql; and compared with docker-compose.yml. The
`problems` checks are plain functions of the rendered data, and each is shown to fail on a
mutated copy (the MUTATIONS at the end).
"""
from __future__ import annotations

import base64
import copy
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gateway.media import MAX_UPLOAD_BYTES
from gateway.stream.document import CUSTOMER_PATH as CUSTOMER_STREAM_PATH
from gateway.stream.document import PATH as STREAM_PATH
from services.common import config
from services.common.migrate import OWNERS
from services.common.retries import dead_letter_queue, delay_queue

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("production", "trial")
COMPOSE_FILE = ROOT / "docker-compose.yml"
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"
TRIAL_INIT_SQL = K8S / "overlays" / "trial" / "postgres-init.sql"
PASSWORDS_SH = ROOT / "deploy" / "postgres" / "passwords.sh"
TRIAL_SECRETS_SCRIPT = K8S / "overlays" / "trial" / "create-secrets.sh"
WAIT_FOR_SCHEMA = "deploy/k8s/wait_for_schema.py"
KUBECTL = shutil.which("kubectl")

# Oldest cluster version the manifests support, and the newest schema kubernetes-validate ships.
KUBE_VERSIONS = ("1.29", "1.37")
CRD_KINDS = {"ScaledObject", "TriggerAuthentication", "RabbitmqCluster"}
DELIVERER = "webhooks"  # the webhook deliverer (gateway/partners/deliverer.py), on the gateway's database
STREAM = "stream"  # the live stream (gateway/stream), on the gateway's identity database
CUSTOMER_GATEWAY = "customer-gateway"  # the customer channel's own gateway (deploy/gunicorn_customer.conf.py)
APP_PROCESSES = (*config.SERVICES, "gateway", CUSTOMER_GATEWAY, DELIVERER, STREAM)
DATABASE_OF = {DELIVERER: "gateway", STREAM: "gateway", CUSTOMER_GATEWAY: "gateway"}
CHANNEL_ROUTES = ("/c/v1", "/c/v1/vehicles", "/m", "/m/index.html")
"""Paths of the customer channel (gateway/app.py CHANNEL_PREFIX, gateway/mobile.py PREFIX) the Ingress must send to
the channel's own gateway."""
PLATFORM_SETTINGS = {"TRUSTED_PROXIES", "PUBLIC_ORIGIN"}
"""Set on both but to different values by nature: the proxies in front are in Docker's networks under compose,
in the cluster's pod network here; the address customers reach is the deployment's own."""

# Measured on the dev machine (deploy/k8s/README.md, "Resources"): VmRSS of an idle service
# process (the largest, crm, also after 1,500 RPCs), of one `services.common.healthcheck` probe
# process, of a gateway pod (master + 2 workers), of one owner's migration and of the
# wait-for-schema initContainer, in MB. Requests must cover them.
SERVICE_RSS_MB = 77
PROBE_RSS_MB = 39
GATEWAY_POD_RSS_MB = 217
PHOTO_REENCODE_MB = 136  # a gateway worker above idle while re-encoding a 12 MP photo (tests/bench/photo_upload.py)
DELIVERER_RSS_MB = 67  # flat under 2,000 posts a second (tests/bench/webhooks.py)
STREAM_POD_RSS_MB = 114  # gunicorn master 29 + one idle ASGI worker 85; 27 KB more per open stream
CUSTOMER_GATEWAY_POD_RSS_MB = 144  # the gateway's master 71 + one worker 73 (CUSTOMER_GATEWAY_WORKERS=1)
MIGRATE_RSS_MB = 61
WAIT_FOR_SCHEMA_RSS_MB = 58

# The longest handler each service can have in flight when SIGTERM arrives (README "Graceful
# shutdown"): crm's campaign tick (240 webhook sends), elsewhere one transaction per worker.
LONGEST_HANDLER_SECONDS = dict.fromkeys(config.SERVICES, 60) | {"crm": 300}

ENV_READ = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|env_int|env_float)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]""")
DERIVED_DB_URL = re.compile(r"\{\s*\w+\.upper\(\)\s*\}_DATABASE_URL")
SECRET_LOOKING = re.compile(r"PASSWORD|SECRET|TOKEN|_URI$|_URL$")
CREDENTIALS_IN_URL = re.compile(r"""[a-z][a-z0-9+.-]*://[^\s/:@'"]+:(?P<password>[^\s@'"/]+)@""")
COMPOSE_DEFAULT = re.compile(r"^\$\{(?P<name>\w+):-(?P<default>[^}]*)\}$")
DB_URL = re.compile(r"^postgresql\+psycopg2://[^@/]+@(?P<host>[\w.-]+):(?P<port>\d+)/(?P<db>\w+)$")


# -- rendering and facts from the code ------------------------------------------------------

def render(overlay: str) -> list[dict]:
    result = subprocess.run([KUBECTL, "kustomize", str(K8S / "overlays" / overlay)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    if KUBECTL is None:
        pytest.skip("kubectl is not installed: `kubectl kustomize` renders the overlays")
    return {overlay: render(overlay) for overlay in OVERLAYS}


def declared_queues() -> dict[str, dict[str, list[str]]]:
    """The queues nameko itself declares for each service: {service: {"rpc": [...], "events": [...]}}.

    In a subprocess: importing the runner monkey-patches the interpreter with eventlet. The
    entrypoints' `setup` only computes the queue (no broker connection)."""
    probe = (
        "import json, sys\n"
        "from services.common import runner\n"
        "from nameko.containers import ServiceContainer\n"
        "from nameko.events import EventHandler\n"
        "from nameko.rpc import RpcConsumer\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    container = ServiceContainer(runner.service_class(name), config={'AMQP_URI': 'memory://'})\n"
        "    queues = {'rpc': set(), 'events': set()}\n"
        "    for ext in container.entrypoints:\n"
        "        if isinstance(ext, EventHandler):\n"
        "            ext.setup(); queues['events'].add(ext.queue.name)\n"
        "    for ext in container.subextensions:\n"
        "        if isinstance(ext, RpcConsumer):\n"
        "            ext.setup(); queues['rpc'].add(ext.queue.name)\n"
        "    out[name] = {kind: sorted(names) for kind, names in queues.items()}\n"
        "print(json.dumps(out))\n")
    result = subprocess.run([sys.executable, "-c", probe, *config.SERVICES], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def queues() -> dict[str, dict[str, list[str]]]:
    return declared_queues()


def env_names_read_by_code() -> set[str]:
    names: set[str] = set()
    derived = False
    for folder in ("services", "gateway", "deploy"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            names.update(a or b for a, b in ENV_READ.findall(text))
            derived = derived or bool(DERIVED_DB_URL.search(text))
    if derived:  # config.database_url(owner) reads f"{owner.upper()}_DATABASE_URL"
        names.update(f"{owner.upper()}_DATABASE_URL" for owner in OWNERS)
    return names


def created_databases(sql: str) -> set[str]:
    sql = re.sub(r"--[^\n]*", "", sql)
    return {name.lower() for name in re.findall(r'CREATE\s+DATABASE\s+"?(\w+)"?', sql, re.IGNORECASE)}


def compose_services() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def compose_argv(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def healthcheck_deadline() -> int:
    """Seconds after which `python -m services.common.healthcheck` exits at the latest."""
    text = (ROOT / "services" / "common" / "healthcheck.py").read_text()
    timeout = int(re.search(r"^TIMEOUT\s*=\s*(\d+)", text, re.MULTILINE)[1])
    extra = re.search(r"signal\.alarm\(\s*TIMEOUT\s*\+\s*(\d+)\s*\)", text)
    return timeout + (int(extra[1]) if extra else 0)


def gunicorn_graceful_timeout(conf: str = "gunicorn.conf.py") -> int:
    text = (ROOT / "deploy" / conf).read_text()
    return int(re.search(r"^graceful_timeout\s*=\s*(\d+)", text, re.MULTILINE)[1])


def gateway_routes() -> set[str]:
    text = "\n".join(path.read_text() for path in (ROOT / "gateway").rglob("*.py"))
    return set(re.findall(r"""add_route\(\s*["'](/[^"']*)["']""", text)) | \
        set(re.findall(r"""\(\s*["'](/[^"']*)["']\s*,\s*\w+\(""", text))


def trial_secrets() -> list[dict]:
    """The Secrets create-secrets.sh makes for the trial (printed, no cluster), decoded."""
    if KUBECTL is None:
        pytest.skip("kubectl is not installed: create-secrets.sh renders with kubectl --dry-run=client")
    result = subprocess.run(["bash", str(TRIAL_SECRETS_SCRIPT), "--print"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    secrets = []
    for doc in yaml.safe_load_all(result.stdout):
        if doc:
            doc["stringData"] = {k: base64.b64decode(v).decode() for k, v in (doc.get("data") or {}).items()}
            secrets.append(doc)
    return secrets


# -- helpers on rendered objects --------------------------------------------------------------

def objects(docs: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc.get("kind") == kind}


def pod_spec(workload: dict) -> dict:
    return ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}


def containers(workload: dict, init: bool = False) -> list[dict]:
    spec = pod_spec(workload)
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or []) if init \
        else list(spec.get("containers") or [])


def main_container(workload: dict) -> dict:
    """The container named after its Deployment (else the first)."""
    found = containers(workload)
    name = workload["metadata"]["name"]
    return next((c for c in found if c.get("name") == name), found[0] if found else {})


def command(container: dict) -> list[str]:
    return [str(part) for part in (container.get("command") or []) + (container.get("args") or [])]


def env_names(container: dict, docs: list[dict]) -> tuple[set[str], list[str]]:
    """Names a container's environment gets (envFrom ConfigMaps resolved), and problems doing so."""
    found: list[str] = []
    names = {item["name"] for item in container.get("env") or []}
    maps = objects(docs, "ConfigMap")
    for source in container.get("envFrom") or []:
        if "configMapRef" in source:
            ref = source["configMapRef"]["name"]
            if ref not in maps:
                found.append(f"{container.get('name')}: envFrom ConfigMap {ref} does not exist")
            else:
                names |= set((maps[ref].get("data") or {}))
        else:
            found.append(f"{container.get('name')}: envFrom {source} imports names no test can see")
    return names, found


def env_values(container: dict, docs: list[dict]) -> dict[str, str]:
    """Literal values: `value:` entries and keys of envFrom ConfigMaps."""
    values: dict[str, str] = {}
    maps = objects(docs, "ConfigMap")
    for source in container.get("envFrom") or []:
        ref = (source.get("configMapRef") or {}).get("name")
        values.update((maps.get(ref) or {}).get("data") or {})
    for item in container.get("env") or []:
        if "value" in item:
            values[item["name"]] = str(item["value"])
    return values


def quantity(value) -> float:
    """A Kubernetes quantity as a number (bytes, or cores for CPU)."""
    text = str(value)
    units = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "k": 1e3, "M": 1e6, "G": 1e9, "m": 1e-3}
    for unit, factor in units.items():
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def nginx_size(value) -> float:
    """An nginx size (`client_max_body_size`, ingress-nginx's `proxy-body-size`) in bytes; 0 is no limit."""
    text = str(value).lower()
    factor = {"k": 2 ** 10, "m": 2 ** 20, "g": 2 ** 30}.get(text[-1:], 1)
    number = float(text[:-1] if text[-1:] in "kmg" else text)
    return float("inf") if number == 0 else number * factor


def selects(selector: dict, labels: dict) -> bool:
    wanted = (selector or {}).get("matchLabels") or {}
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def template_labels(workload: dict) -> dict:
    return ((workload.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}


def secret_ref(container: dict, name: str) -> dict:
    """The secretKeyRef a container's variable `name` is taken from ({} when none)."""
    item = next((i for i in container.get("env") or [] if i["name"] == name), {})
    return (item.get("valueFrom") or {}).get("secretKeyRef") or {}


def probe_argv(probe: dict | None) -> list[str]:
    return [str(part) for part in ((probe or {}).get("exec") or {}).get("command") or []]


# -- the checks -------------------------------------------------------------------------------

def schema_errors(docs: list[dict]) -> list[str]:
    """Every built-in object against the Kubernetes schema (strict: unknown fields are errors)."""
    import kubernetes_validate
    found = []
    for doc in docs:
        if doc.get("kind") in CRD_KINDS:
            continue
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                path = "/".join(str(p) for p in exc.path)
                found.append(f"{doc.get('kind')}/{doc['metadata'].get('name')} ({version}): {path}: {exc.message}")
            except kubernetes_validate.SchemaNotFoundError as exc:
                found.append(f"{doc.get('kind')}/{doc['metadata'].get('name')}: {exc.message}")
    return found


def secret_problems(docs: list[dict]) -> list[str]:
    """Secrets: none in the repository, no literal credentials anywhere in the render."""
    found: list[str] = []
    raw = yaml.safe_dump_all(docs)
    for doc in docs:
        if doc.get("kind") == "Secret" and (doc.get("data") or doc.get("stringData")):
            found.append(f"Secret {doc['metadata']['name']} has literal data in the repository")
    for match in CREDENTIALS_IN_URL.finditer(raw):
        found.append(f"a URL with a literal password: {match[0][:20]}...")
    for doc in objects(docs, "ConfigMap").values():
        for key in doc.get("data") or {}:
            if SECRET_LOOKING.search(key) and doc["metadata"]["name"] != "postgres-init":
                found.append(f"ConfigMap {doc['metadata']['name']}: {key} belongs in a Secret")
    return found


def layout_problems(docs: list[dict]) -> list[str]:
    """One namespace, one image for our containers, one Deployment per service and the gateway."""
    found: list[str] = []
    deployments = objects(docs, "Deployment")
    jobs = objects(docs, "Job")
    spaces = {doc["metadata"].get("namespace") for doc in docs if doc.get("kind") != "Namespace"}
    if len(spaces) != 1 or None in spaces:
        found.append(f"objects are spread over namespaces {sorted(map(str, spaces))}")

    # One image for all our containers (deploy/Dockerfile builds one).
    cronjobs = [{"spec": c["spec"]["jobTemplate"]["spec"]} for c in objects(docs, "CronJob").values()]
    ours = [c for w in [*deployments.values(), *jobs.values(), *cronjobs] for c in containers(w, init=True)]
    if len({c.get("image") for c in ours}) != 1:
        found.append(f"our containers use several images: {sorted({str(c.get('image')) for c in ours})}")

    # Deployments: one per service and the gateway, nothing else.
    if set(deployments) != set(APP_PROCESSES):
        found.append(f"Deployments {sorted(deployments)} != {sorted(APP_PROCESSES)}")
    return found


def deployment_problems(docs: list[dict]) -> list[str]:
    """Every Deployment: environment, command as compose, ordering, resources."""
    found: list[str] = []
    compose = compose_services()
    known_env = env_names_read_by_code()
    deployments = objects(docs, "Deployment")
    for name, deployment in deployments.items():
        spec = pod_spec(deployment)
        owner = DATABASE_OF.get(name, name)
        main = main_container(deployment)
        if not selects(deployment["spec"].get("selector"), template_labels(deployment)):
            found.append(f"{name}: selector does not match its pod labels")
        # Environment: names the code reads, only its own database, secrets by reference.
        for container in containers(deployment, init=True):
            names, env_problems = env_names(container, docs)
            found += [f"{name}: {p}" for p in env_problems]
            for var in sorted(names - known_env):
                found.append(f"{name}/{container.get('name')}: sets {var}, which no code reads")
            urls = {var for var in names if var.endswith("_DATABASE_URL")}
            if owner in OWNERS and urls != {f"{owner.upper()}_DATABASE_URL"}:
                found.append(f"{name}/{container.get('name')}: database URLs {sorted(urls)}, "
                             f"expected only {owner.upper()}_DATABASE_URL")
            for var in env_values(container, docs):
                if SECRET_LOOKING.search(var):
                    found.append(f"{name}/{container.get('name')}: {var} is a literal, not a secretKeyRef")
            for item in container.get("env") or []:
                ref = (item.get("valueFrom") or {}).get("secretKeyRef")
                if SECRET_LOOKING.search(item["name"]) and not ref and "value" not in item:
                    found.append(f"{name}/{container.get('name')}: {item['name']} is not from a Secret")
            resources = container.get("resources") or {}
            for part in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in (resources.get(part) or {}):
                        found.append(f"{name}/{container.get('name')}: no {resource} {part}")
            try:
                for resource in ("cpu", "memory"):
                    if quantity(resources["requests"][resource]) > quantity(resources["limits"][resource]):
                        found.append(f"{name}/{container.get('name')}: {resource} request above its limit")
            except (KeyError, TypeError):
                pass
        names, _ = env_names(main, docs)
        if "AMQP_URI" not in names:
            found.append(f"{name}: no AMQP_URI")
        # As docker-compose.yml: every variable compose gives the process, with its default.
        compose_env = (compose.get(name) or {}).get("environment") or {}
        for var in sorted(set(compose_env) - names):
            found.append(f"{name}: compose sets {var}, the Deployment does not")
        for var, value in env_values(main, docs).items():
            default = COMPOSE_DEFAULT.match(str(compose_env.get(var, "")))
            expected = default["default"] if default else compose_env.get(var)
            if var in compose_env and expected is not None and str(expected) != value and var not in PLATFORM_SETTINGS:
                found.append(f"{name}: {var}={value!r}, docker-compose.yml has {expected!r}")
        compose_command = compose_argv((compose.get(name) or {}).get("command") or [])
        if command(main) != compose_command:
            found.append(f"{name}: command {command(main)} != docker-compose.yml's {compose_command}")
        # Ordering: replicas never migrate; they wait for their owner's Job.
        for container in containers(deployment, init=True):
            if "services.common.migrate" in command(container):
                found.append(f"{name}/{container.get('name')}: a replica runs the migration")
        waits = [command(c) for c in spec.get("initContainers") or []]
        if not any(argv[:3] == ["python", WAIT_FOR_SCHEMA, owner] for argv in waits):
            found.append(f"{name}: no initContainer `python {WAIT_FOR_SCHEMA} {owner}` before it starts")
        if deployment["spec"].get("replicas") is not None:
            found.append(f"{name}: sets replicas, which its autoscaler owns (every apply would reset it)")
        # Resources from the measured figures.
        requested = quantity(((main.get("resources") or {}).get("requests") or {}).get("memory", 0)) / 2 ** 20
        needed = SERVICE_RSS_MB + PROBE_RSS_MB if name in config.SERVICES else \
            DELIVERER_RSS_MB if name == DELIVERER else STREAM_POD_RSS_MB if name == STREAM else \
            CUSTOMER_GATEWAY_POD_RSS_MB if name == CUSTOMER_GATEWAY else GATEWAY_POD_RSS_MB
        if requested < needed:
            found.append(f"{name}: memory request {requested:.0f} MiB below the measured {needed} MB")
        for container in spec.get("initContainers") or []:
            requested = quantity(((container.get("resources") or {}).get("requests") or {}).get("memory", 0))
            if requested / 2 ** 20 < WAIT_FOR_SCHEMA_RSS_MB:
                found.append(f"{name}/{container.get('name')}: memory request below the measured "
                             f"{WAIT_FOR_SCHEMA_RSS_MB} MB")
    return found


def service_problems(docs: list[dict]) -> list[str]:
    """Services: runner command, healthcheck probes, grace period."""
    found: list[str] = []
    compose = compose_services()
    deployments = objects(docs, "Deployment")
    deadline = healthcheck_deadline()
    for name in config.SERVICES:
        deployment = deployments.get(name)
        if deployment is None:
            continue
        main = main_container(deployment)
        if command(main) != ["python", "-m", "services.common.runner", name]:
            found.append(f"{name}: command {command(main)} is not python -m services.common.runner {name}")
        compose_test = compose_argv(((compose.get(name) or {}).get("healthcheck") or {}).get("test") or [])
        compose_test = compose_test[1:] if compose_test[:1] == ["CMD"] else compose_test
        found += liveness_problems(name, main, docs)
        for kind in ("startupProbe", "readinessProbe"):
            probe = main.get(kind)
            argv = probe_argv(probe)
            if argv != ["python", "-m", "services.common.healthcheck", name]:
                found.append(f"{name}: {kind} {argv} is not python -m services.common.healthcheck {name}")
            elif argv != compose_test:
                found.append(f"{name}: {kind} differs from docker-compose.yml's healthcheck {compose_test}")
            if probe and int(probe.get("timeoutSeconds", 1)) <= deadline:
                found.append(f"{name}: {kind} timeout {probe.get('timeoutSeconds', 1)} s is not above the "
                             f"healthcheck's own {deadline} s deadline")
        grace = pod_spec(deployment).get("terminationGracePeriodSeconds", 30)
        if grace < LONGEST_HANDLER_SECONDS[name]:
            found.append(f"{name}: terminationGracePeriodSeconds {grace} < its longest handler "
                         f"({LONGEST_HANDLER_SECONDS[name]} s)")
    return found


def liveness_problems(name: str, main: dict, docs: list[dict]) -> list[str]:
    """A service's liveness asks the process only: METRICS_PORT's /healthz, never the broker or database
    (an outage of either would restart every pod at once)."""
    found: list[str] = []
    probe = main.get("livenessProbe") or {}
    if "exec" in probe:
        found.append(f"{name}: livenessProbe goes through the broker ({probe_argv(probe)}); "
                     "liveness checks the process")
    http = probe.get("httpGet") or {}
    ports = {p.get("name"): p.get("containerPort") for p in main.get("ports") or []}
    metrics_port = env_values(main, docs).get("METRICS_PORT")
    if http.get("path") != "/healthz" or str(ports.get(http.get("port"), http.get("port"))) != str(metrics_port):
        found.append(f"{name}: livenessProbe {http} is not /healthz on METRICS_PORT {metrics_port}")
    return found


PRIVATE_ROUTES = ("/metrics", "/readyz", "/healthz")
"""Gateway routes for the cluster only (Prometheus, the kubelet): never routed by an Ingress."""


def ingress_routes(path: dict, route: str) -> bool:
    """Whether an Ingress path sends `route` to its backend (Exact, or Prefix by path elements)."""
    at = path.get("path", "/")
    if path.get("pathType") == "Exact":
        return route == at
    return at == "/" or route == at.rstrip("/") or route.startswith(at.rstrip("/") + "/")


def gateway_problems(docs: list[dict]) -> list[str]:
    """Gateway: gunicorn as compose runs it, probes on real routes, drain within the grace period."""
    found: list[str] = []
    deployments = objects(docs, "Deployment")
    gateway = deployments.get("gateway")
    if gateway is not None:
        main = main_container(gateway)
        ports = {p.get("name"): p.get("containerPort") for p in main.get("ports") or []}
        if 8080 not in ports.values():
            found.append(f"gateway: container ports {ports} do not include gunicorn's 8080")
        routes = gateway_routes()
        for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            http = (main.get(kind) or {}).get("httpGet") or {}
            if http.get("path") != path:
                found.append(f"gateway: {kind} path {http.get('path')!r} is not {path}")
            if http.get("path") not in routes:
                found.append(f"gateway: {kind} path {http.get('path')!r} is no gateway route")
            if ports.get(http.get("port"), http.get("port")) != 8080:
                found.append(f"gateway: {kind} port {http.get('port')!r} is not the container's 8080")
        settings = env_values(main, docs)
        photos_at_once = int(settings.get("GATEWAY_WORKERS", 2)) * int(settings.get("REENCODE_SLOTS", 1))
        limit = quantity(((main.get("resources") or {}).get("limits") or {}).get("memory", 0)) / 2 ** 20
        if limit < GATEWAY_POD_RSS_MB + photos_at_once * PHOTO_REENCODE_MB:
            found.append(f"gateway: memory limit {limit:.0f} MiB below the pod's {GATEWAY_POD_RSS_MB} MB and "
                         f"{photos_at_once} photos re-encoded at once ({PHOTO_REENCODE_MB} MB each)")
        found += drain_problems("gateway", gateway, "gunicorn.conf.py")
        services = objects(docs, "Service")
        service = services.get("gateway") or {}
        if not selects({"matchLabels": (service.get("spec") or {}).get("selector")}, template_labels(gateway)):
            found.append("gateway: the Service does not select the gateway pods")
        for ingress in objects(docs, "Ingress").values():
            for rule in ingress["spec"].get("rules") or []:
                for path in (rule.get("http") or {}).get("paths") or []:
                    backend = path["backend"]["service"]
                    if backend["name"] not in services:
                        found.append(f"Ingress {ingress['metadata']['name']}: backend {backend['name']} is no Service")
        body = ((objects(docs, "Ingress").get("gateway") or {}).get("metadata", {}).get("annotations") or {}).get(
            "nginx.ingress.kubernetes.io/proxy-body-size", "1m")  # ingress-nginx's default
        if nginx_size(body) < MAX_UPLOAD_BYTES:
            found.append(f"gateway Ingress: proxy-body-size {body} refuses uploads the gateway takes "
                         f"(up to {MAX_UPLOAD_BYTES} bytes)")
        paths = [path for ingress in objects(docs, "Ingress").values() for rule in ingress["spec"].get("rules") or []
                 for path in (rule.get("http") or {}).get("paths") or []]
        for route in sorted(gateway_routes()):
            routed = any(ingress_routes(path, route.split("{")[0].rstrip("/") or "/") for path in paths)
            if route in PRIVATE_ROUTES and routed:
                found.append(f"Ingress routes {route} publicly")
            elif route not in PRIVATE_ROUTES and not routed:
                found.append(f"Ingress does not route the public {route}")
    return found


def drain_problems(name: str, deployment: dict, conf: str) -> list[str]:
    """gunicorn's drain (the preStop sleep, then its graceful_timeout) within the pod's grace period."""
    pre_stop = probe_argv((main_container(deployment).get("lifecycle") or {}).get("preStop"))
    sleep = int(pre_stop[1]) if pre_stop[:1] == ["sleep"] and len(pre_stop) == 2 else 0
    grace = pod_spec(deployment).get("terminationGracePeriodSeconds", 30)
    if grace < sleep + gunicorn_graceful_timeout(conf) + 5:
        return [f"{name}: terminationGracePeriodSeconds {grace} does not cover preStop {sleep} s + "
                f"gunicorn graceful_timeout {gunicorn_graceful_timeout(conf)} s"]
    return []


def ingress_paths(docs: list[dict]) -> list[tuple[dict, str | None, dict]]:
    """Every Ingress path: (its Ingress, the rule's host, the path)."""
    return [(ingress, rule.get("host"), path) for ingress in objects(docs, "Ingress").values()
            for rule in ingress["spec"].get("rules") or [] for path in (rule.get("http") or {}).get("paths") or []]


def winning_path(paths: list[tuple[dict, str | None, dict]], route: str) -> tuple[dict, str | None, dict] | None:
    """The Ingress path that serves `route` (per host as ingress-nginx merges them): an Exact match, else the
    longest Prefix."""
    matching = [entry for entry in paths if ingress_routes(entry[2], route)]
    return max(matching, key=lambda e: (e[2].get("pathType") == "Exact", len(e[2].get("path", "/"))), default=None)


def stream_problems(docs: list[dict]) -> list[str]:
    """The live stream: its STREAM_PORT served and probed (readiness the bus, via /healthz; liveness the process
    alone, so that a broker outage restarts nothing), the gateway's token keys, the drain; its path routed to its
    Service, unbuffered with a long read timeout, on the gateway's host and certificate (one origin)."""
    found: list[str] = []
    stream = objects(docs, "Deployment").get(STREAM)
    if stream is None:
        return [f"no Deployment {STREAM}"]
    main = main_container(stream)
    values = env_values(main, docs)
    port = values.get("STREAM_PORT")
    ports = {p.get("name"): p.get("containerPort") for p in main.get("ports") or []}
    if str(port) not in map(str, ports.values()):
        found.append(f"{STREAM}: container ports {ports} do not include STREAM_PORT {port}")
    ready = (main.get("readinessProbe") or {}).get("httpGet") or {}
    if ready.get("path") != "/healthz" or str(ports.get(ready.get("port"), ready.get("port"))) != str(port):
        found.append(f"{STREAM}: readinessProbe {ready} is not /healthz on STREAM_PORT {port}")
    if not re.search(r"""add_route\(\s*["']/healthz["']""", (ROOT / "gateway" / "stream" / "app.py").read_text()):
        found.append(f"{STREAM}: /healthz is no route of gateway/stream/app.py")
    live = main.get("livenessProbe") or {}
    target = (live.get("tcpSocket") or live.get("httpGet") or {})
    if not live or (live.get("httpGet") or {}).get("path") == "/healthz" or \
            str(ports.get(target.get("port"), target.get("port"))) != str(port):
        found.append(f"{STREAM}: livenessProbe {live} does not ask the process alone on STREAM_PORT {port} "
                     "(/healthz is 503 without the bus: a broker outage would restart every pod)")
    compose = compose_services().get(STREAM) or {}
    compose_test = " ".join(compose_argv((compose.get("healthcheck") or {}).get("test") or []))
    if f"127.0.0.1:{port}/healthz" not in compose_test:
        found.append(f"{STREAM}: docker-compose.yml's healthcheck {compose_test!r} is not /healthz on {port}")
    if values.get("APP_ENV") != "production":
        found.append(f"{STREAM}: not APP_ENV=production (it would make a JWT key of its own without JWT_SECRET)")
    gateway = objects(docs, "Deployment").get("gateway")
    for key in ("JWT_SECRET", "JWT_ACCEPTED_SECRETS"):
        refs = [secret_ref(main_container(w), key) for w in (stream, gateway) if w is not None]
        if len(refs) != 2 or refs[0] != refs[1] or not refs[0]:
            found.append(f"{STREAM}: {key} is not the gateway's Secret key ({refs})")
    found += drain_problems(STREAM, stream, "gunicorn_stream.conf.py")
    service = objects(docs, "Service").get(STREAM) or {}
    if not selects({"matchLabels": (service.get("spec") or {}).get("selector")}, template_labels(stream)):
        found.append(f"{STREAM}: no Service {STREAM} selecting its pods")
    paths = ingress_paths(docs)
    for path in (STREAM_PATH, CUSTOMER_STREAM_PATH):
        found += stream_path_problems(paths, path, float(values.get("STREAM_HEARTBEAT_SECONDS", 15)))
    return found


def stream_path_problems(paths, path: str, heartbeat: float) -> list[str]:
    """A stream's path routed to the stream's Service, unbuffered, with a read timeout well above the heartbeat,
    on the API's host and certificate."""
    found: list[str] = []
    winner = winning_path(paths, path)
    if winner is None or winner[2]["backend"]["service"]["name"] != STREAM:
        return [f"Ingress: {path} goes to "
                f"{winner[2]['backend']['service']['name'] if winner else 'nothing'}, not the {STREAM} Service"]
    ingress, host, _ = winner
    notes = ingress["metadata"].get("annotations") or {}
    if notes.get("nginx.ingress.kubernetes.io/proxy-buffering") != "off":
        found.append(f"Ingress {ingress['metadata']['name']}: {path} would buffer (proxy-buffering not off)")
    if float(notes.get("nginx.ingress.kubernetes.io/proxy-read-timeout", 60)) <= 2 * heartbeat:
        found.append(f"Ingress {ingress['metadata']['name']}: proxy-read-timeout not well above the stream's "
                     f"heartbeat ({heartbeat:g} s)")
    api = winning_path(paths, "/v1")
    if api is not None and api[1] != host:
        found.append(f"Ingress: {path} on host {host}, the API on {api[1]}: the console's origin is one host")
    tls = {h for t in ingress["spec"].get("tls") or [] for h in t.get("hosts") or []}
    api_tls = {h for t in (api[0]["spec"].get("tls") or [] if api else []) for h in t.get("hosts") or []}
    if host in api_tls and host not in tls:
        found.append(f"Ingress {ingress['metadata']['name']}: no TLS for {host}, which the API has")
    return found


PROVIDER_PREFIXES = ("WECHATPAY_", "ALIPAY_", "NUONUO_", "HEALTH_RECORD_")


def provider_problems(docs: list[dict]) -> list[str]:
    """finance's outside systems (WeChat Pay, Alipay, 诺诺, the health record): every setting docker-compose.yml
    gives finance, each credential an optional key of a Secret, each key file (*_FILE) in a read-only mount of an
    optional Secret volume."""
    finance = objects(docs, "Deployment").get("finance")
    if finance is None:
        return ["no Deployment finance"]
    main = main_container(finance)
    found = []
    compose_env = compose_services()["finance"]["environment"]
    given = {item["name"]: item for item in main.get("env") or []}
    for name in sorted(n for n in compose_env if n.startswith(PROVIDER_PREFIXES) and not n.endswith("_FILE")):
        ref = (given.get(name, {}).get("valueFrom") or {}).get("secretKeyRef") or {}
        if name not in given or (ref and not ref.get("optional")):
            found.append(f"finance: {name} (docker-compose.yml gives it) is not an optional key of a Secret or a value")
    volumes = {volume["name"]: volume for volume in finance["spec"]["template"]["spec"].get("volumes") or []}
    mounts = {mount["mountPath"]: mount for mount in main.get("volumeMounts") or []}
    for name in sorted(n for n in compose_env if n.endswith("_FILE")):
        path = env_values(main, docs).get(name)
        mount = next((m for at, m in mounts.items() if path and path.startswith(at + "/")), None)
        secret = (volumes.get(mount["name"]) or {}).get("secret") if mount else None
        if not secret or not mount.get("readOnly") or not secret.get("optional"):
            found.append(f"finance: {name} ({path}) is not a file of a read-only, optional Secret volume")
        elif path[len(mount["mountPath"]) + 1:] not in {item["path"] for item in secret.get("items") or []}:
            found.append(f"finance: {name} ({path}) is no item of the Secret {secret.get('secretName')}")
    return found


def customer_gateway_problems(docs: list[dict]) -> list[str]:
    """The customer channel's own gateway: its gunicorn config, probed like the gateway on its 8080, the drain of the
    gateway's config (which its own runs), the gateway's token and webhook keys, a Service selecting its pods; the
    Ingress sending the channel's paths to that Service, on the API's host and certificate; the staff gateway set to
    serve the staff side alone."""
    found: list[str] = []
    deployments = objects(docs, "Deployment")
    channel = deployments.get(CUSTOMER_GATEWAY)
    if channel is None:
        return [f"no Deployment {CUSTOMER_GATEWAY}: the customer channel would take the staff gateway's threads"]
    main = main_container(channel)
    expected = ["gunicorn", "-c", "deploy/gunicorn_customer.conf.py", "gateway.wsgi:app"]
    if command(main) != expected:
        found.append(f"{CUSTOMER_GATEWAY}: command {command(main)} is not {' '.join(expected)}")
    ports = {p.get("name"): p.get("containerPort") for p in main.get("ports") or []}
    if 8080 not in ports.values():
        found.append(f"{CUSTOMER_GATEWAY}: container ports {ports} do not include its 8080")
    for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        http = (main.get(kind) or {}).get("httpGet") or {}
        if http.get("path") != path or ports.get(http.get("port"), http.get("port")) != 8080:
            found.append(f"{CUSTOMER_GATEWAY}: {kind} {http} is not {path} on 8080")
    found += drain_problems(CUSTOMER_GATEWAY, channel, "gunicorn.conf.py")  # its config runs the gateway's
    values = env_values(main, docs)
    if values.get("APP_ENV") != "production":
        found.append(f"{CUSTOMER_GATEWAY}: not APP_ENV=production")
    if values.get("GATEWAY_SERVES", "customer") != "customer" or "CUSTOMER_GATEWAY_PORT" in values:
        found.append(f"{CUSTOMER_GATEWAY}: GATEWAY_SERVES or CUSTOMER_GATEWAY_PORT set ({values})")
    gateway = deployments.get("gateway")
    if gateway is not None and env_values(main_container(gateway), docs).get("GATEWAY_SERVES") != "staff":
        found.append("gateway: GATEWAY_SERVES is not staff (the customer channel would also run on its threads)")
    for key in ("JWT_SECRET", "JWT_ACCEPTED_SECRETS", "WEBHOOK_SECRET_KEYS", "GATEWAY_DATABASE_URL"):
        refs = [secret_ref(main_container(w), key) for w in (channel, gateway) if w is not None]
        if len(refs) != 2 or refs[0] != refs[1] or not refs[0]:
            found.append(f"{CUSTOMER_GATEWAY}: {key} is not the gateway's Secret key ({refs})")
    service = objects(docs, "Service").get(CUSTOMER_GATEWAY) or {}
    if not selects({"matchLabels": (service.get("spec") or {}).get("selector")}, template_labels(channel)):
        found.append(f"{CUSTOMER_GATEWAY}: no Service {CUSTOMER_GATEWAY} selecting its pods")
    paths = ingress_paths(docs)
    api = winning_path(paths, "/v1")
    for route in CHANNEL_ROUTES:
        winner = winning_path(paths, route)
        backend = winner[2]["backend"]["service"]["name"] if winner else "nothing"
        if backend != CUSTOMER_GATEWAY:
            found.append(f"Ingress: {route} goes to {backend}, not the {CUSTOMER_GATEWAY} Service")
        elif api is not None and winner is not None and winner[1] != api[1]:
            found.append(f"Ingress: {route} on host {winner[1]}, the API on {api[1]}: the phone app's origin is one")
    for route in ("/v1", "/v1/customers", "/console", "/openapi.json", "/"):
        winner = winning_path(paths, route)
        if winner is not None and winner[2]["backend"]["service"]["name"] == CUSTOMER_GATEWAY:
            found.append(f"Ingress: {route} goes to {CUSTOMER_GATEWAY}, which serves the customer channel alone")
    return found


def deliverer_problems(docs: list[dict]) -> list[str]:
    """The webhook deliverer: liveness is the process (/healthz), readiness and startup the broker and the
    database (/readyz), all on the WEBHOOK_HEALTH_PORT it is given, which compose's healthcheck asks too; the
    gateway, the deliverer and the gateway's migration share one WEBHOOK_SECRET_KEYS."""
    found: list[str] = []
    deliverer = objects(docs, "Deployment").get(DELIVERER)
    if deliverer is None:
        return [f"no Deployment {DELIVERER}"]
    main = main_container(deliverer)
    port = env_values(main, docs).get("WEBHOOK_HEALTH_PORT")
    ports = {p.get("name"): p.get("containerPort") for p in main.get("ports") or []}
    for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/readyz")):
        http = (main.get(kind) or {}).get("httpGet") or {}
        if http.get("path") != path or str(ports.get(http.get("port"), http.get("port"))) != str(port):
            found.append(f"{DELIVERER}: {kind} {http} is not {path} on WEBHOOK_HEALTH_PORT {port}")
    compose_test = " ".join(compose_argv(((compose_services().get(DELIVERER) or {}).get("healthcheck") or {})
                                        .get("test") or []))
    if f"127.0.0.1:{port}/readyz" not in compose_test:
        found.append(f"{DELIVERER}: docker-compose.yml's healthcheck {compose_test!r} is not /readyz on {port}")
    if env_values(main, docs).get("APP_ENV") != "production":
        found.append(f"{DELIVERER}: not APP_ENV=production (private webhook addresses must stay refused)")
    refs = set()
    jobs = objects(docs, "Job")
    for workload in (deliverer, objects(docs, "Deployment").get("gateway"), jobs.get("migrate-gateway")):
        if workload is None:
            continue  # named by the layout and migration checks
        ref = secret_ref(main_container(workload), "WEBHOOK_SECRET_KEYS")
        refs.add((ref.get("name"), ref.get("key")))
    if len(refs) != 1 or None in next(iter(refs)):
        found.append(f"WEBHOOK_SECRET_KEYS is not one Secret's key for the deliverer, the gateway and its migration: "
                     f"{sorted(map(str, refs))}")
    return found


def migration_problems(docs: list[dict]) -> list[str]:
    """Migrations: one Job per owner, as compose's migrate job but for one owner."""
    found: list[str] = []
    compose = compose_services()
    known_env = env_names_read_by_code()
    jobs = objects(docs, "Job")
    migrate = compose_argv((compose.get("migrate") or {}).get("command") or [])
    by_owner = {}
    for name, job in jobs.items():
        argv = command(main_container(job))
        if argv[:len(migrate)] == migrate and len(argv) == len(migrate) + 1:
            by_owner.setdefault(argv[-1], []).append(name)
        else:
            found.append(f"Job {name}: command {argv} is not {' '.join(migrate)} <owner>")
            continue
        names, _ = env_names(main_container(job), docs)
        if {v for v in names if v.endswith("_DATABASE_URL")} != {f"{argv[-1].upper()}_DATABASE_URL"}:
            found.append(f"Job {name}: database URLs {sorted(names)} are not only {argv[-1].upper()}_DATABASE_URL")
        for var in sorted(names - known_env):
            found.append(f"Job {name}: sets {var}, which no code reads")
        for item in main_container(job).get("env") or []:
            if SECRET_LOOKING.search(item["name"]) and "value" in item:
                found.append(f"Job {name}: {item['name']} is a literal")
        if pod_spec(job).get("restartPolicy") not in ("Never", "OnFailure"):
            found.append(f"Job {name}: restartPolicy must be Never or OnFailure")
        resources = main_container(job).get("resources") or {}
        if not (resources.get("requests") and resources.get("limits")):
            found.append(f"Job {name}: no requests and limits")
        elif quantity(resources["requests"].get("memory", 0)) / 2 ** 20 < MIGRATE_RSS_MB:
            found.append(f"Job {name}: memory request below the measured {MIGRATE_RSS_MB} MB")
    if set(by_owner) != set(OWNERS) or any(len(v) != 1 for v in by_owner.values()):
        found.append(f"migration Jobs per owner {by_owner} != one for each of {sorted(OWNERS)}")
    return found


def retention_problems(docs: list[dict]) -> list[str]:
    """The gateway's retention CronJob: the retention CLI for the gateway, its own database only."""
    found: list[str] = []
    cronjob = objects(docs, "CronJob").get("prune-gateway")
    if cronjob is None:
        return ["no CronJob prune-gateway: the gateway's idempotency records would grow forever"]
    job = {"spec": cronjob["spec"]["jobTemplate"]["spec"], "metadata": cronjob["metadata"]}
    main = main_container(job)
    if command(main) != ["python", "-m", "services.common.retention", "gateway"]:
        found.append(f"CronJob prune-gateway: command {command(main)} is not the retention CLI for the gateway")
    names, _ = env_names(main, docs)
    if names != {"GATEWAY_DATABASE_URL"}:
        found.append(f"CronJob prune-gateway: environment {sorted(names)} is not GATEWAY_DATABASE_URL alone")
    if cronjob["spec"].get("concurrencyPolicy") != "Forbid":
        found.append("CronJob prune-gateway: runs may overlap (concurrencyPolicy is not Forbid)")
    return found


def scaling_problems(docs: list[dict], queues: dict) -> list[str]:
    """PDBs, the HPA and the ScaledObjects target Deployments that exist; every Deployment has a PDB
    and exactly one autoscaler; KEDA triggers name queues the code declares."""
    found: list[str] = []
    deployments = objects(docs, "Deployment")
    budgets = objects(docs, "PodDisruptionBudget")
    for name, budget in budgets.items():
        targets = [d for d, w in deployments.items() if selects(budget["spec"].get("selector"), template_labels(w))]
        if not targets:
            found.append(f"PodDisruptionBudget {name} selects no Deployment's pods")
        if "maxUnavailable" not in budget["spec"] and "minAvailable" not in budget["spec"]:
            found.append(f"PodDisruptionBudget {name} allows nothing")
    for name, deployment in deployments.items():
        if not any(selects(b["spec"].get("selector"), template_labels(deployment)) for b in budgets.values()):
            found.append(f"{name}: no PodDisruptionBudget")
    scaled: dict[str, list[str]] = {}
    for name, hpa in objects(docs, "HorizontalPodAutoscaler").items():
        ref = hpa["spec"]["scaleTargetRef"]
        if ref.get("kind") != "Deployment" or ref.get("name") not in deployments:
            found.append(f"HorizontalPodAutoscaler {name} targets {ref}, no Deployment")
        scaled.setdefault(ref.get("name"), []).append(f"HPA {name}")
        if not any(m.get("type") == "Resource" and m["resource"]["name"] == "cpu"
                   for m in hpa["spec"].get("metrics", [])):
            found.append(f"HorizontalPodAutoscaler {name} does not scale on CPU")
    if "gateway" not in {ref for ref, by in scaled.items() if any(b.startswith("HPA") for b in by)}:
        found.append("gateway: no CPU HorizontalPodAutoscaler")

    auths = {doc["metadata"]["name"]: doc for doc in docs if doc.get("kind") == "TriggerAuthentication"}
    for name, auth in auths.items():
        if auth.get("apiVersion") != "keda.sh/v1alpha1":
            found.append(f"TriggerAuthentication {name}: apiVersion {auth.get('apiVersion')}")
        params = {ref.get("parameter") for ref in (auth.get("spec") or {}).get("secretTargetRef") or []}
        if "host" not in params:
            found.append(f"TriggerAuthentication {name}: gives the rabbitmq scaler no host")
    all_queues = {q for facts in queues.values() for kind in ("rpc", "events") for q in facts[kind]}
    max_workers = int((objects(docs, "ConfigMap").get(
        next((n for n in objects(docs, "ConfigMap") if n.startswith("autoservice-service-settings")), ""), {})
        .get("data") or {}).get("MAX_WORKERS", 10))
    for doc in docs:
        if doc.get("kind") != "ScaledObject":
            continue
        name = doc["metadata"]["name"]
        spec = doc.get("spec") or {}
        if doc.get("apiVersion") != "keda.sh/v1alpha1":
            found.append(f"ScaledObject {name}: apiVersion {doc.get('apiVersion')} is not keda.sh/v1alpha1")
        ref = spec.get("scaleTargetRef") or {}
        target = ref.get("name")
        if ref.get("kind", "Deployment") != "Deployment" or target not in deployments:
            found.append(f"ScaledObject {name}: scaleTargetRef {ref} is no Deployment")
            continue
        scaled.setdefault(target, []).append(f"ScaledObject {name}")
        low, high = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100)
        if not 1 <= low <= high:
            found.append(f"ScaledObject {name}: replicas {low}..{high} (never to zero: RPC callers wait 3 s)")
        facts = queues.get(target)
        if facts is None:
            found.append(f"ScaledObject {name}: {target} is not a service with queues")
            continue
        rpc_seen = events_seen = False
        for trigger in spec.get("triggers") or []:
            meta = trigger.get("metadata") or {}
            if trigger.get("type") != "rabbitmq":
                found.append(f"ScaledObject {name}: trigger type {trigger.get('type')} is not rabbitmq")
                continue
            if (trigger.get("authenticationRef") or {}).get("name") not in auths:
                found.append(f"ScaledObject {name}: authenticationRef {trigger.get('authenticationRef')} "
                             "is no TriggerAuthentication")
            if meta.get("mode") != "QueueLength":
                found.append(f"ScaledObject {name}: trigger mode {meta.get('mode')} is not QueueLength")
            try:
                value = float(meta.get("value"))
            except (TypeError, ValueError):
                value = 0
            if value <= 0:
                found.append(f"ScaledObject {name}: trigger value {meta.get('value')!r} is no positive number")
            queue = str(meta.get("queueName", ""))
            if str(meta.get("useRegex", "false")).lower() == "true":
                if meta.get("protocol") != "http":
                    found.append(f"ScaledObject {name}: useRegex needs protocol http")
                try:
                    pattern = re.compile(queue)
                except re.error:
                    found.append(f"ScaledObject {name}: queueName {queue!r} is no regex")
                    continue
                matched = {q for q in all_queues if pattern.search(q)}
                missed = set(facts["events"]) - matched
                foreign = matched - set(facts["events"])
                if missed:
                    found.append(f"ScaledObject {name}: event regex {queue!r} misses {sorted(missed)}")
                if foreign:
                    found.append(f"ScaledObject {name}: event regex {queue!r} also counts {sorted(foreign)}")
                parked = [dead_letter_queue(target).name] + [delay_queue(q, 1000).name for q in facts["events"]]
                if any(pattern.search(q) for q in parked):
                    found.append(f"ScaledObject {name}: event regex {queue!r} counts retry/dead-letter queues")
                events_seen = True
            else:
                if queue not in all_queues:
                    found.append(f"ScaledObject {name}: queue {queue!r} is declared by no service")
                elif queue in facts["rpc"]:
                    rpc_seen = True
                    if value > max_workers:
                        found.append(f"ScaledObject {name}: RPC target {value:g} above MAX_WORKERS={max_workers}: "
                                     "replicas saturate before scaling")
                elif queue not in facts["events"]:
                    found.append(f"ScaledObject {name}: queue {queue!r} belongs to another service")
                else:
                    events_seen = True
        if not rpc_seen:
            found.append(f"ScaledObject {name}: no trigger on its RPC queue {facts['rpc']}")
        if facts["events"] and not events_seen:
            found.append(f"ScaledObject {name}: no trigger on its event queues")
    for name in deployments:
        if len(scaled.get(name, [])) != 1:
            found.append(f"{name}: autoscaled by {scaled.get(name, [])}, expected exactly one autoscaler")
    for name in config.SERVICES:
        if not any(by.startswith("ScaledObject") for by in scaled.get(name, [])):
            found.append(f"{name}: no KEDA ScaledObject")
    return found


def problems(docs: list[dict], overlay: str, queues: dict, secrets: list[dict] | None = None) -> list[str]:
    """Every way a rendered overlay disagrees with the code or docker-compose.yml; empty when right."""
    found = secret_problems(docs) + layout_problems(docs) + deployment_problems(docs) + service_problems(docs) \
        + gateway_problems(docs) + customer_gateway_problems(docs) + deliverer_problems(docs) + stream_problems(docs) \
        + migration_problems(docs) + provider_problems(docs) \
        + scaling_problems(docs, queues) + retention_problems(docs)

    # Every Secret the pods need (not optional) is named in README's commands.
    readme = (K8S / "README.md").read_text() if (K8S / "README.md").exists() else ""
    for ref in sorted(required_secret_refs(docs)):
        if overlay == "production" and not secret_documented(readme, *ref):
            found.append(f"Secret {ref[0]} (key {ref[1]}) has no `kubectl create secret generic` in README")

    # Where RabbitMQ and PostgreSQL are: production's broker a three-node RabbitmqCluster and its databases
    # external, StatefulSets in the trial.
    statefulsets = objects(docs, "StatefulSet")
    if overlay == "production" and statefulsets:
        found.append(f"production runs StatefulSets {sorted(statefulsets)}; its databases are external")
    if overlay == "production":
        found += broker_problems(docs)
    if overlay == "trial":
        found += trial_problems(docs, secrets or [])
    return found


def broker_problems(docs: list[dict]) -> list[str]:
    """Production's RabbitMQ: one RabbitmqCluster (the cluster operator's) of an odd number of nodes, at least
    three (a quorum queue keeps serving while a majority of its nodes is up), one per machine, a partitioned
    minority pausing rather than diverging."""
    clusters = objects(docs, "RabbitmqCluster")
    if len(clusters) != 1:
        return [f"production: {len(clusters)} RabbitmqClusters, not one three-node broker"]
    [(name, cluster)] = clusters.items()
    spec, found = cluster.get("spec") or {}, []
    if cluster.get("apiVersion") != "rabbitmq.com/v1beta1":
        found.append(f"RabbitmqCluster {name}: apiVersion {cluster.get('apiVersion')} is not rabbitmq.com/v1beta1")
    replicas = spec.get("replicas", 1)
    if replicas < 3 or replicas % 2 == 0:
        found.append(f"RabbitmqCluster {name}: {replicas} nodes; quorum queues need an odd number, at least 3")
    if "cluster_partition_handling = pause_minority" not in (spec.get("rabbitmq") or {}).get("additionalConfig", ""):
        found.append(f"RabbitmqCluster {name}: a partitioned minority does not pause")
    required = (((spec.get("affinity") or {}).get("podAntiAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or [])
    if not any(term.get("topologyKey") == "kubernetes.io/hostname" for term in required):
        found.append(f"RabbitmqCluster {name}: two broker nodes may share a machine (no required anti-affinity)")
    return found


def secret_documented(readme: str, name: str, key: str) -> bool:
    """README creates the Secret with that key: literally, or in its loop over the owners."""
    owner = name.rsplit("-", 1)[-1]
    looped = owner in OWNERS and f"for owner in {' '.join(OWNERS)}" in readme
    for spelled in {name} | ({name[: -len(owner)] + "$owner"} if looped else set()):
        at = readme.find(f"create secret generic {spelled}")
        if at >= 0 and f"--from-literal={key}=" in readme[at:].split("\n\n", 1)[0]:
            return True
    return False


def required_secret_refs(docs: list[dict]) -> set[tuple[str, str]]:
    refs = set()
    for doc in docs:
        if doc.get("kind") == "CronJob":
            doc = {"spec": doc["spec"]["jobTemplate"]["spec"], "kind": "Job"}
        if doc.get("kind") in ("Deployment", "Job", "StatefulSet"):
            for container in containers(doc, init=True):
                for item in container.get("env") or []:
                    ref = (item.get("valueFrom") or {}).get("secretKeyRef")
                    if ref and not ref.get("optional"):
                        refs.add((ref["name"], ref["key"]))
        if doc.get("kind") == "TriggerAuthentication":
            for ref in (doc.get("spec") or {}).get("secretTargetRef") or []:
                refs.add((ref["name"], ref["key"]))
    return refs


def trial_problems(docs: list[dict], secrets: list[dict]) -> list[str]:
    found: list[str] = []
    statefulsets = objects(docs, "StatefulSet")
    services = objects(docs, "Service")
    for name in ("postgres", "rabbitmq"):
        if name not in statefulsets:
            found.append(f"trial: no {name} StatefulSet")
        elif not selects({"matchLabels": (services.get(name, {}).get("spec") or {}).get("selector")},
                         template_labels(statefulsets[name])):
            found.append(f"trial: no Service {name} selecting the {name} StatefulSet")
    init_maps = [m for n, m in objects(docs, "ConfigMap").items() if n.startswith("postgres-init")]
    databases = created_databases("\n".join(sql for m in init_maps for sql in (m.get("data") or {}).values()))
    if databases != set(OWNERS) or databases != created_databases(INIT_SQL.read_text()):
        found.append(f"trial: postgres init creates {sorted(databases)}, not one database per owner "
                     f"{sorted(OWNERS)} as deploy/postgres/init.sql")
    scripts = [m.get("data", {}).get("passwords.sh") for m in init_maps]
    if PASSWORDS_SH.read_text() not in scripts:
        found.append("trial: the postgres init does not set the owners' passwords as deploy/postgres/passwords.sh")
    postgres = statefulsets.get("postgres")
    if postgres:
        given = {item["name"]: (item.get("valueFrom") or {}).get("secretKeyRef") for c in containers(postgres)
                 for item in c.get("env") or []}
        for owner in OWNERS:
            if not given.get(f"{owner.upper()}_DB_PASSWORD"):
                found.append(f"trial: postgres is not given {owner.upper()}_DB_PASSWORD from a Secret")
        mounts = {m["name"]: m["mountPath"] for c in containers(postgres) for m in c.get("volumeMounts") or []}
        volumes = {v["name"]: (v.get("configMap") or {}).get("name") for v in pod_spec(postgres).get("volumes") or []}
        if not any(mounts.get(v) == "/docker-entrypoint-initdb.d" and str(cm).startswith("postgres-init")
                   for v, cm in volumes.items()):
            found.append("trial: the postgres init ConfigMap is not mounted at /docker-entrypoint-initdb.d")
    # The Secrets create-secrets.sh makes: every reference resolves, and the URLs point at the
    # StatefulSets' Services, each owner at its own database.
    made = {(s["metadata"]["name"], key): value for s in secrets for key, value in s["stringData"].items()}
    for ref in sorted(required_secret_refs(docs)):
        if ref not in made:
            found.append(f"trial: create-secrets.sh makes no Secret {ref[0]} with key {ref[1]}")
    for owner in OWNERS:
        url = made.get((f"autoservice-db-{owner}", "url"), "")
        match = DB_URL.match(url)
        if not match or match["host"] not in services or match["db"] != owner:
            found.append(f"trial: autoservice-db-{owner} url {CREDENTIALS_IN_URL.sub('…@', url)!r} is not "
                         f"postgres:5432/{owner}")
        user = re.match(r"^[a-z0-9+]+://([^:@/]+):([^@/]+)@", url)
        password = made.get(("autoservice-postgres", f"{owner.upper()}_DB_PASSWORD"))
        if not user or user[1] != owner or user[2] != password:
            found.append(f"trial: autoservice-db-{owner} does not connect as role {owner} with the password "
                         f"postgres sets for it")
    amqp = re.match(r"^amqp://[^@/]+@([\w.-]+):5672/", made.get(("autoservice-rabbitmq", "AMQP_URI"), ""))
    if not amqp or amqp[1] not in services:
        found.append("trial: AMQP_URI does not point at the rabbitmq Service")
    keda = re.match(r"^http://[^@/]+@([\w-]+)[\w.-]*:15672/", made.get(("autoservice-keda-rabbitmq", "host"), ""))
    if not keda or keda[1] not in services:
        found.append("trial: the KEDA host is not the rabbitmq Service's management port")
    s3 = re.match(r"^http://([\w-]+):9000$", made.get(("autoservice-s3", "endpoint"), ""))
    if not s3 or s3[1] not in services or "minio" not in statefulsets:
        found.append("trial: the attachments' S3 endpoint is not the minio Service")
    return found


# -- the tests ------------------------------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_against_the_kubernetes_schema(rendered, overlay):
    assert schema_errors(rendered[overlay]) == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_match_the_code_and_compose(rendered, queues, overlay):
    secrets = trial_secrets() if overlay == "trial" else None
    assert problems(rendered[overlay], overlay, queues, secrets) == []


def test_every_service_declares_its_rpc_queue(queues):
    assert set(queues) == set(config.SERVICES)
    for name, facts in queues.items():
        assert facts["rpc"] == [f"rpc-{name}"], facts
        assert all(q.startswith("evt-") and f"--{name}." in q for q in facts["events"]), facts


def test_trial_init_sql_is_deploy_postgres_init_sql():
    assert created_databases(TRIAL_INIT_SQL.read_text()) == created_databases(INIT_SQL.read_text()) == set(OWNERS)
    assert INIT_SQL.read_text() in TRIAL_INIT_SQL.read_text()
    assert (K8S / "overlays" / "trial" / "postgres-passwords.sh").read_text() == PASSWORDS_SH.read_text()


def test_wait_for_schema_is_in_the_image_and_waits_for_the_migration(tmp_path):
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.search(r"^COPY\s+deploy/?\s+deploy/?\s*$", dockerfile, re.MULTILINE), "deploy/ not in the image"
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path)}  # SQLite under tmp_path

    def wait(owner):
        return subprocess.run([sys.executable, str(ROOT / WAIT_FOR_SCHEMA), owner, "--timeout", "0"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    before = wait("crm")
    assert before.returncode == 1, before.stdout + before.stderr
    assert "not migrated yet" in before.stdout
    migrated = subprocess.run([sys.executable, "-m", "services.common.migrate", "crm"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    after = wait("crm")
    assert after.returncode == 0, after.stdout + after.stderr


def test_no_credentials_in_the_k8s_sources():
    """Docs and scripts under deploy/k8s only show placeholders (<password>, $VARIABLE)."""
    for path in K8S.rglob("*"):
        if path.is_file() and path.suffix in (".md", ".sh", ".yaml", ".yml", ".sql", ".py"):
            for match in CREDENTIALS_IN_URL.finditer(path.read_text()):
                assert match["password"][0] in "<$", f"{path.relative_to(ROOT)}: literal credentials {match[0]}"


def test_readme_documents_the_measured_figures_and_thresholds():
    readme = (K8S / "README.md").read_text()
    for figure in (SERVICE_RSS_MB, PROBE_RSS_MB, GATEWAY_POD_RSS_MB, STREAM_POD_RSS_MB, MIGRATE_RSS_MB):
        assert f"{figure} MB" in readme, f"{figure} MB not in deploy/k8s/README.md"
    for words in ("create secret generic", "ScaledObject", "threshold", "wait_for_schema.py"):
        assert words in readme, words


# -- the checks themselves must catch breakage ----------------------------------------------

def _find(docs, kind, name):
    return next(d for d in docs if d.get("kind") == kind and d["metadata"]["name"] == name)


def _main(docs, name):
    return main_container(_find(docs, "Deployment", name))


def _env(container, var):
    return next(item for item in container["env"] if item["name"] == var)


def _settings(docs):
    return next(d for d in docs if d.get("kind") == "ConfigMap"
                and d["metadata"]["name"].startswith("autoservice-service-settings"))


def _trigger(docs, name, which):
    return next(t for t in _find(docs, "ScaledObject", name)["spec"]["triggers"] if t["name"] == which)


def _literal(item, value):
    item.pop("valueFrom", None)
    item["value"] = value


def _drop(docs, kind, name):
    docs[:] = [d for d in docs if not (d.get("kind") == kind and d["metadata"]["name"] == name)]


MUTATIONS = {
    # name: (change(docs), a phrase of the expected problem)
    "no deliverer": (lambda d: _drop(d, "Deployment", "webhooks"), "no Deployment webhooks"),
    "deliverer on another database": (lambda d: _env(_main(d, "webhooks"), "GATEWAY_DATABASE_URL").update(
        name="CRM_DATABASE_URL"), "expected only GATEWAY_DATABASE_URL"),
    "deliverer liveness through the broker": (lambda d: _main(d, "webhooks")["livenessProbe"]["httpGet"].update(
        path="/readyz"), "livenessProbe"),
    "deliverer probe on another port": (lambda d: _main(d, "webhooks")["readinessProbe"]["httpGet"].update(
        port=9100), "readinessProbe"),
    "deliverer keys from another Secret": (lambda d: _env(_main(d, "webhooks"), "WEBHOOK_SECRET_KEYS")[
        "valueFrom"]["secretKeyRef"].update(name="autoservice-gateway"), "WEBHOOK_SECRET_KEYS is not one Secret"),
    "deliverer runs another module": (lambda d: _main(d, "webhooks").update(
        command=["python", "-m", "gateway.partners.webhooks"]), "docker-compose.yml's"),
    "no stream": (lambda d: _drop(d, "Deployment", "stream"), "no Deployment stream"),
    "no stream route": (lambda d: _drop(d, "Ingress", "stream"), "/v1/stream goes to gateway"),
    "stream route to the gateway": (lambda d: _find(d, "Ingress", "stream")["spec"]["rules"][0]["http"]["paths"][0][
        "backend"]["service"].update(name="gateway"), "/v1/stream goes to gateway"),
    "stream route buffered": (lambda d: _find(d, "Ingress", "stream")["metadata"]["annotations"].pop(
        "nginx.ingress.kubernetes.io/proxy-buffering"), "would buffer"),
    "stream route cut between heartbeats": (lambda d: _find(d, "Ingress", "stream")["metadata"]["annotations"].update(
        {"nginx.ingress.kubernetes.io/proxy-read-timeout": "20"}), "proxy-read-timeout"),
    "stream route on another host": (lambda d: _find(d, "Ingress", "stream")["spec"]["rules"][0].update(
        host="live.autoservice.example.com"), "one host"),
    "stream route without TLS": (lambda d: _find(d, "Ingress", "stream")["spec"].pop("tls"), "no TLS"),
    "stream liveness through the bus": (lambda d: _main(d, "stream").update(livenessProbe={"httpGet": {
        "path": "/healthz", "port": "http"}}), "stream: livenessProbe"),
    "stream readiness elsewhere": (lambda d: _main(d, "stream")["readinessProbe"]["httpGet"].update(path="/readyz"),
                                   "stream: readinessProbe"),
    "stream on another port": (lambda d: _main(d, "stream")["ports"][0].update(containerPort=8091),
                               "do not include STREAM_PORT"),
    "stream with a JWT key of its own": (lambda d: _env(_main(d, "stream"), "JWT_SECRET")["valueFrom"][
        "secretKeyRef"].update(name="autoservice-stream"), "stream: JWT_SECRET is not the gateway's"),
    "stream without the accepted keys": (lambda d: _main(d, "stream")["env"].remove(
        _env(_main(d, "stream"), "JWT_ACCEPTED_SECRETS")), "JWT_ACCEPTED_SECRETS"),
    "stream without its heartbeat setting": (lambda d: next(m for m in d if m.get("kind") == "ConfigMap" and m[
        "metadata"]["name"].startswith("autoservice-stream-settings"))["data"].pop("STREAM_HEARTBEAT_SECONDS"),
        "compose sets STREAM_HEARTBEAT_SECONDS"),
    "stream not waiting for the identity schema": (lambda d: pod_spec(_find(d, "Deployment", "stream")).pop(
        "initContainers"), "stream: no initContainer"),
    "stream Service selects nothing": (lambda d: _find(d, "Service", "stream")["spec"].update(
        selector={"app.kubernetes.io/name": "streams"}), "no Service stream selecting"),
    "stream grace shorter than its drain": (lambda d: pod_spec(_find(d, "Deployment", "stream")).update(
        terminationGracePeriodSeconds=5), "stream: terminationGracePeriodSeconds"),
    "stream without autoscaler": (lambda d: _drop(d, "HorizontalPodAutoscaler", "stream"),
                                  "stream: autoscaled by []"),
    "service Deployment missing": (lambda d: _drop(d, "Deployment", "finance"), "Deployments"),
    "wrong runner": (lambda d: _main(d, "crm").update(command=["python", "-m", "services.common.runner", "sales"]),
                     "runner crm"),
    "foreign database URL": (lambda d: _main(d, "crm")["env"].append(
        {"name": "SALES_DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "autoservice-db-sales", "key": "url"}}}),
        "expected only CRM_DATABASE_URL"),
    "own database URL missing": (lambda d: _main(d, "workshop").update(
        env=[e for e in _main(d, "workshop")["env"] if e["name"] != "WORKSHOP_DATABASE_URL"]), "database URLs"),
    "env var no code reads": (lambda d: _main(d, "gateway")["env"].append({"name": "JWT_SECRETS", "value": "x"}),
                              "which no code reads"),
    "ConfigMap key no code reads": (lambda d: _settings(d)["data"].update(MAX_WORKER="10"), "which no code reads"),
    "setting differs from compose": (lambda d: _settings(d)["data"].update(MAX_WORKERS="20"), "docker-compose.yml has"),
    "compose variable missing": (lambda d: _settings(d)["data"].pop("PREFETCH_COUNT"), "compose sets PREFETCH_COUNT"),
    "literal secret": (lambda d: _literal(_env(_main(d, "gateway"), "JWT_SECRET"), "x" * 40), "is a literal"),
    "password in a URL": (lambda d: _main(d, "crm")["env"].append(
        {"name": "AMQP_URI", "value": "amqp://autoservice:hunter2@rabbitmq:5672/"}), "literal password"),
    "Secret with data": (lambda d: d.append({"apiVersion": "v1", "kind": "Secret", "metadata": {
        "name": "x", "namespace": d[0]["metadata"].get("namespace")}, "data": {"JWT_SECRET": "eA=="}}), "literal data"),
    "probe asks another service": (lambda d: _main(d, "sales")["readinessProbe"]["exec"].update(
        command=["python", "-m", "services.common.healthcheck", "crm"]), "readinessProbe"),
    "probe missing": (lambda d: _main(d, "inventory").pop("livenessProbe"), "livenessProbe"),
    "probe timeout below the healthcheck's": (lambda d: _main(d, "finance")["startupProbe"].update(timeoutSeconds=2),
                                              "deadline"),
    "gateway readiness path": (lambda d: _main(d, "gateway")["readinessProbe"]["httpGet"].update(path="/ready"),
                               "readinessProbe path"),
    "gateway probe port": (lambda d: _main(d, "gateway")["livenessProbe"]["httpGet"].update(port=8000), "port"),
    "gateway command": (lambda d: _main(d, "gateway").update(
        command=["gunicorn", "-c", "gunicorn.conf.py", "gateway.wsgi:app"]), "docker-compose.yml's"),
    "no limits": (lambda d: _main(d, "finance")["resources"].pop("limits"), "no cpu limits"),
    "request below the measured figure": (lambda d: _main(d, "crm")["resources"]["requests"].update(memory="64Mi"),
                                          "below the measured"),
    "request above limit": (lambda d: _main(d, "sales")["resources"]["requests"].update(cpu="4"), "above its limit"),
    "gateway limit without the photos": (lambda d: _main(d, "gateway")["resources"]["limits"].update(memory="448Mi"),
                                         "photos re-encoded at once"),
    "no wait for the migration": (lambda d: pod_spec(_find(d, "Deployment", "sales")).pop("initContainers"),
                                  "no initContainer"),
    "waits for another owner": (lambda d: pod_spec(_find(d, "Deployment", "crm"))["initContainers"][0].update(
        command=["python", WAIT_FOR_SCHEMA, "sales"]), "no initContainer"),
    "a replica migrates": (lambda d: pod_spec(_find(d, "Deployment", "inventory"))["initContainers"][0].update(
        command=["python", "-m", "services.common.migrate", "inventory"]), "runs the migration"),
    "migration Job missing": (lambda d: _drop(d, "Job", "migrate-gateway"), "migration Jobs per owner"),
    "migration Job for the wrong owner": (lambda d: main_container(_find(d, "Job", "migrate-crm")).update(
        command=["python", "-m", "services.common.migrate", "sales"]), "are not only SALES_DATABASE_URL"),
    "grace shorter than the longest handler": (
        lambda d: pod_spec(_find(d, "Deployment", "crm")).update(terminationGracePeriodSeconds=60), "longest handler"),
    "gateway grace shorter than its drain": (
        lambda d: pod_spec(_find(d, "Deployment", "gateway")).update(terminationGracePeriodSeconds=10),
        "graceful_timeout"),
    "PDB selects nothing": (lambda d: _find(d, "PodDisruptionBudget", "crm")["spec"]["selector"].update(
        matchLabels={"app.kubernetes.io/name": "crmx"}), "selects no Deployment"),
    "HPA targets a missing Deployment": (lambda d: _find(d, "HorizontalPodAutoscaler", "gateway")["spec"][
        "scaleTargetRef"].update(name="gatewayx"), "no Deployment"),
    "ingress refuses a phone photo": (lambda d: _find(d, "Ingress", "gateway")["metadata"]["annotations"].update(
        {"nginx.ingress.kubernetes.io/proxy-body-size": "1m"}), "refuses uploads the gateway takes"),
    "ScaledObject missing": (lambda d: _drop(d, "ScaledObject", "workshop"), "workshop: no KEDA ScaledObject"),
    "ScaledObject targets nothing": (lambda d: _find(d, "ScaledObject", "sales")["spec"]["scaleTargetRef"].update(
        name="nope"), "is no Deployment"),
    "ScaledObject apiVersion": (lambda d: _find(d, "ScaledObject", "crm").update(apiVersion="keda.k8s.io/v1alpha1"),
                                "apiVersion"),
    "RPC queue the code does not declare": (lambda d: _trigger(d, "crm", "rpc")["metadata"].update(
        queueName="rpc-crm2"), "declared by no service"),
    "RPC queue of another service": (lambda d: _trigger(d, "crm", "rpc")["metadata"].update(queueName="rpc-sales"),
                                     "belongs to another service"),
    "RPC target above MAX_WORKERS": (lambda d: _trigger(d, "inventory", "rpc")["metadata"].update(value="50"),
                                     "saturate"),
    "event regex misses queues": (lambda d: _trigger(d, "crm", "events")["metadata"].update(
        queueName=r"^evt-.+--crmx\..+$"), "misses"),
    "event regex counts other services": (lambda d: _trigger(d, "crm", "events")["metadata"].update(
        queueName=r"^evt-.+$"), "also counts"),
    "event regex counts parked messages": (lambda d: _trigger(d, "sales", "events")["metadata"].update(
        queueName=r"evt-.+--sales\..+"), "retry/dead-letter"),
    "trigger is not rabbitmq": (lambda d: _trigger(d, "finance", "rpc").update(type="cpu"), "not rabbitmq"),
    "unknown TriggerAuthentication": (lambda d: _trigger(d, "crm", "rpc")["authenticationRef"].update(name="x"),
                                      "no TriggerAuthentication"),
    "scaling to zero": (lambda d: _find(d, "ScaledObject", "crm")["spec"].update(minReplicaCount=0), "never to zero"),
    "replicas on an autoscaled Deployment": (lambda d: _find(d, "Deployment", "crm")["spec"].update(replicas=3),
                                             "sets replicas"),
    "Secret not in README": (lambda d: _env(_main(d, "crm"), "AMQP_URI")["valueFrom"]["secretKeyRef"].update(
        name="autoservice-amqp"), "has no `kubectl create secret generic` in README"),
    "two autoscalers": (lambda d: d.append(copy.deepcopy(_find(d, "HorizontalPodAutoscaler", "gateway")) | {
        "metadata": {"name": "gateway2", "namespace": d[0]["metadata"].get("namespace")}}), "exactly one autoscaler"),
    "secret-looking ConfigMap key": (lambda d: next(m for m in d if m.get("kind") == "ConfigMap" and m["metadata"][
        "name"].startswith("autoservice-gateway-settings"))["data"].update(JWT_SECRET="x" * 40), "belongs in a Secret"),
    "selector does not match the pods": (lambda d: _find(d, "Deployment", "sales")["spec"]["selector"].update(
        matchLabels={"app.kubernetes.io/name": "sales2"}), "selector does not match"),
    "finance without 诺诺's key": (
        lambda d: _main(d, "finance")["env"].remove(_env(_main(d, "finance"), "NUONUO_APP_KEY")),
        "NUONUO_APP_KEY (docker-compose.yml gives it)"),
    "payment keys mounted writable": (lambda d: next(m for m in _main(d, "finance")["volumeMounts"]
                                                     if m["name"] == "provider-keys").pop("readOnly"),
                                      "is not a file of a read-only, optional Secret volume"),
    "envFrom a Secret": (lambda d: _main(d, "crm")["envFrom"].append({"secretRef": {"name": "autoservice-gateway"}}),
                         "imports names no test can see"),
    "no AMQP_URI": (lambda d: _main(d, "sales").update(
        env=[e for e in _main(d, "sales")["env"] if e["name"] != "AMQP_URI"]), "sales: no AMQP_URI"),
    "secret from a fieldRef": (lambda d: _env(_main(d, "crm"), "AMQP_URI").update(
        valueFrom={"fieldRef": {"fieldPath": "metadata.name"}}), "is not from a Secret"),
    "initContainer request below the measured figure": (
        lambda d: pod_spec(_find(d, "Deployment", "finance"))["initContainers"][0]["resources"]["requests"].update(
            memory="32Mi"), "wait-for-schema: memory request below"),
    "liveness through the broker": (lambda d: _main(d, "crm").update(livenessProbe={"exec": {"command": [
        "python", "-m", "services.common.healthcheck", "crm"]}}), "crm: livenessProbe goes through the broker"),
    "liveness on another port": (lambda d: _main(d, "sales")["livenessProbe"]["httpGet"].update(port=8080),
                                 "sales: livenessProbe"),
    "Ingress routes everything": (lambda d: _find(d, "Ingress", "gateway")["spec"]["rules"][0]["http"]["paths"].append(
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "gateway", "port": {"name": "http"}}}}),
        "Ingress routes /metrics publicly"),
    "Ingress misses the API": (lambda d: _find(d, "Ingress", "gateway")["spec"]["rules"][0]["http"]["paths"].pop(0),
                               "does not route the public /v1/"),
    "no retention CronJob": (lambda d: _drop(d, "CronJob", "prune-gateway"), "no CronJob prune-gateway"),
    "retention CronJob prunes another owner": (lambda d: main_container({"spec": _find(d, "CronJob", "prune-gateway")[
        "spec"]["jobTemplate"]["spec"], "metadata": {"name": "prune"}}).update(
        command=["python", "-m", "services.common.retention", "crm"]), "not the retention CLI for the gateway"),
    "gateway port": (lambda d: _main(d, "gateway")["ports"][0].update(containerPort=8000), "do not include"),
    "gateway Service selects nothing": (lambda d: _find(d, "Service", "gateway")["spec"].update(
        selector={"app.kubernetes.io/name": "gw"}), "Service does not select"),
    "Ingress to a missing Service": (lambda d: _find(d, "Ingress", "gateway")["spec"]["rules"][0]["http"]["paths"][0][
        "backend"]["service"].update(name="api"), "is no Service"),
    "Job runs something else": (lambda d: main_container(_find(d, "Job", "migrate-sales")).update(
        command=["python", "-m", "services.common.runner", "sales"]), "is not python -m services.common.migrate"),
    "Job env var no code reads": (lambda d: main_container(_find(d, "Job", "migrate-crm"))["env"].append(
        {"name": "MIGRATE_ALL", "value": "1"}), "Job migrate-crm: sets MIGRATE_ALL"),
    "Job with a literal URL": (lambda d: _literal(main_container(_find(d, "Job", "migrate-finance"))["env"][0],
                                                  "postgresql+psycopg2://postgres/finance"), "is a literal"),
    "Job restarts always": (lambda d: pod_spec(_find(d, "Job", "migrate-crm")).update(restartPolicy="Always"),
                            "restartPolicy"),
    "Job without resources": (lambda d: main_container(_find(d, "Job", "migrate-crm")).pop("resources"),
                              "no requests and limits"),
    "Job request below the measured figure": (lambda d: main_container(_find(d, "Job", "migrate-crm"))["resources"][
        "requests"].update(memory="32Mi"), "Job migrate-crm: memory request below"),
    "PDB allows nothing": (lambda d: _find(d, "PodDisruptionBudget", "sales")["spec"].pop("maxUnavailable"),
                           "allows nothing"),
    "Deployment without PDB": (lambda d: _drop(d, "PodDisruptionBudget", "inventory"), "no PodDisruptionBudget"),
    "HPA on memory": (lambda d: _find(d, "HorizontalPodAutoscaler", "gateway")["spec"]["metrics"][0][
        "resource"].update(name="memory"), "does not scale on CPU"),
    "gateway without HPA": (lambda d: _drop(d, "HorizontalPodAutoscaler", "gateway"), "no CPU HorizontalPodAutoscaler"),
    "TriggerAuthentication apiVersion": (lambda d: _find(d, "TriggerAuthentication", "autoservice-rabbitmq").update(
        apiVersion="keda.sh/v2"), "TriggerAuthentication autoservice-rabbitmq: apiVersion"),
    "TriggerAuthentication without host": (lambda d: _find(d, "TriggerAuthentication", "autoservice-rabbitmq")[
        "spec"]["secretTargetRef"][0].update(parameter="password"), "no host"),
    "ScaledObject on the gateway": (lambda d: _find(d, "ScaledObject", "finance")["spec"]["scaleTargetRef"].update(
        name="gateway"), "not a service with queues"),
    "trigger mode": (lambda d: _trigger(d, "crm", "rpc")["metadata"].update(mode="MessageRate"), "not QueueLength"),
    "trigger value": (lambda d: _trigger(d, "crm", "events")["metadata"].update(value="0"), "no positive number"),
    "regex over AMQP": (lambda d: _trigger(d, "crm", "events")["metadata"].update(protocol="amqp"),
                        "useRegex needs protocol http"),
    "regex that does not compile": (lambda d: _trigger(d, "crm", "events")["metadata"].update(queueName="^evt-(crm"),
                                    "is no regex"),
    "no RPC trigger": (lambda d: _find(d, "ScaledObject", "sales")["spec"].update(
        triggers=[_trigger(d, "sales", "events")]), "no trigger on its RPC queue"),
    "no event trigger": (lambda d: _find(d, "ScaledObject", "inventory")["spec"].update(
        triggers=[_trigger(d, "inventory", "rpc")]), "no trigger on its event queues"),
    "a StatefulSet in production": (lambda d: d.append({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {
        "name": "postgres", "namespace": d[0]["metadata"].get("namespace")}}), "production runs StatefulSets"),
    "a one-node broker": (lambda d: _find(d, "RabbitmqCluster", "rabbitmq")["spec"].update(replicas=1),
                          "quorum queues need an odd number"),
    "no broker": (lambda d: _drop(d, "RabbitmqCluster", "rabbitmq"), "not one three-node broker"),
    "brokers sharing a machine": (lambda d: _find(d, "RabbitmqCluster", "rabbitmq")["spec"].pop("affinity"),
                                  "may share a machine"),
    "namespace mismatch": (lambda d: _find(d, "Deployment", "crm")["metadata"].update(namespace="default"),
                           "namespaces"),
    "no customer gateway": (lambda d: _drop(d, "Deployment", "customer-gateway"), "no Deployment customer-gateway"),
    "customer gateway runs the staff config": (lambda d: _main(d, "customer-gateway").update(
        command=["gunicorn", "-c", "deploy/gunicorn.conf.py", "gateway.wsgi:app"]), "customer-gateway: command"),
    "customer gateway readiness elsewhere": (lambda d: _main(d, "customer-gateway")["readinessProbe"]["httpGet"].update(
        path="/healthz"), "customer-gateway: readinessProbe"),
    "customer gateway on another port": (lambda d: _main(d, "customer-gateway")["ports"][0].update(containerPort=8083),
                                         "customer-gateway: container ports"),
    "customer gateway with a JWT key of its own": (lambda d: _env(_main(d, "customer-gateway"), "JWT_SECRET")[
        "valueFrom"]["secretKeyRef"].update(name="autoservice-customer"), "customer-gateway: JWT_SECRET"),
    "customer gateway without the webhook keys": (lambda d: _main(d, "customer-gateway")["env"].remove(
        _env(_main(d, "customer-gateway"), "WEBHOOK_SECRET_KEYS")), "WEBHOOK_SECRET_KEYS"),
    "customer gateway Service selects nothing": (lambda d: _find(d, "Service", "customer-gateway")["spec"].update(
        selector={"app.kubernetes.io/name": "customers"}), "no Service customer-gateway selecting"),
    "customer gateway without autoscaler": (lambda d: _drop(d, "HorizontalPodAutoscaler", "customer-gateway"),
                                            "customer-gateway: autoscaled by []"),
    "customer gateway without PDB": (lambda d: _drop(d, "PodDisruptionBudget", "customer-gateway"),
                                     "customer-gateway: no PodDisruptionBudget"),
    "customer gateway not waiting for the identity schema": (lambda d: pod_spec(_find(
        d, "Deployment", "customer-gateway")).pop("initContainers"), "customer-gateway: no initContainer"),
    "customer gateway grace shorter than its drain": (lambda d: pod_spec(_find(d, "Deployment", "customer-gateway"))
                                                      .update(terminationGracePeriodSeconds=10),
                                                      "customer-gateway: terminationGracePeriodSeconds"),
    "customer gateway's budget missing": (lambda d: next(m for m in d if m.get("kind") == "ConfigMap" and m[
        "metadata"]["name"].startswith("autoservice-customer-gateway-settings"))["data"].pop(
        "CUSTOMER_GATEWAY_THREADS"), "compose sets CUSTOMER_GATEWAY_THREADS"),
    "staff gateway serves the channel too": (lambda d: next(m for m in d if m.get("kind") == "ConfigMap" and m[
        "metadata"]["name"].startswith("autoservice-gateway-settings"))["data"].pop("GATEWAY_SERVES"),
        "gateway: GATEWAY_SERVES is not staff"),
    "channel routed to the staff gateway": (lambda d: [path["backend"]["service"].update(name="gateway") for path in
                                                       _find(d, "Ingress", "gateway")["spec"]["rules"][0]["http"][
                                                           "paths"] if path["path"] in ("/c/v1", "/m")],
                                            "/c/v1 goes to gateway"),
    "phone app routed to the staff gateway": (lambda d: [path["backend"]["service"].update(name="gateway") for path in
                                                         _find(d, "Ingress", "gateway")["spec"]["rules"][0]["http"][
                                                             "paths"] if path["path"] == "/m"],
                                              "/m goes to gateway"),
    "staff API routed to the customer gateway": (lambda d: _find(d, "Ingress", "gateway")["spec"]["rules"][0]["http"][
        "paths"][0]["backend"]["service"].update(name="customer-gateway"), "/v1 goes to customer-gateway"),
    "another image": (lambda d: _main(d, "crm").update(image="autoservice:other"), "several images"),
}

TRIAL_MUTATIONS = {
    "init.sql misses a database": (lambda d: next(m for m in d if m.get("kind") == "ConfigMap" and m["metadata"][
        "name"].startswith("postgres-init"))["data"].update({"init.sql": "CREATE DATABASE crm;"}),
        "one database per owner"),
    "no postgres StatefulSet": (lambda d: _drop(d, "StatefulSet", "postgres"), "no postgres StatefulSet"),
    "no rabbitmq Service": (lambda d: _drop(d, "Service", "rabbitmq"), "no Service rabbitmq"),
    "init.sql not mounted": (lambda d: next(c for c in containers(_find(d, "StatefulSet", "postgres")))[
        "volumeMounts"].pop(), "not mounted at /docker-entrypoint-initdb.d"),
    "owners' passwords not set": (lambda d: next(m for m in d if m.get("kind") == "ConfigMap" and m["metadata"][
        "name"].startswith("postgres-init"))["data"].pop("passwords.sh"), "set the owners' passwords"),
    "an owner's password not given": (lambda d: next(c for c in containers(_find(d, "StatefulSet", "postgres")))[
        "env"].remove({"name": "CRM_DB_PASSWORD", "valueFrom": {"secretKeyRef": {
            "name": "autoservice-postgres", "key": "CRM_DB_PASSWORD"}}}), "is not given CRM_DB_PASSWORD"),
    "a Secret the script does not make": (lambda d: _main(d, "gateway")["env"].append(
        {"name": "ADMIN_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "autoservice-admin", "key": "pw"}}}),
        "makes no Secret autoservice-admin"),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_broken_manifest_is_caught(rendered, queues, mutation):
    docs = copy.deepcopy(rendered["production"])
    change, phrase = MUTATIONS[mutation]
    change(docs)
    found = problems(docs, "production", queues)
    assert any(phrase in p for p in found), f"{mutation!r} went unnoticed: {found}"


@pytest.mark.parametrize("mutation", sorted(TRIAL_MUTATIONS))
def test_a_broken_trial_is_caught(rendered, queues, mutation):
    docs = copy.deepcopy(rendered["trial"])
    change, phrase = TRIAL_MUTATIONS[mutation]
    change(docs)
    found = problems(docs, "trial", queues, trial_secrets())
    assert any(phrase in p for p in found), f"{mutation!r} went unnoticed: {found}"


SECRET_MUTATIONS = {
    # (secret, key): (old, new, phrase of the expected problem)
    "database URL names another database": ("autoservice-db-crm", "url", "/crm", "/sales", "autoservice-db-crm"),
    "database URL on another host": ("autoservice-db-sales", "url", "@postgres:", "@db:", "autoservice-db-sales"),
    "AMQP_URI on another host": ("autoservice-rabbitmq", "AMQP_URI", "@rabbitmq:", "@broker:", "AMQP_URI"),
    "database URL as the superuser": ("autoservice-db-crm", "url", "//crm:", "//autoservice:", "as role crm"),
    "KEDA on the AMQP port": ("autoservice-keda-rabbitmq", "host", ":15672/", ":5672/", "KEDA host"),
}


@pytest.mark.parametrize("mutation", sorted(SECRET_MUTATIONS))
def test_a_trial_secret_pointing_elsewhere_is_caught(rendered, queues, mutation):
    name, key, old, new, phrase = SECRET_MUTATIONS[mutation]
    secrets = trial_secrets()
    secret = next(s for s in secrets if s["metadata"]["name"] == name)
    assert old in secret["stringData"][key]
    secret["stringData"][key] = secret["stringData"][key].replace(old, new)
    found = problems(rendered["trial"], "trial", queues, secrets)
    assert any(phrase in p for p in found), found


def test_drift_from_compose_is_caught(rendered, queues, monkeypatch):
    module = sys.modules[__name__]
    compose = compose_services()
    compose["crm"]["healthcheck"]["test"] = ["CMD", "python", "-m", "services.common.healthcheck_v2", "crm"]
    compose["sales"]["command"] = ["python", "-m", "services.common.runner2", "sales"]
    compose["gateway"]["environment"]["RPC_TIMEOUT"] = "${RPC_TIMEOUT:-5}"
    compose["migrate"]["command"] = ["python", "-m", "services.common.migrate2"]
    monkeypatch.setattr(module, "compose_services", lambda: compose)
    found = problems(rendered["production"], "production", queues)
    for phrase in ("crm: startupProbe differs from docker-compose.yml", "sales: command",
                   "gateway: RPC_TIMEOUT='3', docker-compose.yml has '5'", "Job migrate-crm: command"):
        assert any(phrase in p for p in found), (phrase, found)


def test_a_queue_the_code_stops_declaring_is_caught(rendered, queues):
    changed = copy.deepcopy(queues)
    changed["workshop"]["rpc"] = ["rpc-workshop-v2"]
    changed["crm"]["events"].append("evt-sales-order_moved--crm.on_order_moved_elsewhere")
    found = problems(rendered["production"], "production", changed)
    assert any("rpc-workshop" in p for p in found), found
    changed["crm"]["events"][-1] = "evt-sales-order_moved--crmx.on_order_moved"
    changed["sales"]["events"].append("evt-crm-x--salesy.y")
    assert problems(rendered["production"], "production", changed)


def test_an_env_var_the_code_stopped_reading_is_caught(rendered, queues, monkeypatch):
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "env_names_read_by_code", lambda: set())
    found = problems(rendered["production"], "production", queues)
    assert any("sets AMQP_URI, which no code reads" in p for p in found), found


@pytest.mark.parametrize("change", ["unknown field", "bad type", "required field missing"])
def test_a_schema_violation_is_caught(rendered, change):
    docs = copy.deepcopy(rendered["production"])
    deployment = _find(docs, "Deployment", "crm")
    container = main_container(deployment)
    if change == "unknown field":
        container["livenessProbes"] = container["livenessProbe"]
    elif change == "bad type":
        pod_spec(deployment)["terminationGracePeriodSeconds"] = "sixty"
    else:
        del container["name"]
    assert schema_errors(docs), change
