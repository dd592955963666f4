"""gunicorn settings for the gateway: `gunicorn -c deploy/gunicorn.conf.py gateway.wsgi:app`.

gthread workers: nameko's eventlet cannot share a process with gevent, and gunicorn 26+
has no eventlet worker; each thread borrows a pooled broker connection per RPC.
"""
import os
import tempfile

from services.common.logs import gunicorn_logconfig

# GATEWAY_APP_PORT when a same-origin front (deploy/front.py, `make run`) holds GATEWAY_PORT
port = os.environ.get("GATEWAY_APP_PORT") or os.environ.get("GATEWAY_PORT", "8080")
bind = f"{os.environ.get('GATEWAY_HOST', '0.0.0.0')}:{port}"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GATEWAY_THREADS", "16"))
timeout = 30
graceful_timeout = 10
# An idle kept-alive connection is closed by whichever end times out first; the closing races a request the other
# end sends at that moment (the client sees the connection drop under it: `RemoteDisconnected`). So the gateway
# waits longer than what sits in front of it: the ingress controller's 60 s upstream keep-alive, the same-origin
# front (deploy/front.py, which ends a client's connection with its upstream's), a console left open between clicks.
# An idle connection costs gthread no thread (it waits in the poller).
keepalive = 75
accesslog = None  # the gateway writes its own structured access log
logconfig_dict = gunicorn_logconfig("gateway")  # gunicorn's own lines in the JSON stream, UTC with the zone
max_requests = int(os.environ.get("GATEWAY_MAX_REQUESTS", "0"))
# No control socket: by default every gunicorn on a host binds the same $HOME/.gunicorn/gunicorn.ctl (the
# last to stop deletes it) and fails where the home is not writable. Workers are managed with signals
# (TERM, HUP, TTIN/TTOU) by the supervisor or the orchestrator instead of gunicornc.
control_socket_disable = True

# Prometheus multiprocess mode: /metrics merges every worker's samples.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gateway-metrics-")


def on_starting(server):
    """Refuse to start on a broker login or vhost, or an identity database URL, that can never work
    (services/common/preflight.py: one log line, exit 78); then create the bootstrap admin on an empty
    identity database (once, in the master)."""
    from gateway.app import default_deps, ensure_admin
    from gateway.config import Settings
    from services.common.logs import configure_logging
    from services.common.preflight import check_or_exit

    configure_logging("gateway")
    settings = Settings()
    check_or_exit(settings.amqp_uri, {"GATEWAY_DATABASE_URL": settings.database_url})
    deps = default_deps(settings)
    ensure_admin(deps)
    deps.identity_db.kw["bind"].dispose()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
