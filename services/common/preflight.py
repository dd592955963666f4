"""Refuse to start on settings that can never work: the broker refusing our login or vhost, a database URL that
is no URL, names an unknown database or role, or whose password is refused. Each is one structured log line
naming what to fix and a non-zero exit within seconds, instead of a process that retries (and logs tracebacks)
forever. A broker or database that does not answer yet is not such a case: it may be starting, so the process
starts and keeps retrying as before (its readiness says so)."""
from __future__ import annotations

import logging
import re
import sys

from amqp.exceptions import AccessRefused, NotAllowed
from kombu import Connection
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from .config import amqp_addresses

log = logging.getLogger(__name__)

EXIT_CONFIG = 78  # sysexits.h EX_CONFIG: a supervisor or orchestrator shows it as a configuration error
CONNECT_SECONDS = 5
DATABASE_REFUSALS = ("password authentication failed", "does not exist", "no password supplied",
                     "permission denied for database", "pg_hba.conf", "unable to open database file")
"""What a database answers to a URL that names the wrong database, role or password (PostgreSQL, SQLite)."""


class Misconfigured(Exception):
    """A setting that no retry can fix; the message says which and why (never a password)."""


def without_password(uri: str) -> str:
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", uri)


def check_broker(uri: str) -> None:
    """The broker accepts our login and vhost (the first node that answers is asked: a cluster's nodes share
    users and vhosts)."""
    for address in amqp_addresses(uri):
        connection = Connection(address, connect_timeout=CONNECT_SECONDS)
        try:
            connection.connect()
        except AccessRefused as exc:
            raise Misconfigured(f"the message broker refused the login of AMQP_URI {without_password(address)} "
                                f"(wrong user or password): {exc}") from exc
        except NotAllowed as exc:
            raise Misconfigured(f"the message broker refused the vhost of AMQP_URI {without_password(address)} "
                                f"(no such vhost, or the user has no access to it): {exc}") from exc
        except Exception as exc:  # unreachable or still starting: the next node, or retried later
            log.warning("message broker not reachable at start", extra={
                "address": without_password(address), "error": repr(exc)[:300]})
            continue
        finally:
            connection.release()
        return


def check_database(variable: str, url: str) -> None:
    """The database of `variable` (its URL) accepts us, or answers a way no retry changes."""
    try:
        parsed = make_url(url)
        shown = parsed.render_as_string(hide_password=True)
        engine = create_engine(url, connect_args={"connect_timeout": CONNECT_SECONDS}
                               if parsed.get_backend_name() == "postgresql" else {})
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise Misconfigured(f"{variable} is not a database URL this program can use: {exc}") from exc
    try:
        with engine.connect():
            return
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        if any(refusal in reason for refusal in DATABASE_REFUSALS):
            raise Misconfigured(f"{variable} ({shown}) is refused: {reason}") from exc
        log.warning("database not reachable at start", extra={"url": shown, "error": reason[:300]})
    finally:
        engine.dispose()


def check_or_exit(amqp_uri: str, databases: dict[str, str]) -> None:
    """Run the checks; on a misconfiguration log one line and leave with EXIT_CONFIG."""
    try:
        check_broker(amqp_uri)
        for variable, url in databases.items():
            check_database(variable, url)
    except Misconfigured as exc:
        log.error("cannot start: %s", exc, extra={"exit_code": EXIT_CONFIG})
        logging.shutdown()
        sys.exit(EXIT_CONFIG)
