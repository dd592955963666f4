"""The whole suite as real processes: five nameko services and the gateway under gunicorn,
against a private RabbitMQ vhost and private PostgreSQL databases. A `live` stack also runs the stream
process (gateway/stream) and the customer channel's own gateway (deploy/gunicorn_customer.conf.py: `/c/v1` and
`/m`, the staff gateway then serving the rest) behind the same-origin front (deploy/front.py), as `make run` does:
`url` is then the front's, `app_url` the staff gateway's own and `customer_url` the channel's."""
from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import requests

from deploy.sandboxes import alipay, health_record, messaging, nuonuo, wechatpay
from services.common.config import SERVICES
from services.common.migrate import OWNERS, upgrade

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "admin-test-Pa55"


def free_port() -> int:
    """A port free now, for a process about to be started on it, drawn below the kernel's ephemeral range: a port
    the kernel hands out (`bind(0)`) is the kind every outgoing connection (to PostgreSQL, to the broker) takes
    too, and one did take it between the draw and the server's bind ("Address already in use")."""
    lowest_ephemeral = _lowest_ephemeral_port()
    for _ in range(200):
        port = _DRAW.randrange(max(lowest_ephemeral - 12000, 1024), lowest_ephemeral)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


_DRAW = random.SystemRandom()  # not the module's generator, which a test may seed (then every worker draws alike)


def _lowest_ephemeral_port() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


