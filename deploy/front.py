"""The same-origin front of `make run` and the test stacks: one port for the console, the API, the customer channel
and the live stream, as the Kubernetes Ingresses give one host in production (deploy/k8s/base/stream.yaml routes
both streams to the stream, deploy/k8s/base/gateway.yaml `/c/v1` and `/m` to the customer channel's gateway and the
rest to the staff gateway) and nginx one port in docker-compose.yml (deploy/nginx/front.conf).

Like them it routes each request by its path, a kept-alive connection's requests one by one: `/v1/stream` (and
the car owners' `/c/v1/stream`) to the stream process (`STREAM_PORT`), the customer channel (`/c/v1`, the phone
app `/m`) to its own gateway (`CUSTOMER_GATEWAY_PORT`, when set; README "Operations"), everything else to the
staff gateway's gunicorn (`GATEWAY_APP_PORT`). It reads only what it needs to find where a request ends (its
head, then `Content-Length` bytes or the chunks of a chunked body) and passes the bytes on untouched (no header
rewritten, no body buffered, answers copied back as they come), so every gateway sees its clients at this front's
address. A client connection holds at most one connection to each upstream; one that closes ends the client's
connection when it served the client's last request (as gunicorn closing a kept-alive connection would), and is
opened again when next needed; the client leaving closes them all.
Pipelined requests to two different upstreams could be answered out of order: no browser or HTTP library pipelines.

`python -m deploy.front` (GATEWAY_PORT, GATEWAY_APP_PORT, STREAM_PORT, CUSTOMER_GATEWAY_PORT from the
environment)."""
from __future__ import annotations

import asyncio
import contextlib
import os

STREAM_PATHS = (b"/v1/stream", b"/c/v1/stream")
"""The stream's paths, staff and car owners' (gateway/stream/document.py; tests/unit)."""
CHANNEL_PREFIXES = (b"/c/v1", b"/m")
"""The customer channel's paths: gateway/app.py `CHANNEL_PREFIX` and gateway/mobile.py `PREFIX` (tests/unit)."""
HEAD_LIMIT = 1 << 20
"""A request's head (request line and headers) up to 1 MiB reaches the gateway, which answers a longer line or
header than its own limits (414, 431) as it would alone; a longer head is answered 431 here."""
COPY_CHUNK = 65536


def path_of(first_line: bytes) -> bytes:
    """`GET /c/v1/timeline?vehicle_id=… HTTP/1.1` → `/c/v1/timeline` (an absolute-form target keeps its path)."""
    parts = first_line.split(b" ")
    target = parts[1] if len(parts) >= 2 else b""
    if target.startswith((b"http://", b"https://")):
        target = b"/" + target.split(b"/", 3)[3] if target.count(b"/") >= 3 else b"/"
    return target.split(b"?", 1)[0].split(b"#", 1)[0]


def is_stream(first_line: bytes) -> bool:
    """`GET /v1/stream?… HTTP/1.1` (or `/c/v1/stream`): a stream's path, with or without a query."""
    return path_of(first_line) in STREAM_PATHS


def is_channel(first_line: bytes) -> bool:
    """The customer channel: `/c/v1`, `/c/v1/…`, `/m`, `/m/…` (not `/c/v10`, not `/media`)."""
    path = path_of(first_line)
    return any(path == prefix or path.startswith(prefix + b"/") for prefix in CHANNEL_PREFIXES)


