"""The gateway's RPC client against the real broker: a dropped broker connection pool is
replaced on the next call, however many dead connections the pool held."""
from __future__ import annotations

import socket
import subprocess
import threading
import time
from urllib.parse import urlparse

import pika
import pytest
from prometheus_client import REGISTRY

from gateway.rpc import CLOSE_SECONDS, RpcClient, ServiceUnavailable
from tests.support.infra import Vhost


def echo_service(amqp_uri: str, stop: threading.Event, ready: threading.Event) -> None:
    """A minimal responder speaking nameko's wire format on `rpc-echo`."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare("nameko-rpc", exchange_type="topic", durable=True)
    channel.queue_declare("rpc-echo", durable=True)
    channel.queue_bind("rpc-echo", "nameko-rpc", routing_key="echo.*")

    def reply(ch, method, properties, body):
        ch.basic_publish("nameko-rpc", properties.reply_to, b'{"result": "pong", "error": null}',
                         pika.BasicProperties(correlation_id=properties.correlation_id))
        ch.basic_ack(method.delivery_tag)

    channel.basic_consume("rpc-echo", reply)
    ready.set()
    while not stop.is_set():
        try:
            connection.process_data_events(time_limit=0.2)
        except pika.exceptions.AMQPError:
            connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
            channel = connection.channel()
            channel.basic_consume("rpc-echo", reply)
    connection.close()


@pytest.fixture
def own_vhost():
    """Its own vhost: dropping every connection must not touch the session's e2e stack."""
    host = Vhost().create()
    yield host
    host.drop()


@pytest.fixture
def echo(own_vhost):
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=echo_service, args=(own_vhost.uri, stop, ready), daemon=True)
    thread.start()
    assert ready.wait(timeout=10), "the echo responder did not start"
    yield
    stop.set()
    thread.join(timeout=5)


def test_every_dead_pooled_connection_is_replaced_after_the_broker_drops_them(own_vhost, echo):
    vhost = own_vhost
    client = RpcClient(vhost.uri, timeout=3)
    # fill the pool with several connections (calls in flight at once)
    barrier = threading.Barrier(4)
    answers = []

    def call():
        barrier.wait()
        answers.append(client.call("echo", "ping"))

    threads = [threading.Thread(target=call) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert answers == ["pong"] * 4 and client._idle.qsize() >= 2
    subprocess.run(["rabbitmqctl", "-q", "close_all_connections", "-p", vhost.name, "test"], check=True,
                   capture_output=True)
    results = []
    for _ in range(20):
        try:
            results.append(client.call("echo", "ping"))
        except ServiceUnavailable:
            results.append("unavailable")
            break
        if results[-1] == "pong" and len(results) > 3:
            break
    assert results[0] == "pong", results  # the first call after the drop already succeeds
    client.close()


def test_a_service_nobody_runs_is_unavailable_at_once(vhost):
    client = RpcClient(vhost.uri, timeout=3)
    with pytest.raises(ServiceUnavailable, match="no instance"):
        client.call("nobody-runs-this", "ping")
    client.close()


def unavailable(service: str, reason: str) -> float:
    return REGISTRY.get_sample_value("gateway_rpc_unavailable_total", {"service": service, "reason": reason}) or 0


def test_unanswered_calls_are_counted_per_service_and_reason(vhost):
    """A call nobody takes within its timeout (a queue without a consumer) counts as a timeout, one that
    no queue receives as no_instance; both are timed with the outcome `unavailable`."""
    connection = pika.BlockingConnection(pika.URLParameters(vhost.uri))
    channel = connection.channel()
    channel.exchange_declare("nameko-rpc", exchange_type="topic", durable=True)
    channel.queue_declare("rpc-stalled", auto_delete=False, exclusive=True)
    channel.queue_bind("rpc-stalled", "nameko-rpc", routing_key="stalled.*")
    client = RpcClient(vhost.uri, timeout=0.5)
    timeouts, nobody = unavailable("stalled", "timeout"), unavailable("nobody-runs-this", "no_instance")
    try:
        with pytest.raises(ServiceUnavailable, match="no answer"):
            client.call("stalled", "work")
        with pytest.raises(ServiceUnavailable, match="no instance"):
            client.call("nobody-runs-this", "ping")
    finally:
        client.close()
        connection.close()
    assert unavailable("stalled", "timeout") == timeouts + 1
    assert unavailable("nobody-runs-this", "no_instance") == nobody + 1
    assert REGISTRY.get_sample_value("gateway_rpc_seconds_count",
                                     {"service": "stalled", "method": "work", "outcome": "unavailable"}) >= 1


def test_a_connection_whose_call_timed_out_is_not_used_again(vhost):
    """A timed-out call may have gone down a channel that loses whatever it sends (opened while a cluster node
    died, tests/faults/test_cluster_node_killed.py): its connection is closed, and the next call opens another."""
    connection = pika.BlockingConnection(pika.URLParameters(vhost.uri))
    channel = connection.channel()
    channel.exchange_declare("nameko-rpc", exchange_type="topic", durable=True)
    channel.queue_declare("rpc-stalled", auto_delete=False, exclusive=True)
    channel.queue_bind("rpc-stalled", "nameko-rpc", routing_key="stalled.*")
    client = RpcClient(vhost.uri, timeout=0.5)
    try:
        with pytest.raises(ServiceUnavailable, match="no answer"):
            client.call("stalled", "work")
        assert client.connections_opened == 1 and client._idle.empty()
        with pytest.raises(ServiceUnavailable, match="no answer"):
            client.call("stalled", "work")
        assert client.connections_opened == 2
    finally:
        client.close()
        connection.close()


class FreezingProxy:
    """A TCP proxy to the broker that can stop passing bytes either way while keeping every socket open: a broker
    that accepts connections and then never answers (overloaded, a network that drops without resetting)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.frozen = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                while self.frozen.is_set():  # held, never dropped: the peer sees silence, not a reset
                    time.sleep(0.05)
                sink.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.server.close()
        for sock in self.sockets:
            sock.close()


def test_a_broker_that_stops_answering_costs_a_call_its_timeout_never_a_hang(own_vhost, echo):
    """The call times out, and neither closing its connection (a graceful close waits for the broker's answer)
    nor opening the next one (the AMQP handshake) waits longer than its bound; answers again once it thaws."""
    parsed = urlparse(own_vhost.uri)
    proxy = FreezingProxy((parsed.hostname or "127.0.0.1", parsed.port or 5672))
    client = RpcClient(own_vhost.uri.replace(f"{parsed.hostname}:{parsed.port or 5672}",
                                             f"127.0.0.1:{proxy.port}"), timeout=1.0, connect_timeout=1.0)
    try:
        assert client.call("echo", "ping") == "pong"
        proxy.frozen.set()
        for _ in range(2):  # the pooled connection's call, then a new connection's handshake
            started = time.monotonic()
            with pytest.raises(ServiceUnavailable):
                client.call("echo", "ping")
            assert time.monotonic() - started < 1.0 + 2 * CLOSE_SECONDS + 0.5
        proxy.frozen.clear()
        assert client.call("echo", "ping") == "pong"
    finally:
        proxy.frozen.clear()
        client.close()
        proxy.close()
