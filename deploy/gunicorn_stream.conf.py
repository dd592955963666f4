"""gunicorn settings for the live stream: `gunicorn -c deploy/gunicorn_stream.conf.py gateway.stream.asgi:app`.

gunicorn's own ASGI worker (asyncio): a stream is a coroutine, not a thread, so one process holds thousands
(tests/bench/stream.py). Each worker has its one bus consumer; more workers add consumers, not streams per
process. A stream lives as long as its client: no request timeout applies to it, only the worker's
heartbeat to the master (`timeout`), and the keep-alive is long for the proxies in front."""
import os
import tempfile

from services.common.logs import gunicorn_logconfig

host = os.environ.get("STREAM_HOST") or os.environ.get("GATEWAY_HOST", "0.0.0.0")
bind = f"{host}:{os.environ.get('STREAM_PORT', '8090')}"
workers = int(os.environ.get("STREAM_WORKERS", "1"))
worker_class = "asgi"
worker_connections = int(os.environ.get("STREAM_MAX_PER_WORKER", "5000")) + 100  # the cap answers 503 below this
timeout = 30
graceful_timeout = 5
keepalive = 75
accesslog = None
logconfig_dict = gunicorn_logconfig("stream")  # gunicorn's own lines in the JSON stream, UTC with the zone
control_socket_disable = True

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="stream-metrics-")


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