class Stack:
    def __init__(self, amqp_uri: str, database_env: dict[str, str], log_dir: Path, *,
                 gateway_workers: int = 2, extra_env: dict[str, str] | None = None,
                 service_runner: str = "services.common.runner", live: bool = False, queue_type: str = "classic",
                 channel: bool | None = None, customer_workers: int = 1, customer_threads: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.live = live
        self.app_port = free_port() if live else self.port
        self.app_url = f"http://127.0.0.1:{self.app_port}"
        self.stream_port = free_port()
        self.stream_url = f"http://127.0.0.1:{self.stream_port}"
        # the customer channel on gateway workers of its own, behind the front (a live stack's, unless told)
        self.channel = live if channel is None else channel
        if self.channel and not live:
            raise ValueError("the customer channel's own gateway is reached through the front: live=True")
        self.customer_port = free_port()
        self.customer_url = f"http://127.0.0.1:{self.customer_port}"
        self.log_dir = log_dir
        self.wechatpay_port = free_port()
        self.wechatpay_url = f"http://127.0.0.1:{self.wechatpay_port}"  # the WeChat Pay sandbox, as `make run`
        self.alipay_port = free_port()
        self.alipay_url = f"http://127.0.0.1:{self.alipay_port}"  # the Alipay sandbox, as `make run`
        sandbox_env = {**wechatpay.credentials(log_dir / "wechatpay", self.wechatpay_url),
                       **alipay.credentials(log_dir / "alipay", self.alipay_url)}
        self.messaging_port = free_port()
        self.messaging_url = f"http://127.0.0.1:{self.messaging_port}"  # the SMS and WeChat sandbox, as `make run`
        sandbox_env.update(messaging.credentials(self.messaging_url))
        self.nuonuo_port = free_port()
        self.nuonuo_url = f"http://127.0.0.1:{self.nuonuo_port}"  # the 诺诺 fapiao sandbox, as `make run`
        sandbox_env.update(nuonuo.credentials(self.nuonuo_url))
        self.health_record_port = free_port()
        self.health_record_url = f"http://127.0.0.1:{self.health_record_port}"  # the 健康档案 sandbox, as `make run`
        sandbox_env.update(health_record.credentials(self.health_record_url))
        self.store_accounts = log_dir / "store-accounts"  # PROVIDER_KEYS_DIR: stores' own accounts (give_account)
        self.env = {**os.environ, **database_env, "AMQP_URI": amqp_uri, "DATA_DIR": str(log_dir),
                    "PROVIDER_KEYS_DIR": str(self.store_accounts),
                    "ADMIN_PASSWORD": ADMIN_PASSWORD,
                    "JWT_SECRET": "e2e-secret-of-at-least-thirty-two-bytes-" + log_dir.name,
                    "GATEWAY_PORT": str(self.port), "GATEWAY_APP_PORT": str(self.app_port),
                    "STREAM_PORT": str(self.stream_port), "GATEWAY_HOST": "127.0.0.1",
                    "GATEWAY_WORKERS": str(gateway_workers), "RPC_TIMEOUT": "3", "PYTHONUNBUFFERED": "1",
                    **({"GATEWAY_SERVES": "staff", "CUSTOMER_GATEWAY_PORT": str(self.customer_port),
                        "CUSTOMER_GATEWAY_WORKERS": str(customer_workers),
                        "CUSTOMER_GATEWAY_THREADS": str(customer_threads)} if self.channel else {}),
                    "EVENT_RETRY_DELAYS_MS": "200,400",
                    # quorum queues where the broker's faults are tested (tests/faults own_stack); classic elsewhere:
                    # RabbitMQ 3.10 starting a few hundred quorum queues at once froze the node for two minutes
                    "RABBITMQ_QUEUE_TYPE": queue_type,
                    # `make test` runs stacks side by side (TEST_WORKERS) within PostgreSQL's 100 connections
                    "DB_POOL_SIZE": "1", "DB_MAX_OVERFLOW": "4",
                    "PAYMENT_POLL_SECONDS": "2", "STREAM_HEARTBEAT_SECONDS": "2",
                    "FAPIAO_POLL_SECONDS": "0.5", "FAPIAO_RETRY_SECONDS": "0.5",
                    "HEALTH_RECORD_POLL_SECONDS": "0.5", "HEALTH_RECORD_RETRY_SECONDS": "0.5",
                    # tests drive one account far harder than a person does; the limit is tested on its own
                    "USER_RATE_PER_MINUTE": "100000",
                    # every car owner of the suite signs in from this one address (the limit: tests/unit)
                    "CUSTOMER_CODES_PER_ADDRESS": "100000",
                    # and the tests drive a car owner's token far harder than a phone does (the limit: tests/unit)
                    "CUSTOMER_RATE_PER_MINUTE": "100000",
                    # webhooks go to receivers the tests start on this machine, retried quickly
                    "WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_BACKOFF_SECONDS": "0.5", **sandbox_env, **(extra_env or {})}
        self.processes: dict[str, subprocess.Popen] = {}
        self.metrics_ports: dict[str, int] = {}  # each service process's METRICS_PORT
        self.service_runner = service_runner  # a test-only runner injects a fault (tests/support/doubled_runner.py)

    def give_account(self, provider: str, store_code: str, values: dict | None) -> None:
        """A store's own account at `provider` (its keys file, read at the next use); None takes it away."""
        path = self.store_accounts / provider / f"{store_code}.json"
        if values is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")

    # -- lifecycle -------------------------------------------------------------------------
    def migrate(self) -> None:
        for owner in OWNERS:
            upgrade(owner, self.env[f"{owner.upper()}_DATABASE_URL"])

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.log_path(name), "ab")
        self.processes[name] = subprocess.Popen(argv, cwd=ROOT, env={**self.env, **(env or {})}, stdout=log,
                                                stderr=subprocess.STDOUT)

    def start_service(self, name: str, instance: int = 1) -> None:
        """Start a service process; `instance=2` adds a second, competing consumer of the same queues."""
        key = name if instance == 1 else f"{name}#{instance}"
        self.metrics_ports[key] = free_port()
        self._spawn(key, [sys.executable, "-m", self.service_runner, name],
                    {"METRICS_PORT": str(self.metrics_ports[key])})

    def stop_service(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(timeout=15)

    def start_wechatpay(self) -> None:
        self._spawn("wechatpay", [sys.executable, "-m", "deploy.sandboxes.wechatpay", "--port",
                                  str(self.wechatpay_port), "--dir", str(self.log_dir / "wechatpay")])

    def start_alipay(self) -> None:
        self._spawn("alipay", [sys.executable, "-m", "deploy.sandboxes.alipay", "--port", str(self.alipay_port),
                               "--dir", str(self.log_dir / "alipay")])

    def start_webhooks(self) -> None:
        """The webhook deliverer (gateway/partners/deliverer.py), as `make run`, its probes on a port of its own."""
        self.webhooks_health_port = free_port()
        self._spawn("webhooks", [sys.executable, "-m", "gateway.partners.deliverer"],
                    {"WEBHOOK_HEALTH_PORT": str(self.webhooks_health_port)})

    def start_messaging(self) -> None:
        self._spawn("messaging", [sys.executable, "-m", "deploy.sandboxes.messaging", "--port",
                                  str(self.messaging_port)])

    def start_nuonuo(self) -> None:
        self._spawn("nuonuo", [sys.executable, "-m", "deploy.sandboxes.nuonuo", "--port", str(self.nuonuo_port)])

    def start_health_record(self) -> None:
        self._spawn("health_record", [sys.executable, "-m", "deploy.sandboxes.health_record", "--port",
                                      str(self.health_record_port)])

    def start_gateway(self) -> None:
        self._spawn("gateway", [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "gateway.wsgi:app"])

    def start_customer_gateway(self) -> None:
        """The customer channel's own gunicorn (`/c/v1`, `/m`), on its own smaller budget."""
        self._spawn("customer-gateway", [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn_customer.conf.py",
                                         "gateway.wsgi:app"])

    def start_stream(self) -> None:
        """The live stream's ASGI process and the front that puts it on the gateway's origin."""
        self._spawn("stream", [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn_stream.conf.py",
                               "gateway.stream.asgi:app"])
        self._spawn("front", [sys.executable, "-m", "deploy.front"])

    def start(self) -> "Stack":
        """Every service and the gateway, ready; if they do not get ready, none is left running."""
        self.migrate()
        try:
            self.start_wechatpay()
            self.start_alipay()
            self.start_messaging()
            self.start_nuonuo()
            self.start_health_record()
            for name in SERVICES:
                self.start_service(name)
            self.start_gateway()
            if self.channel:
                self.start_customer_gateway()
            if self.live:
                self.start_stream()
            self.start_webhooks()
            self.wait_ready()
            if self.live:
                self.wait_ready(url=self.stream_url, path="/healthz")
            if self.channel:
                self.wait_ready(url=self.customer_url)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float = 120, path: str = "/readyz", url: str | None = None) -> None:
        """Until `path` answers 200 (`/readyz`: the broker and every service answer; the stream's
        `/healthz`: its bus consumer is connected)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}; the end of its log:\n"
                                       + self.log_tail(name))
            try:
                last = requests.get(f"{url or self.url}{path}", timeout=5)
                if last.status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow under load
                pass
            time.sleep(0.3)
        raise RuntimeError(f"stack not ready in {timeout:.0f} s: {last.text if last is not None else 'no answer'}; "
                           "the end of the gateway's log:\n" + self.log_tail("gateway"))

    def log_path(self, name: str) -> Path:
        """Where a process of the stack writes (`crm#2`: crm-2.log)."""
        return self.log_dir / f"{name.replace('#', '-')}.log"

    def log_tail(self, name: str, lines: int = 40) -> str:
        """The last lines a process wrote (CI keeps only what the test report prints)."""
        log = self.log_path(name)
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"

    def stop(self, grace: float = 15) -> None:
        """SIGTERM to every process; whatever has not exited `grace` seconds later is killed."""
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def kill(self) -> None:
        """Every process and its own children (gunicorn's and the stream's workers) SIGKILLed at once: the end of
        a stack whose stopping no test looks at (the graceful stop waited 4-8 s per stack for nameko's consumers
        and gunicorn's workers). Stopping gracefully is tested where it is asked for: test_make_run (SIGINT: every
        process ends, exit 0), test_broker_restart (SIGTERM, with and without the broker)."""
        children = []
        for process in self.processes.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                children += psutil.Process(process.pid).children(recursive=True)
        for process in self.processes.values():
            process.kill()
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        for process in self.processes.values():
            process.wait()
        psutil.wait_procs(children, timeout=10)
        self.processes.clear()

    # -- HTTP helpers ----------------------------------------------------------------------
    def login(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> requests.Session:
        reply = requests.post(f"{self.url}/v1/auth/login", json={"username": username, "password": password},
                              timeout=10)
        reply.raise_for_status()
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
        return session


@contextmanager
def demo_stack(log_dir: Path, history_days: int = 0) -> Iterator[Stack]:
    """A suite of its own (own vhost and databases) seeded with the demo chain exactly as `make run`
    seeds it (deploy/demo.py through the gateway): no other test's data helps it, and the demo's
    data (its SKUs, stores and customers) reaches no other test. Its months of history only when
    asked for (`history_days`): most tests count what they did themselves."""
    from deploy import demo as chain
    from tests.support.infra import Databases, Vhost

    vhost, databases = Vhost().create(), Databases().create(migrated=True)
    running = Stack(vhost.uri, databases.env(), log_dir).start()
    chain.store_accounts(running.store_accounts)  # the demo store's own merchant accounts, as `make run` writes
    try:
        chain.seed(running.login(), running.url, databases.urls.__getitem__, history_days)
        yield running
    finally:
        running.kill()
        databases.drop()
        vhost.drop()
