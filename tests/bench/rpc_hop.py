"""What one nameko RPC hop costs against raw AMQP request/reply, on this machine, in one run.

    .venv/bin/python -m tests.bench.rpc_hop [--calls 1000] [--json out.json]

Starts its own stack (tests/bench/harness.py: five services + gateway, private RabbitMQ vhost,
private PostgreSQL databases) and measures, all on loopback, sequential calls:

1. raw AMQP request/reply with pika: an echo responder thread (own connection) and a client with
   an exclusive reply queue, with the request and reply bodies (and headers) of the hop in 2
   (`1.`, the denominator of the ratio) and of crm.get_customer (`1c.`, whose reply the script
   captures from crm first); for reference the gateway's `RpcClient` against that echo responder;
2. one nameko RPC hop: crm's `ping` (a worker, no database) through `gateway.rpc.RpcClient`;
   `health` (plus `SELECT 1`), an unknown method (answered without a worker) and nameko's
   standalone `ClusterRpcProxy` for reference.

Prints a table and the ratio with its target (hop / raw <= 2x). A benchmark script, not a test.
"""
from __future__ import annotations

import json
import sys
import threading
import time
import uuid

import jwt
import pika

from gateway.rpc import RPC_EXCHANGE, RemoteError, RpcClient
from tests.bench.harness import bench_parser, header_line, interleaved, run_on_stack, step, timed, verdict
from tests.support import data

HOP_TARGET = 2.0  # nameko hop median / raw AMQP median, at most
ECHO_SERVICE = "bench_echo"  # the echo responder listens where a nameko service of this name would
HEALTH_REPLY = {"result": {"service": "crm", "status": "ok"}, "error": None}  # what crm.ping/health answer


def rpc_request(**kwargs) -> bytes:
    """A nameko RPC request body, as gateway.rpc encodes it."""
    return json.dumps({"args": [], "kwargs": kwargs}, ensure_ascii=False, default=str).encode()


def rpc_context() -> dict:
    """What the gateway sends along with every RPC (see gateway.auth.Principal.rpc_context)."""
    return {"request_id": uuid.uuid4().hex, "user_id": "bench-user-" + uuid.uuid4().hex[:8],
            "role": "hq_admin", "store_ids": ""}


def nameko_headers(context: dict) -> dict:
    return {f"nameko.{key}": value for key, value in context.items()}


# -- 1. raw AMQP ----------------------------------------------------------------------------------

class EchoResponder(threading.Thread):
    """Answers `bench_echo.<method>` with the fixed reply body given for that method.

    Same topology and acknowledgement as a nameko service: bound to the `nameko-rpc` topic
    exchange, prefetch 10, the reply is published (transient, no confirms) before the ack.
    """

    def __init__(self, amqp_uri: str, replies: dict[str, bytes]):
        super().__init__(name="echo-responder", daemon=True)
        self.parameters = pika.URLParameters(amqp_uri)
        self.replies = replies
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            connection = pika.BlockingConnection(self.parameters)
            channel = connection.channel()
            channel.exchange_declare(RPC_EXCHANGE, exchange_type="topic", durable=True)
            queue = f"rpc-{ECHO_SERVICE}"
            channel.queue_declare(queue, exclusive=True, auto_delete=True)
            channel.queue_bind(queue, RPC_EXCHANGE, routing_key=f"{ECHO_SERVICE}.*")
            channel.basic_qos(prefetch_count=10)
            channel.basic_consume(queue, self._on_request)
            self.ready.set()
            while not self.stopping.is_set():
                connection.process_data_events(time_limit=0.2)
            connection.close()
        except BaseException as exc:  # reported by the main thread
            self.error = exc
            self.ready.set()

    def _on_request(self, channel, method, properties, _body: bytes) -> None:
        reply = self.replies[method.routing_key.rpartition(".")[2]]
        channel.basic_publish(RPC_EXCHANGE, properties.reply_to, reply, pika.BasicProperties(
            correlation_id=properties.correlation_id, content_type="application/json",
            content_encoding="utf-8", delivery_mode=1))
        channel.basic_ack(method.delivery_tag)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


