"""The Prometheus scrape of a web process (the gateway's WSGI and stream apps), apart from
`metrics.py` so that a web process does not import nameko."""
from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from . import config


def exposition() -> tuple[str, bytes]:
    """The content type and body of a scrape: under gunicorn (PROMETHEUS_MULTIPROC_DIR) every worker's
    metrics merged, otherwise this process's."""
    registry = REGISTRY
    if config.prometheus_multiproc_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return CONTENT_TYPE_LATEST, generate_latest(registry)
