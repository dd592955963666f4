"""deploy/k8s/monitoring against the code: the kustomization renders and its built-in objects
validate; the PodMonitors select pods and ports the overlays really have; every metric the rules
and the dashboard name is one the code exports, a recording rule of ours, or one of RabbitMQ's
per-object metrics; the rules carry what an operations team watches."""
from __future__ import annotations

import copy
import json
import re

import pytest
import yaml
from prometheus_client import REGISTRY

import gateway.middleware  # noqa: F401 - registers the gateway's HTTP metrics
import gateway.rpc  # noqa: F401 - and its RPC metrics
import services.common.metrics  # noqa: F401 - the services' metrics
from tests.unit.test_k8s_manifests import (K8S, KUBECTL, containers, objects, render, schema_errors,
                                           template_labels)

MONITORING = K8S / "monitoring"
RABBITMQ_METRICS = {
    # rabbitmq_prometheus, /metrics/per-object (deps/rabbitmq_prometheus/metrics.md)
    "rabbitmq_queue_messages", "rabbitmq_queue_messages_ready", "rabbitmq_queue_messages_unacked",
    "rabbitmq_queue_consumers", "rabbitmq_queue_head_message_timestamp",
}
PROMETHEUS_BUILTINS = {"up"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"}
WATCHED = ("gateway_http_requests_total", "gateway_http_request_seconds_bucket", "rabbitmq_queue_messages",
           "rabbitmq_queue_head_message_timestamp", "service_event_dead_letters_total",
           "service_outbox_oldest_seconds", "service_db_pool_checked_out", "gateway_rpc_unavailable_total")


@pytest.fixture(scope="module")
def monitoring() -> list[dict]:
    if KUBECTL is None:
        pytest.skip("kubectl is not installed: `kubectl kustomize` renders deploy/k8s/monitoring")
    return render_dir()


def render_dir() -> list[dict]:
    import subprocess
    result = subprocess.run([KUBECTL, "kustomize", str(MONITORING)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def exported() -> set[str]:
    """Every sample name the code's metrics can produce."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    return {family.name + suffix for family in REGISTRY.collect() for suffix in suffixes.get(family.type, ("",))}


def expressions(docs: list[dict]) -> list[str]:
    found = []
    for doc in docs:
        if doc.get("kind") == "PrometheusRule":
            found += [rule["expr"] for group in doc["spec"]["groups"] for rule in group["rules"]]
        if doc.get("kind") == "ConfigMap":
            for text in (doc.get("data") or {}).values():
                found += [t["expr"] for panel in json.loads(text)["panels"] for t in panel["targets"]]
    return found


def recorded(docs: list[dict]) -> set[str]:
    return {rule["record"] for doc in docs if doc.get("kind") == "PrometheusRule"
            for group in doc["spec"]["groups"] for rule in group["rules"] if "record" in rule}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (strings, label matchers, groupings, durations,
    numbers and function calls taken out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b\d+(?:\.\d+)?(?:e-?\d+)?\b", "", text)
    names = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*(?!\s*\()\b", text))
    functions = set(re.findall(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*\(", text))
    return names - functions - KEYWORDS


def unknown_metrics(docs: list[dict]) -> list[str]:
    known = exported() | recorded(docs) | RABBITMQ_METRICS | PROMETHEUS_BUILTINS
    return sorted({name for expr in expressions(docs) for name in metric_names(expr)} - known)


def monitor_problems(docs: list[dict], overlays: dict[str, list[dict]]) -> list[str]:
    """Each PodMonitor selects pods of some overlay that have the port it scrapes."""
    found = []
    for name, monitor in objects(docs, "PodMonitor").items():
        if monitor.get("apiVersion") != "monitoring.coreos.com/v1":
            found.append(f"PodMonitor {name}: apiVersion {monitor.get('apiVersion')}")
        wanted = monitor["spec"]["selector"].get("matchLabels") or {}
        ports = {endpoint["port"] for endpoint in monitor["spec"]["podMetricsEndpoints"]}
        workloads = [w for rendered in overlays.values() for kind in ("Deployment", "StatefulSet")
                     for w in objects(rendered, kind).values()
                     if wanted and all(template_labels(w).get(k) == v for k, v in wanted.items())]
        if not workloads:
            found.append(f"PodMonitor {name} selects no pods")
        for workload in workloads:
            have = {p.get("name") for c in containers(workload) for p in c.get("ports") or []}
            if not ports <= have:
                found.append(f"PodMonitor {name}: {workload['metadata']['name']} has no port {sorted(ports - have)}")
    return found


def test_the_monitoring_objects_validate(monitoring):
    assert {doc["kind"] for doc in monitoring} == {"ConfigMap", "PodMonitor", "PrometheusRule"}
    assert schema_errors([doc for doc in monitoring if doc["kind"] == "ConfigMap"]) == []
    dashboard = objects(monitoring, "ConfigMap")["autoservice-dashboard"]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert {doc["metadata"].get("namespace") for doc in monitoring} == {"autoservice"}


def test_every_metric_named_is_exported_by_the_code_or_rabbitmq(monitoring):
    assert unknown_metrics(monitoring) == []
    names = {name for expr in expressions(monitoring) for name in metric_names(expr)}
    assert set(WATCHED) <= names  # error rate, p99, queue depth and age, dead letters, outbox age, pools


def test_a_metric_the_code_does_not_export_is_caught(monitoring):
    docs = copy.deepcopy(monitoring)
    rule = next(doc for doc in docs if doc["kind"] == "PrometheusRule")
    rule["spec"]["groups"][1]["rules"][0]["expr"] = 'sum(rate(service_rpc_latency_seconds_count{x="1"}[5m])) > 0'
    assert unknown_metrics(docs) == ["service_rpc_latency_seconds_count"]
    assert metric_names('histogram_quantile(0.99, sum by (le) (rate(a_b_bucket{q=~"x"}[5m]))) / 1e-9') == {"a_b_bucket"}


def test_the_pod_monitors_scrape_ports_the_pods_have(monitoring):
    overlays = {overlay: render(overlay) for overlay in ("production", "trial")}
    assert monitor_problems(monitoring, overlays) == []
    docs = copy.deepcopy(monitoring)
    objects(docs, "PodMonitor")["autoservice-services"]["spec"]["podMetricsEndpoints"][0]["port"] = "http"
    assert any("autoservice-services" in p and "no port" in p for p in monitor_problems(docs, overlays))
