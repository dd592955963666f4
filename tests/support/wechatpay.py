"""The WeChat Pay sandbox served in the test's own process, with a receiver standing in for the
gateway's notify URL, and finance's provider adapter configured for it."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from deploy.sandboxes import wechatpay as sandbox
from deploy.sandboxes import wsgi_server
from services.common.config import WeChatPaySettings
from services.contracts.rpc.finance import WECHATPAY_NOTIFICATION_HEADERS
from services.finance.wechatpay import WeChatPayProvider
from tests.support.stack import free_port


class Receiver:
    """Keeps each notification that arrives: its provider headers (the `Wechatpay-*` ones) and body; answers
    `ack` (Alipay's `success`) or an empty 204."""

    def __init__(self, headers: tuple[str, ...] = WECHATPAY_NOTIFICATION_HEADERS, ack: str | None = None):
        self.received: list[tuple[dict, str]] = []
        self.headers, self.ack = headers, ack

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        self.received.append(({name: environ.get("HTTP_" + name.upper().replace("-", "_"), "")
                               for name in self.headers}, body))
        if self.ack is None:
            start_response("204 No Content", [])
            return [b""]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [self.ack.encode()]


@dataclass
class World:
    provider: WeChatPayProvider
    sandbox: sandbox.Sandbox
    receiver: Receiver

    @property
    def url(self) -> str:
        return self.sandbox.base_url

    def pay(self, url: str, deliveries: int = 1) -> dict:
        """The customer scans `url` and pays; the notification is delivered `deliveries` times."""
        reply = requests.post(f"{self.url}/sandbox/pay", json={"url": url, "deliveries": deliveries}, timeout=30)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def down(self, down: bool = True) -> None:
        requests.post(f"{self.url}/sandbox/down", json={"down": down}, timeout=5).raise_for_status()


def serve(app, port: int):
    server = wsgi_server(app, "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextmanager
def wechatpay_world(folder: Path) -> Iterator[World]:
    receiver, receiver_port, port = Receiver(), free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    app = sandbox.Sandbox(folder, base)
    servers = [serve(receiver, receiver_port), serve(app, port)]
    env = sandbox.credentials(folder, base)
    settings = WeChatPaySettings(
        mchid=env["WECHATPAY_MCHID"], appid=env["WECHATPAY_APPID"], cert_serial_no=env["WECHATPAY_CERT_SERIAL_NO"],
        private_key_file=env["WECHATPAY_PRIVATE_KEY_FILE"], apiv3_key=env["WECHATPAY_APIV3_KEY"],
        notify_url=f"http://127.0.0.1:{receiver_port}/v1/payments/notify/wechat", base_url=base)
    try:
        yield World(WeChatPayProvider(settings), app, receiver)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