class RawClient:
    """A plain pika request/reply client: one connection, an exclusive reply queue, one call at a time.

    Requests carry the given headers (the gateway's `nameko.*` context) and are transient."""

    def __init__(self, amqp_uri: str, headers: dict):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.reply_queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        self.channel.queue_bind(self.reply_queue, RPC_EXCHANGE, routing_key=self.reply_queue)
        self.channel.basic_consume(self.reply_queue, self._on_reply, auto_ack=True)
        self.replies: dict[str, bytes] = {}
        self.headers = headers

    def _on_reply(self, _channel, _method, properties, body: bytes) -> None:
        self.replies[properties.correlation_id] = body

    def request(self, routing_key: str, body: bytes) -> bytes:
        correlation_id = uuid.uuid4().hex
        self.channel.basic_publish(RPC_EXCHANGE, routing_key, body, pika.BasicProperties(
            reply_to=self.reply_queue, correlation_id=correlation_id, content_type="application/json",
            content_encoding="utf-8", delivery_mode=1, headers=self.headers))
        deadline = time.monotonic() + 5
        while correlation_id not in self.replies:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no reply to {routing_key} within 5 s")
            self.connection.process_data_events(time_limit=1)
        return self.replies.pop(correlation_id)

    def close(self) -> None:
        self.connection.close()


# -- the run -----------------------------------------------------------------------------------------

def measure(args, stack, amqp_uri: str) -> dict:
    figures: dict = {}
    n, warmup = args.calls, args.warmup

    # crm.get_customer's reply as it is on the wire, for the echo of 1c
    admin = stack.login()
    reply = admin.post(f"{stack.url}/v1/customers", json={
        "name": "张伟", "mobile": data.mobile(), "gender": "male", "birthday": "1985-04-12",
        "tags": ["vip"], "marketing_consent": True})
    if reply.status_code != 201:
        raise RuntimeError(f"POST /v1/customers: {reply.status_code} {reply.text[:300]}")
    token = admin.headers["Authorization"].split()[1]
    admin.close()
    admin_context = {**rpc_context(), "user_id": jwt.decode(token, options={"verify_signature": False})["sub"]}
    context = rpc_context()
    health_request = rpc_request()
    customer_request = rpc_request(customer_id=reply.json()["id"])
    probe = RawClient(amqp_uri, nameko_headers(admin_context))
    try:
        customer_reply = probe.request("crm.get_customer", customer_request)
    finally:
        probe.close()
    if json.loads(customer_reply).get("error"):
        raise RuntimeError(f"crm.get_customer: {customer_reply[:300]!r}")
    figures["payload_bytes"] = {"health": [len(health_request), len(json.dumps(HEALTH_REPLY))],
                                "get_customer": [len(customer_request), len(customer_reply)]}

    # 1. and 2., interleaved: raw AMQP against an echo responder, the gateway's client against it,
    # and the nameko hops (crm.ping: a worker, no database; crm.health: plus SELECT 1; an unknown
    # method: answered by crm's rpc consumer itself, no worker, no DB)
    echo = EchoResponder(amqp_uri, {"health": json.dumps(HEALTH_REPLY).encode(), "get_customer": customer_reply})
    echo.start()
    if not echo.ready.wait(10) or echo.error:
        raise RuntimeError(f"echo responder did not start: {echo.error!r}")
    client = RpcClient(amqp_uri, timeout=5)
    raw = RawClient(amqp_uri, nameko_headers(context))
    try:
        if json.loads(raw.request(f"{ECHO_SERVICE}.health", health_request)) != HEALTH_REPLY:
            raise RuntimeError("echo responder answered something else")
        for method in ("ping", "health"):
            if client.call("crm", method, context) != HEALTH_REPLY["result"]:
                raise RuntimeError(f"crm.{method} answered something else")

        def unknown_method():
            try:
                client.call("crm", "bench_no_such_method", context)
            except RemoteError as exc:
                if exc.exc_type != "MethodNotFound":
                    raise
            else:
                raise RuntimeError("crm answered an unknown method")

        step(f"raw AMQP, RpcClient->echo, crm.ping, crm.health, unknown method: {n} calls each, interleaved")
        figures.update(interleaved({
            "raw_amqp": lambda: raw.request(f"{ECHO_SERVICE}.health", health_request),
            "raw_amqp_customer_size": lambda: raw.request(f"{ECHO_SERVICE}.get_customer", customer_request),
            "rpcclient_echo": lambda: client.call(ECHO_SERVICE, "health", context),
            "hop_rpcclient": lambda: client.call("crm", "ping", context),
            "hop_health": lambda: client.call("crm", "health", context),
            "hop_no_worker": unknown_method}, n, warmup))
    finally:
        raw.close()
        client.close()
        echo.stop()

    step(f"nameko hop crm.ping via ClusterRpcProxy, {n} calls")
    from nameko.standalone.rpc import ClusterRpcProxy
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=5, context_data=rpc_context()) as proxy:
        figures["hop_clusterrpcproxy"] = timed(proxy.crm.ping, n, warmup)

    figures["ratio_hop_over_raw"] = figures["hop_rpcclient"]["median_ms"] / figures["raw_amqp"]["median_ms"]
    figures["hop_pass"] = figures["ratio_hop_over_raw"] <= HOP_TARGET
    return figures


