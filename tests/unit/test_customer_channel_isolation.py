"""The customer channel kept apart from staff work (README "Operations", the channel's own workers): a gateway
process serves only the channel (`GATEWAY_SERVES=customer`) or only the staff side (`staff`), the same-origin front
(deploy/front.py) routes every request of a kept-alive connection by its path, and one car owner's token draws
from a rate-limit bucket of its own (`CUSTOMER_RATE_PER_MINUTE`), which no other caller can empty."""
from __future__ import annotations

import asyncio
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from falcon import testing

from deploy import front
from gateway import app as gateway_app
from gateway import mobile
from gateway.stream import document as stream_document
from gateway.app import create_app, default_deps, ensure_admin, routes
from gateway.config import Settings
from services.common.migrate import upgrade
from tests.support.stack import free_port
from tests.unit.conftest import SECRET, FakeRpc

CUSTOMER_A, CUSTOMER_B = "01CUSTOMERA000000000000000", "01CUSTOMERB000000000000000"


def build(tmp_path, serves: str = "all", customer_per_minute: int = 120):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    if not (tmp_path / "gateway.db").exists():
        upgrade("gateway", url)
    settings = Settings(amqp_uri="amqp://unused", database_url=url, jwt_secret=SECRET, admin_password="pw-admin-1",
                        serves=serves, customer_rate_per_minute=customer_per_minute, user_rate_per_minute=0)
    deps = default_deps(settings)
    deps.rpc = FakeRpc()
    deps.rpc.behaviour[("crm", "customer_vehicles")] = {"items": [], "next_cursor": None}
    deps.rpc.behaviour[("crm", "get_customer")] = {"id": "c1"}
    ensure_admin(deps)
    client = testing.TestClient(create_app(deps))
    client.deps = deps
    return client


def staff_headers(client) -> dict:
    token = client.deps.auth.tokens.issue(_admin(client))
    return {"Authorization": f"Bearer {token}"}


def _admin(client):
    from sqlalchemy import select

    from gateway.models import User
    with client.deps.identity_db() as session:
        return session.scalars(select(User).where(User.username == "admin")).one()


def customer_headers(client, customer_id: str = CUSTOMER_A) -> dict:
    return {"Authorization": f"Bearer {client.deps.auth.tokens.issue_customer(customer_id)}"}


# -- one gateway process, one side --------------------------------------------------------------------------------

def test_a_channel_gateway_answers_the_channel_and_the_probes_only(tmp_path):
    channel = build(tmp_path, "customer")
    assert channel.simulate_get("/c/v1/vehicles", headers=customer_headers(channel)).status_code == 200
    assert channel.simulate_get("/m/").status_code == 200 and "<html" in channel.simulate_get("/m/").text.lower()
    assert channel.simulate_get("/healthz").status_code == 200
    for path in ("/v1/me", "/v1/customers/c1", "/console/", "/openapi.json", "/"):
        assert channel.simulate_get(path, headers=staff_headers(channel)).status_code == 404, path
    assert channel.simulate_post("/v1/auth/login", json={"username": "admin", "password": "pw-admin-1"}
                                 ).status_code == 404
    assert [call[:2] for call in channel.deps.rpc.calls] == [("crm", "customer_vehicles")]


def test_a_staff_gateway_answers_everything_but_the_channel(tmp_path):
    staff = build(tmp_path, "staff")
    assert staff.simulate_get("/v1/customers/c1", headers=staff_headers(staff)).status_code == 200
    assert staff.simulate_get("/console/").status_code == 200 and staff.simulate_get("/healthz").status_code == 200
    for path in ("/c/v1/vehicles", "/m/", "/m/js/app.js"):
        assert staff.simulate_get(path, headers=customer_headers(staff)).status_code == 404, path
    assert staff.simulate_post("/c/v1/auth/code", json={"mobile": "13912345678"}).status_code == 404
    # the OpenAPI document still describes both sides: one API, served by two sets of workers
    paths = staff.simulate_get("/openapi.json").json["paths"]
    assert "/c/v1/vehicles" in paths and "/v1/customers" in paths


