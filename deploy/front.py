"""The same-origin front of `make run` and the test stacks: one port for the console, the API and the live
stream, as the Kubernetes Ingresses give one host in production (deploy/k8s/base/stream.yaml routes `/v1/stream`
to the stream, deploy/k8s/base/gateway.yaml the rest to the gateway) and nginx one port in docker-compose.yml
(deploy/nginx/front.conf). Those route each request by its path; this front routes each connection.

Each connection goes whole to the stream process (`STREAM_PORT`) when its first request is for `/v1/stream`,
else to the gateway's gunicorn (`GATEWAY_APP_PORT`); the bytes pass untouched (no header rewritten, no body
buffered), so the gateway sees every client at this front's address. A kept-alive stream connection that later
asks another path is answered with a redirect on a new connection (`gateway/stream/app.py` `Elsewhere`); the
gateway has no `/v1/stream` (404 on a kept-alive API connection), so the console reads the stream on
connections of its own (`credentials: "omit"`, README "Live screens").

`python -m deploy.front` (GATEWAY_PORT, GATEWAY_APP_PORT, STREAM_PORT from the environment)."""
from __future__ import annotations

import asyncio
import contextlib
import os

STREAM_PREFIX = b"/v1/stream"
FIRST_LINE_LIMIT = 1 << 20
"""Longer request lines than gunicorn's (4 KiB) reach it, and it answers them (414) as it would alone."""


def is_stream(first_line: bytes) -> bool:
    """`GET /v1/stream?… HTTP/1.1`: the stream's path, with or without a query."""
    parts = first_line.split(b" ")
    return len(parts) >= 2 and (parts[1] == STREAM_PREFIX or parts[1].startswith(STREAM_PREFIX + b"?"))


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class Front:
    def __init__(self, host: str, app_port: int, stream_port: int):
        self.host = host
        self.app_port = app_port
        self.stream_port = stream_port

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            first = await reader.readuntil(b"\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        port = self.stream_port if is_stream(first) else self.app_port
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, port)
        except OSError:
            writer.write(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            with contextlib.suppress(Exception):
                await writer.drain()
            writer.close()
            return
        up_writer.write(first)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def serve(self, host: str, port: int) -> None:
        server = await asyncio.start_server(self.handle, host, port, limit=FIRST_LINE_LIMIT, backlog=1024)
        async with server:
            await server.serve_forever()


def main() -> None:
    host = os.environ.get("GATEWAY_HOST", "0.0.0.0")
    front = Front("127.0.0.1", int(os.environ["GATEWAY_APP_PORT"]), int(os.environ.get("STREAM_PORT", "8090")))
    asyncio.run(front.serve(host, int(os.environ.get("GATEWAY_PORT", "8080"))))


if __name__ == "__main__":
    main()