def headers_of(head: bytes) -> dict[bytes, bytes]:
    """The head's headers, names in lower case (a repeated one: the values joined by commas)."""
    found: dict[bytes, bytes] = {}
    for line in head.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon:
            key = name.strip().lower()
            found[key] = found[key] + b"," + value.strip() if key in found else value.strip()
    return found


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, close: bool = True) -> None:
    """`reader`'s bytes to `writer` as they come, until `reader` ends; then `writer` is closed, unless `close` is
    False (an upstream's answers to a client whose connection stays open for its next request)."""
    try:
        while data := await reader.read(COPY_CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        if close:
            with contextlib.suppress(Exception):
                writer.close()


async def copy_exactly(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, size: int) -> None:
    while size > 0:
        data = await reader.read(min(size, COPY_CHUNK))
        if not data:
            raise asyncio.IncompleteReadError(b"", size)
        writer.write(data)
        await writer.drain()
        size -= len(data)


async def copy_chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    """A chunked body, its last chunk and trailers included; False when a chunk's size is no number (the rest of
    the connection then goes to the same upstream as it comes, which answers the malformed request)."""
    while True:
        line = await reader.readuntil(b"\r\n")
        writer.write(line)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            return False
        if size == 0:
            while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                writer.write(trailer)
            writer.write(trailer)
            await writer.drain()
            return True
        await copy_exactly(reader, writer, size + 2)  # the data and its CRLF


class Upstream:
    """One connection to a gateway or the stream for one client connection, its answers copied to the client."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.answers: asyncio.Task | None = None

    @property
    def open(self) -> bool:
        return self.answers is not None and not self.answers.done() and not self.writer.is_closing()


class Front:
    def __init__(self, host: str, app_port: int, stream_port: int, customer_port: int | None = None):
        self.host = host
        self.app_port = app_port
        self.stream_port = stream_port
        self.customer_port = customer_port

    def port_for(self, first_line: bytes) -> int:
        if is_stream(first_line):
            return self.stream_port
        if self.customer_port and is_channel(first_line):
            return self.customer_port
        return self.app_port

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstreams: dict[int, Upstream] = {}
        last: list[int] = [0]  # the port that served the client's latest request

        async def answers(port: int, upstream: Upstream) -> None:
            await pipe(upstream.reader, writer, close=False)
            if upstreams.get(port) is upstream:
                del upstreams[port]
            with contextlib.suppress(Exception):
                upstream.writer.close()
            if last[0] == port:  # the upstream of the client's latest request closed: so does the client's
                with contextlib.suppress(Exception):
                    writer.close()

        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break  # the client is done
                except asyncio.LimitOverrunError:
                    writer.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
                                 b"Connection: close\r\n\r\n")
                    with contextlib.suppress(Exception):
                        await writer.drain()
                    break
                head = head.lstrip(b"\r\n")
                if not head:
                    continue
                first_line = head.split(b"\r\n", 1)[0]
                port = self.port_for(first_line)
                upstream = upstreams.get(port)
                if upstream is None or not upstream.open:
                    try:
                        up_reader, up_writer = await asyncio.open_connection(self.host, port)
                    except OSError:
                        writer.write(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n"
                                     b"Connection: close\r\n\r\n")
                        with contextlib.suppress(Exception):
                            await writer.drain()
                        break
                    upstream = upstreams[port] = Upstream(up_reader, up_writer)
                    upstream.answers = asyncio.ensure_future(answers(port, upstream))
                last[0] = port
                upstream.writer.write(head)
                headers = headers_of(head)
                if b"upgrade" in headers and b"upgrade" in headers.get(b"connection", b"").lower():
                    await pipe(reader, upstream.writer)  # a protocol of its own from here on, on this upstream
                    break
                if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
                    if not await copy_chunked(reader, upstream.writer):
                        await pipe(reader, upstream.writer)
                        break
                else:
                    try:
                        length = int(headers.get(b"content-length", b"0"))
                    except ValueError:  # the gateway answers 400 and closes
                        length = 0
                    await copy_exactly(reader, upstream.writer, max(length, 0))
                await upstream.writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            current = upstreams.get(last[0])
            if current is not None and current.answers is not None and current.writer.is_closing():
                # the upstream answered before the whole body and closed (413, 400): that answer reaches the client
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(current.answers), timeout=10)
        finally:  # the client is gone (or its upstream closed): so are its upstream connections, as before
            for upstream in list(upstreams.values()):
                with contextlib.suppress(Exception):
                    upstream.writer.close()
            with contextlib.suppress(Exception):
                writer.close()

    async def serve(self, host: str, port: int) -> None:
        server = await asyncio.start_server(self.handle, host, port, limit=HEAD_LIMIT, backlog=1024)
        async with server:
            await server.serve_forever()


def main() -> None:
    host = os.environ.get("GATEWAY_HOST", "0.0.0.0")
    customer = os.environ.get("CUSTOMER_GATEWAY_PORT")
    front = Front("127.0.0.1", int(os.environ["GATEWAY_APP_PORT"]), int(os.environ.get("STREAM_PORT", "8090")),
                  int(customer) if customer else None)
    asyncio.run(front.serve(host, int(os.environ.get("GATEWAY_PORT", "8080"))))


if __name__ == "__main__":
    main()
