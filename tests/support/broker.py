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
    def __init__(self, directory: Path):
        self.directory = directory
        self.node = f"faults-{secrets.token_hex(3)}@localhost"
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
        cookie = self.directory / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o400)
        (self.directory / "rabbitmq-env.conf").write_text("")
        (self.directory / "rabbitmq.conf").write_text(f"listeners.tcp.1 = 127.0.0.1:{self.port}\n")
        (self.directory / "enabled_plugins").write_text("[].\n")
        log = open(self.directory / "server.log", "ab")
        self.process = subprocess.Popen([str(RABBITMQ_BIN / "rabbitmq-server")], cwd=self.directory,
                                        env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
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

    def ctl(self, *args: str) -> None:
        subprocess.run([str(RABBITMQ_BIN / "rabbitmqctl"), "-q", "-n", self.node, *args], env=self.env,
                       check=True, capture_output=True, timeout=120)

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
