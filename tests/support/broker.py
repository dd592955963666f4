"""A private RabbitMQ node for tests that must stop and start the broker itself, so the
machine's shared node (which other test runs use) is never touched: the locally installed
`rabbitmq-server` with its own node name, AMQP and distribution ports, data and logs under a
temporary directory, no plugins, and an Erlang cookie of its own (kept in that directory, which
is its HOME and that of the `rabbitmqctl` that drives it), so it cannot even reach the shared node."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pika
from pika.exceptions import AMQPConnectionError

from tests.support.stack import free_port

RABBITMQ_BIN = Path(os.environ.get("RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


class PrivateBroker:
    def __init__(self, directory: Path, node: str | None = None, cookie: str | None = None):
        self.directory = directory
        self.node = node or f"faults-{secrets.token_hex(3)}@localhost"
        self.cookie = cookie or secrets.token_hex(16)  # nodes of one cluster share theirs
        self.port = free_port()
        self.uri = f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"
        self.env = {**os.environ, "HOME": str(directory), "RABBITMQ_NODENAME": self.node,
                    "RABBITMQ_DIST_PORT": str(free_port()),
                    "RABBITMQ_CONF_ENV_FILE": str(directory / "rabbitmq-env.conf"),
                    "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq.conf"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
                    "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
                    "RABBITMQ_LOG_BASE": str(directory / "log")}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> "PrivateBroker":
        """Start the node (again, with its data, after `kill`) and wait until it accepts connections."""
        cookie = self.directory / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(self.cookie)
            cookie.chmod(0o400)
        (self.directory / "rabbitmq-env.conf").write_text("")
        (self.directory / "rabbitmq.conf").write_text(f"listeners.tcp.1 = 127.0.0.1:{self.port}\n")
        (self.directory / "enabled_plugins").write_text("[].\n")
        log = open(self.directory / "server.log", "ab")
        self.process = subprocess.Popen([str(RABBITMQ_BIN / "rabbitmq-server")], cwd=self.directory,
                                        env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        if timeout:
            self.wait_accepting(timeout)
        return self

    def wait_accepting(self, timeout: float) -> None:
        """Until an AMQP connection succeeds (quicker to poll than `rabbitmqctl await_startup`)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited; see {self.directory}/server.log")
            try:
                pika.BlockingConnection(pika.URLParameters(self.uri)).close()
                return
            except AMQPConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.node} not accepting after {timeout}s") from None
                time.sleep(0.3)

    def ctl(self, *args: str) -> str:
        return subprocess.run([str(RABBITMQ_BIN / "rabbitmqctl"), "-q", "-n", self.node, *args], env=self.env,
                              check=True, capture_output=True, text=True, timeout=120).stdout

    def kill(self) -> None:
        """SIGKILL to the node's Erlang VM and everything it started (its own session): a crash, no goodbye."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        """Stop the node and its Erlang processes (their own session); the data goes with the directory."""
        if self.process is None:
            return
        try:
            self.ctl("stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


class BrokerCluster:
    """Three private nodes on this machine (own names, AMQP and distribution ports, data directories),
    sharing one Erlang cookie and joined into one RabbitMQ cluster with `rabbitmqctl join_cluster`."""

    def __init__(self, directory: Path, size: int = 3):
        name, cookie = f"cluster-{secrets.token_hex(3)}", secrets.token_hex(16)
        self.nodes = [PrivateBroker(directory / f"node{i}", f"{name}-{i}@localhost", cookie)
                      for i in range(1, size + 1)]

    @property
    def uri(self) -> str:
        """Every node, `;`-separated (kombu's failover form, which AMQP_URI takes)."""
        return ";".join(node.uri for node in self.nodes)

    def start(self) -> "BrokerCluster":
        for node in self.nodes:  # booting at once, then waited for
            node.directory.mkdir(parents=True, exist_ok=True)
            node.start(timeout=0)
        for node in self.nodes:
            node.wait_accepting(90)
        first = self.nodes[0]
        for node in self.nodes[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", first.node)
            node.ctl("start_app")
            node.wait_accepting(60)
        return self

    def leaders(self) -> dict[str, str]:
        """{queue: node of its leader} for the quorum queues, asked of any running node."""
        running = next(node for node in self.nodes if node.process is not None)
        listed = running.ctl("list_queues", "--no-table-headers", "name", "type", "leader")
        return {name: leader for name, kind, leader in (line.split("\t") for line in listed.splitlines()
                                                        if line.strip()) if kind == "quorum"}

    def node(self, name: str) -> PrivateBroker:
        return next(node for node in self.nodes if node.node == name)

    def stop(self) -> None:
        """Every node killed: the data goes with the directory."""
        for node in self.nodes:
            if node.process is not None:
                node.kill()
