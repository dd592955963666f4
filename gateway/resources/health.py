"""Liveness, readiness, metrics and the OpenAPI document (all public)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import falcon
from sqlalchemy import text

from services.common.exposition import exposition

from ..api import endpoint
from ..rpc import RemoteError, ServiceUnavailable
from ..schemas import HealthOut
from . import Resource

READINESS_TIMEOUT = 2.0


class Healthz(Resource):
    @endpoint("The gateway process is up", tag="health", roles=None, response=HealthOut)
    def on_get(self, req, resp):
        return {"status": "ok", "services": {}}


class Readyz(Resource):
    @endpoint("Broker, identity database and every service answer", tag="health", roles=None, response=HealthOut)
    def on_get(self, req, resp):
        services = self.deps.settings.services
        with ThreadPoolExecutor(max_workers=len(services) + 1) as pool:
            checks = dict(zip(services, pool.map(self._ping, services), strict=True))
            checks["identity_db"] = pool.submit(self._identity_db).result()
        failing = sorted(name for name, state in checks.items() if state != "ok")
        if failing:
            resp.set_header("Retry-After", "5")
            resp.status = falcon.HTTP_503
            return {"status": "unavailable: " + ", ".join(failing), "services": checks}
        return {"status": "ok", "services": checks}

    def _ping(self, service: str) -> str:
        try:
            self.deps.rpc.call(service, "health", {"request_id": "readyz"}, timeout=READINESS_TIMEOUT)
            return "ok"
        except ServiceUnavailable as exc:
            return exc.reason
        except RemoteError as exc:
            return f"error: {exc.exc_type}"

    def _identity_db(self) -> str:
        try:
            with self.deps.identity_db() as session:
                session.execute(text("SELECT 1"))
            return "ok"
        except Exception as exc:  # readiness reports any failure rather than raising
            return f"error: {exc.__class__.__name__}"


class Metrics:
    """Prometheus exposition; under gunicorn the workers' metrics are merged (multiprocess mode)."""

    def on_get(self, req, resp):
        resp.content_type, resp.data = exposition()


class OpenApi:
    def __init__(self, document: dict):
        self.document = document

    def on_get(self, req, resp):
        resp.media = self.document


def routes(deps) -> list[tuple[str, object]]:
    return [("/healthz", Healthz(deps)), ("/readyz", Readyz(deps))]
