"""The Alipay sandbox served in the test's own process, with a receiver standing in for the gateway's
notify URL (it answers `success`), and finance's Alipay adapter configured for it."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from deploy.sandboxes import alipay as sandbox
from services.common.config import AlipaySettings
from services.finance.alipay import AlipayProvider
from tests.support.stack import free_port
from tests.support.wechatpay import Receiver, serve


@dataclass
class World:
    provider: AlipayProvider
    sandbox: sandbox.Sandbox
    receiver: Receiver

    @property
    def url(self) -> str:
        return self.sandbox.base_url

    def pay(self, url: str, deliveries: int = 1) -> dict:
        """The customer scans `url` (or opens the link) and pays; the notification is delivered `deliveries` times."""
        reply = requests.post(f"{self.url}/sandbox/pay", json={"url": url, "deliveries": deliveries}, timeout=30)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def down(self, down: bool = True) -> None:
        requests.post(f"{self.url}/sandbox/down", json={"down": down}, timeout=5).raise_for_status()


@contextmanager
def alipay_world(folder: Path) -> Iterator[World]:
    receiver, receiver_port, port = Receiver(headers=(), ack="success"), free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    app = sandbox.Sandbox(folder, base)
    servers = [serve(receiver, receiver_port), serve(app, port)]
    env = sandbox.credentials(folder, base)
    settings = AlipaySettings(appid=env["ALIPAY_APPID"], private_key_file=env["ALIPAY_PRIVATE_KEY_FILE"],
                              alipay_public_key_file=env["ALIPAY_PUBLIC_KEY_FILE"], base_url=env["ALIPAY_BASE_URL"],
                              notify_url=f"http://127.0.0.1:{receiver_port}/v1/payments/notify/alipay")
    try:
        yield World(AlipayProvider(settings), app, receiver)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
