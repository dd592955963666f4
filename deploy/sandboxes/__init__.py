"""Local stand-ins of outside providers, speaking their documented HTTP protocols (tests and `make run`)."""
from __future__ import annotations

from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # the access log would only repeat what the tests assert
        pass


def wsgi_server(app, host: str, port: int) -> WSGIServer:
    """A sandbox's server: a thread per request, no access log (`port` 0: any free one)."""
    return make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
