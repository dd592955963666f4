"""The ASGI entry: `gunicorn -c deploy/gunicorn_stream.conf.py gateway.stream.asgi:app`. Each worker
process starts its one bus consumer at startup (after the fork) and stops it at shutdown."""
from __future__ import annotations

import asyncio

from services.common import config
from services.common.logs import configure_logging

from ..auth_db import authenticator, identity_sessions
from ..config import Settings
from .app import create_app
from .bus import BusConsumer
from .hub import Hub

configure_logging("stream")


class Lifespan:
    def __init__(self, hub: Hub, amqp_uri: str):
        self.hub = hub
        self.amqp_uri = amqp_uri
        self.consumer: BusConsumer | None = None

    async def process_startup(self, scope, event) -> None:
        self.consumer = BusConsumer(self.amqp_uri, self.hub, asyncio.get_running_loop())
        self.consumer.start()

    async def process_shutdown(self, scope, event) -> None:
        if self.consumer is not None:
            await asyncio.to_thread(self.consumer.stop)


settings = Settings(webhook_secret_keys=())
"""The gateway's settings less the webhooks' sealing keys: the stream opens no webhook secret, so it is given no
WEBHOOK_SECRET_KEYS (and under APP_ENV=production the gateway's Settings would refuse to start without them)."""
hub = Hub(history=config.env_int("STREAM_HISTORY", 1000), buffer=config.env_int("STREAM_CLIENT_BUFFER", 256),
          limit=config.env_int("STREAM_MAX_PER_WORKER", 5000))
app = create_app(hub, authenticator(settings, identity_sessions(settings)),
                 heartbeat=config.env_float("STREAM_HEARTBEAT_SECONDS", 15))
app.add_middleware(Lifespan(hub, settings.amqp_uri))