def table(figures: dict, meta: dict) -> str:
    def latency(name: str, key: str, note: str = "") -> str:
        f = figures[key]
        return f"| {name} | {f['median_ms']:.2f} | {f['p99_ms']:.2f} | {note} |"

    hop = figures["ratio_hop_over_raw"]
    lines = [
        f"{header_line(meta)}, {figures['raw_amqp']['calls']} sequential calls per row",
        "",
        "| measurement | median ms | p99 ms | note |",
        "|---|---|---|---|",
        latency("1. raw AMQP request/reply (pika ↔ pika echo)", "raw_amqp",
                "transient, no confirms; request {} B, reply {} B (as 2)".format(
                    *figures["payload_bytes"]["health"])),
        latency("1b. gateway RpcClient ↔ pika echo", "rpcclient_echo", "client cost, no service"),
        latency("1c. raw AMQP, get_customer-sized", "raw_amqp_customer_size",
                "request {} B, reply {} B".format(*figures["payload_bytes"]["get_customer"])),
        latency("2. nameko hop crm.ping via gateway RpcClient", "hop_rpcclient", "a worker, no database"),
        latency("2d. crm.health via gateway RpcClient", "hop_health", "the hop plus SELECT 1 on PostgreSQL"),
        latency("2b. nameko hop crm.ping via ClusterRpcProxy", "hop_clusterrpcproxy",
                "reference; persistent + confirms"),
        latency("2c. crm, unknown method via gateway RpcClient", "hop_no_worker",
                "reference; MethodNotFound reply, no worker, no DB"),
        "",
        "| ratio | value | target | result |",
        "|---|---|---|---|",
        f"| nameko hop ÷ raw AMQP (medians) | {hop:.2f}× | ≤ {HOP_TARGET:g}× | {verdict(figures['hop_pass'])} |",
        f"| (reference) 2c ÷ 1: nameko consume→reply, no worker | "
        f"{figures['hop_no_worker']['median_ms'] / figures['raw_amqp']['median_ms']:.2f}× | | |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("rpc_hop", __doc__)
    parser.add_argument("--calls", type=int, default=1000, help="sequential calls per row (1000)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed calls before each row (50)")
    args = parser.parse_args(argv)
    if not 1 <= args.calls <= 100_000:
        parser.error("keep --calls in 1..100000")
    return run_on_stack("rpc_hop", args, lambda stack, amqp_uri: measure(args, stack, amqp_uri), table)


if __name__ == "__main__":
    sys.exit(main())
