"""The customers' phone app (车主端): static files (plain ES modules, no build step) served under `/m/`,
one more client of the public API (`/c/v1/`), so none of its files appear in the OpenAPI document."""
from __future__ import annotations

from pathlib import Path

import falcon

MOBILE_DIR = Path(__file__).resolve().parent / "mobile"
PREFIX = "/m"


def mount(app: falcon.App) -> None:
    app.add_static_route(PREFIX, MOBILE_DIR, fallback_filename="index.html")
