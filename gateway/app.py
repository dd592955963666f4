"""`create_app(deps)`: the Falcon application, its routes and cross-cutting machinery."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

import falcon
from sqlalchemy.exc import IntegrityError


from . import console, errors, mobile, openapi
from .auth_db import authenticator, identity_sessions
from .config import Settings, data_path, write_private
from .identity import bootstrap_admin
from .middleware import RequestContext, SecurityHeaders
from .partners.admission import Admission
from .resources import Deps
from .resources import (accounts, attachments, audit, crm, customer, customer_care, customer_wechat, documents, fapiao,
                        finance, health, health_records, identity, insurers, inventory, partners, payables, payments,
                        refund_requests, report_subscriptions, sales, workshop)
from .rpc import RpcClient

log = logging.getLogger(__name__)


AREAS = (health, identity, crm, sales, workshop, inventory, finance, payables, accounts, insurers, payments, documents,
         audit, attachments, customer, customer_care, customer_wechat, partners, fapiao, health_records,
         refund_requests, report_subscriptions)
"""One resources module per area; each lists its own routes."""


CHANNEL_PREFIX = "/c/v1"
"""The customer channel's API; with the phone app (`mobile.PREFIX`) what a `GATEWAY_SERVES=customer` process answers."""
EVERY_PROCESS = frozenset({"/healthz", "/readyz"})
"""Routes every gateway process answers, whatever it serves (its probes)."""


def routes(deps: Deps) -> list[tuple[str, object]]:
    return [route for area in AREAS for route in area.routes(deps)]


def is_channel(path: str) -> bool:
    """A path of the customer channel: its API (`/c/v1/…`) or the phone app (`/m/…`)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in (CHANNEL_PREFIX, mobile.PREFIX))


def served(table: list[tuple[str, object]], serves: str) -> list[tuple[str, object]]:
    """The routes a process answers (`Settings.serves`): all, the staff's (everything but the channel) or the
    channel's; the probes in every process."""
    if serves == "all":
        return table
    wanted = serves == "customer"
    return [(path, resource) for path, resource in table if path in EVERY_PROCESS or is_channel(path) == wanted]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def create_app(deps: Deps) -> falcon.App:
    """The gateway; `GATEWAY_SERVES` (`deps.settings.serves`) narrows it to the staff side or the customer channel,
    any other path answering 404 there (the front, nginx or the Ingress routes each request by its path)."""
    bridge = deps.settings.wechat_bridge_url
    sandboxed = (mobile.PREFIX, origin_of(bridge)) if bridge else None
    app = falcon.App(middleware=(RequestContext(deps.settings.max_body_bytes, deps.settings.trusted_proxies),
                                 SecurityHeaders(console.PREFIX, mobile.PREFIX, file_origin=deps.storage.origin(),
                                                 sandboxed=sandboxed)))
    app.req_options.strip_url_path_trailing_slash = True
    errors.register(app)
    table = routes(deps)
    serves = deps.settings.serves
    for path, resource in served(table, serves):
        app.add_route(path, resource)
    app.add_route("/metrics", health.Metrics())
    if serves != "customer":
        app.add_route("/openapi.json", health.OpenApi(openapi.build(table)))  # the whole API, both sides
        console.mount(app)
    if serves != "staff":
        mobile.mount(app)
    return app


def default_deps(settings: Settings | None = None) -> Deps:
    settings = settings or Settings()
    sessions = identity_sessions(settings)
    rpc = RpcClient(settings.amqp_uri, timeout=settings.rpc_timeout)
    return Deps(settings=settings, rpc=rpc, auth=authenticator(settings, sessions), identity_db=sessions,
                admission=Admission(sessions, settings.user_rate_per_minute, settings.customer_rate_per_minute))


ADMIN_PASSWORD_FILE = "admin_password"
"""Under DATA_DIR: the bootstrap admin's generated password when no ADMIN_PASSWORD was given."""


def ensure_admin(deps: Deps) -> None:
    """First start with an empty identity database: create `admin` (see API.md, Bootstrap). A generated
    password goes into a file under DATA_DIR that only this user can read, never to stdout (container
    logs) or the log; the admin is created only if that file could be written."""
    path = data_path(ADMIN_PASSWORD_FILE)
    try:
        with deps.identity_db() as session, session.begin():
            generated = bootstrap_admin(session, deps.settings.admin_password)
            if generated:
                path.unlink(missing_ok=True)  # left by an identity database that was since dropped
                write_private(path, generated + "\n")
    except IntegrityError:  # another gateway replica bootstrapped at the same moment
        return
    except OSError as exc:
        raise RuntimeError(f"Cannot write the generated admin password to {path} ({exc.strerror}): "
                           "set ADMIN_PASSWORD, or give the gateway a writable DATA_DIR.") from exc
    if generated:
        print(f"Created user 'admin'; its generated password is in {path.resolve()} (mode 0600).", flush=True)