def test_the_default_gateway_serves_both_sides(tmp_path):
    both = build(tmp_path)
    assert both.simulate_get("/c/v1/vehicles", headers=customer_headers(both)).status_code == 200
    assert both.simulate_get("/v1/customers/c1", headers=staff_headers(both)).status_code == 200
    assert both.simulate_get("/m/").status_code == 200 and both.simulate_get("/console/").status_code == 200


def test_every_route_is_served_by_exactly_one_side(tmp_path):
    deps = build(tmp_path).deps
    table = routes(deps)
    staff = {path for path, _ in gateway_app.served(table, "staff")}
    channel = {path for path, _ in gateway_app.served(table, "customer")}
    assert staff | channel == {path for path, _ in table}
    assert staff & channel == gateway_app.EVERY_PROCESS
    assert channel - gateway_app.EVERY_PROCESS == {path for path, _ in table if path.startswith("/c/v1/")}
    assert {"/c/v1/auth/code", "/c/v1/timeline", "/c/v1/attachments/{attachment_id}"} <= channel


def test_gateway_serves_must_name_a_side(monkeypatch):
    monkeypatch.setenv("GATEWAY_SERVES", "phones")
    with pytest.raises(RuntimeError, match="GATEWAY_SERVES"):
        Settings(jwt_secret=SECRET)
    monkeypatch.setenv("GATEWAY_SERVES", "Customer")
    assert Settings(jwt_secret=SECRET).serves == "customer"


# -- one car owner cannot flood the channel -----------------------------------------------------------------------

def test_a_car_owner_has_a_rate_limit_of_their_own(tmp_path):
    channel = build(tmp_path, "customer", customer_per_minute=3)
    for _ in range(3):
        reply = channel.simulate_get("/c/v1/vehicles", headers=customer_headers(channel, CUSTOMER_A))
        assert reply.status_code == 200 and reply.headers["RateLimit-Limit"] == "3"
    refused = channel.simulate_get("/c/v1/vehicles", headers=customer_headers(channel, CUSTOMER_A))
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    # a new token of the same customer draws from the same bucket; another customer from their own
    assert channel.simulate_get("/c/v1/vehicles", headers=customer_headers(channel, CUSTOMER_A)).status_code == 429
    assert channel.simulate_get("/c/v1/vehicles", headers=customer_headers(channel, CUSTOMER_B)).status_code == 200


def test_nobody_can_spend_a_car_owners_calls(tmp_path):
    """The bucket is the token's customer: calls without a token, with a forged or a staff token, from the same
    address, never reach it, so nobody can get an innocent car owner refused."""
    channel = build(tmp_path, "customer", customer_per_minute=2)
    forged = {"Authorization": "Bearer " + customer_headers(channel)["Authorization"].split()[1][:-4] + "AAAA"}
    for headers in ({}, forged, staff_headers(channel)) * 5:
        assert channel.simulate_get("/c/v1/vehicles", headers=headers).status_code == 401
    for _ in range(2):
        assert channel.simulate_get("/c/v1/vehicles", headers=customer_headers(channel)).status_code == 200


def test_the_customer_limit_can_be_left_to_an_ingress(tmp_path):
    channel = build(tmp_path, "customer", customer_per_minute=0)
    for _ in range(5):
        reply = channel.simulate_get("/c/v1/vehicles", headers=customer_headers(channel))
        assert reply.status_code == 200 and "RateLimit-Limit" not in reply.headers


# -- the front routes each request by its path --------------------------------------------------------------------

