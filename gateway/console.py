"""The staff console: static files (plain ES modules, no build step) served under `/console/`.
It is one more client of the public API, so none of its files appear in the OpenAPI document."""
from __future__ import annotations

from pathlib import Path

import falcon

CONSOLE_DIR = Path(__file__).resolve().parent / "console"
PREFIX = "/console"


class RootRedirect:
    """`/` opens the console."""

    def on_get(self, req, resp):
        raise falcon.HTTPFound(f"{PREFIX}/")


def mount(app: falcon.App) -> None:
    app.add_static_route(PREFIX, CONSOLE_DIR, fallback_filename="index.html")
    app.add_route("/", RootRedirect())
