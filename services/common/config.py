"""Configuration from the environment (12-factor): one place that names every variable."""
from __future__ import annotations

import os
from pathlib import Path

SERVICES = ("crm", "sales", "workshop", "inventory", "finance")
"""Every domain service; the gateway's own identity database is configured like one."""

DEFAULT_AMQP_URI = "amqp://guest:guest@localhost:5672/"


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)


def data_dir() -> Path:
    return Path(os.environ.get("DATA_DIR", "./var"))


def database_url(owner: str) -> str:
    """`<OWNER>_DATABASE_URL`, else a SQLite file per owner under DATA_DIR."""
    explicit = os.environ.get(f"{owner.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    directory = data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory.resolve() / owner}.db"


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def stop_timeout() -> float:
    """Seconds a service process waits for a graceful stop after SIGTERM before killing its workers
    (inside the services' 60 s Kubernetes grace period; crm's deployment sets 290 of its 300)."""
    return env_float("STOP_TIMEOUT", 50)


def metrics_port() -> int:
    """`METRICS_PORT`: where a service process serves `/metrics` and its liveness `/healthz`; 0 (the
    default, as under `make run` where five processes share a host) serves neither."""
    return env_int("METRICS_PORT", 0)


def nameko_config() -> dict:
    """The nameko container config a service process runs with."""
    return {
        "AMQP_URI": amqp_uri(),
        "max_workers": env_int("MAX_WORKERS", 10),
        "PREFETCH_COUNT": env_int("PREFETCH_COUNT", 10),
        "HEARTBEAT": env_int("AMQP_HEARTBEAT", 30),
        "serializer": "json",
    }