def test_the_front_knows_the_gateways_channel_paths():
    assert front.CHANNEL_PREFIXES == (gateway_app.CHANNEL_PREFIX.encode(), mobile.PREFIX.encode())
    for line, channel in ((b"GET /c/v1/timeline?vehicle_id=1 HTTP/1.1", True), (b"POST /c/v1/auth/code HTTP/1.1", True),
                          (b"GET /m/ HTTP/1.1", True), (b"GET /m HTTP/1.1", True), (b"GET /m/js/app.js HTTP/1.1", True),
                          (b"GET http://shop.example/c/v1/me HTTP/1.1", True),
                          (b"GET /v1/customers HTTP/1.1", False), (b"GET /c/v10 HTTP/1.1", False),
                          (b"GET /media HTTP/1.1", False), (b"GET /console/ HTTP/1.1", False),
                          (b"GET /v1/c/v1 HTTP/1.1", False), (b"GET / HTTP/1.1", False)):
        assert front.is_channel(line) is channel, line
    assert front.is_stream(b"GET /v1/stream?store_id=1 HTTP/1.1") and not front.is_stream(b"GET /v1/streams HTTP/1.1")
    assert front.STREAM_PATHS == (stream_document.PATH.encode(), stream_document.CUSTOMER_PATH.encode())
    routed = front.Front("127.0.0.1", app_port=1, stream_port=2, customer_port=3)
    assert [routed.port_for(line) for line in (b"GET /v1/me HTTP/1.1", b"GET /v1/stream HTTP/1.1",
                                               b"GET /c/v1/me HTTP/1.1", b"GET /m/ HTTP/1.1",
                                               b"GET /c/v1/stream HTTP/1.1")] == [1, 2, 3, 3, 2]
    alone = front.Front("127.0.0.1", app_port=1, stream_port=2)  # no channel gateway: the gateway serves all
    assert alone.port_for(b"GET /c/v1/me HTTP/1.1") == 1


class Named(BaseHTTPRequestHandler):
    """An upstream that answers who it is, the request's path and the body it received (chunked or not)."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or ""):
            body = b""
            while (size := int(self.rfile.readline().split(b";")[0], 16)) != 0:
                body += self.rfile.read(size)
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b""):
                pass
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        text = f"{self.server.name} {self.command} {self.path} {body.decode()}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    do_GET = do_POST = _answer


@pytest.fixture
def routed_front():
    servers = {}
    for name in ("staff", "stream", "customer"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Named)
        server.name = name
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[name] = server
    port = free_port()
    loop = asyncio.new_event_loop()
    the_front = front.Front("127.0.0.1", servers["staff"].server_address[1], servers["stream"].server_address[1],
                            servers["customer"].server_address[1])
    task = loop.create_task(the_front.serve("127.0.0.1", port))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    connection = None
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.connect()
            break
        except OSError:
            threading.Event().wait(0.05)
    yield connection
    connection.close()
    loop.call_soon_threadsafe(task.cancel)
    loop.call_soon_threadsafe(loop.stop)
    for server in servers.values():
        server.shutdown()


def ask(connection, method: str, path: str, body=None, chunked: bool = False) -> str:
    connection.request(method, path, body=body, encode_chunked=chunked,
                       headers={"Transfer-Encoding": "chunked"} if chunked else {})
    reply = connection.getresponse()
    assert reply.status == 200
    return reply.read().decode()


def test_the_front_routes_every_request_of_one_connection_by_its_path(routed_front):
    connection = routed_front
    assert ask(connection, "GET", "/v1/customers/c1") == "staff GET /v1/customers/c1 "
    socket_used = connection.sock
    assert ask(connection, "GET", "/c/v1/timeline?vehicle_id=v1") == "customer GET /c/v1/timeline?vehicle_id=v1 "
    assert ask(connection, "POST", "/c/v1/auth/code", body=b'{"mobile": "13912345678"}') == \
        'customer POST /c/v1/auth/code {"mobile": "13912345678"}'
    assert ask(connection, "POST", "/v1/visits", body=iter([b"chunk one, ", b"chunk two"]), chunked=True) == \
        "staff POST /v1/visits chunk one, chunk two"
    assert ask(connection, "GET", "/m/") == "customer GET /m/ "
    assert ask(connection, "GET", "/v1/stream?store_id=s1") == "stream GET /v1/stream?store_id=s1 "
    assert ask(connection, "GET", "/console/") == "staff GET /console/ "
    assert connection.sock is socket_used  # one kept-alive client connection all along
