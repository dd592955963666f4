"""Run one service process: `python -m services.common.runner crm`.

Used instead of the `nameko run` CLI so that eventlet and psycogreen are patched before
anything else is imported, logging is structured, and config comes from the environment.
"""
from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko 2 runs on it

import eventlet  # noqa: E402

eventlet.monkey_patch()  # must precede every other import

import importlib  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from psycogreen.eventlet import patch_psycopg  # noqa: E402

from . import config  # noqa: E402
from .logs import configure_logging  # noqa: E402
from .tracing import configure_tracing  # noqa: E402

log = logging.getLogger(__name__)
KILL_TIMEOUT = 5  # seconds nameko's kill gets after the graceful stop timed out


def service_class(name: str):
    module = importlib.import_module(f"services.{name}.service")
    return module.SERVICE


def stop_within(runner, seconds: float) -> None:
    """Stop gracefully (running workers finish, in-flight messages are acked or requeued); if that has
    not happened within `seconds`, kill the containers; if even that hangs (nameko's consumers retry
    a connection to a broker that is down forever and never look up), leave at once. Nothing is lost:
    unacknowledged messages go back to their queue, uncommitted transactions roll back, committed
    events wait in the outbox for the next process's sweep."""
    if _finished_within(seconds, runner.stop):
        return
    log.warning("graceful stop timed out, killing", extra={"seconds": seconds})
    if _finished_within(KILL_TIMEOUT, runner.kill):
        return
    log.error("kill timed out, exiting", extra={"seconds": KILL_TIMEOUT})
    logging.shutdown()
    os._exit(1)


def _finished_within(seconds: float, step) -> bool:
    try:
        with eventlet.Timeout(seconds):
            step()
    except eventlet.Timeout:
        return False
    return True


def serve_metrics(port: int) -> None:
    """`/metrics` and the liveness `/healthz` on `port` (none when 0), up before the service connects to
    the broker: liveness does not wait for, nor depend on, RabbitMQ or the database."""
    if not port:
        return
    import eventlet.wsgi

    from .metrics import app
    eventlet.spawn_n(eventlet.wsgi.server, eventlet.listen(("0.0.0.0", port)), app(), log_output=False)
    log.info("metrics served", extra={"port": port})


def main(argv: list[str] | None = None) -> None:
    from nameko.runners import ServiceRunner

    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1 or args[0] not in config.SERVICES:
        sys.exit(f"usage: python -m services.common.runner {{{','.join(config.SERVICES)}}}")
    name = args[0]
    patch_psycopg()
    configure_logging(name)
    configure_tracing(name)
    from .retention import event_retention
    event_retention()  # a retention inside the redelivery window is refused before anything runs
    from .preflight import check_or_exit
    check_or_exit(config.amqp_uri(), {f"{name.upper()}_DATABASE_URL": config.database_url(name)})

    runner = ServiceRunner(config.nameko_config())
    runner.add_service(service_class(name))

    def shutdown(signum, _frame):
        log.info("stopping", extra={"signal": signum})
        eventlet.spawn_n(stop_within, runner, config.stop_timeout())

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    serve_metrics(config.metrics_port())
    runner.start()
    log.info("service started", extra={"service": name})
    runner.wait()


if __name__ == "__main__":
    main()
