"""Scraping a Prometheus endpoint in tests: samples by name and labels."""
from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset], float]


def scrape(url: str) -> Samples:
    reply = requests.get(url, timeout=10)
    assert reply.status_code == 200, reply.text
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(reply.text) for sample in family.samples}


def service_metrics(stack, service: str) -> Samples:
    """The metrics of one service process of a `tests.support.stack.Stack` (its METRICS_PORT)."""
    return scrape(f"http://127.0.0.1:{stack.metrics_ports[service]}/metrics")


def value(samples: Samples, name: str, **labels) -> float:
    """Sum of the samples named `name` whose labels include `labels` (0 when there is none)."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= have)
