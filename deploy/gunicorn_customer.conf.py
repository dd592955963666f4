"""gunicorn settings for the customer channel's own gateway:
`gunicorn -c deploy/gunicorn_customer.conf.py gateway.wsgi:app`.

The same gateway code and settings as deploy/gunicorn.conf.py, serving only the car owners' API (`/c/v1`) and
their phone app (`/m`) (`GATEWAY_SERVES=customer`), with a budget of its own: `CUSTOMER_GATEWAY_WORKERS`
processes of `CUSTOMER_GATEWAY_THREADS` threads. Car owners' requests wait for these threads (and the broker
connections they borrow, at most one per thread and RPC in flight) and never for the staff gateway's, however many
phones poll; the staff gateway runs with `GATEWAY_SERVES=staff`. `make run` and the test stacks put both behind
deploy/front.py, docker-compose.yml behind nginx (deploy/nginx/front.conf), Kubernetes behind the Ingress
(deploy/k8s/base/gateway.yaml), each routing every request by its path.
"""
import os
from pathlib import Path

# Everything of the staff gateway's configuration (drain, metrics, preflight, the bootstrap admin) ...
exec(compile((Path(__file__).parent / "gunicorn.conf.py").read_text(), "deploy/gunicorn.conf.py", "exec"))

# ... but its own port and budget, and the channel's routes alone.
port = os.environ.get("CUSTOMER_GATEWAY_PORT", "8080")
bind = f"{os.environ.get('GATEWAY_HOST', '0.0.0.0')}:{port}"
workers = int(os.environ.get("CUSTOMER_GATEWAY_WORKERS", "1"))
threads = int(os.environ.get("CUSTOMER_GATEWAY_THREADS", "4"))
raw_env = ["GATEWAY_SERVES=customer"]


def on_starting(server):  # replaces the staff gateway's: no bootstrap admin here
    """Refuse to start on a broker login or vhost, or an identity database URL, that can never work (one log
    line, exit 78). The bootstrap admin is the staff gateway's to create (its generated password goes to that
    gateway's DATA_DIR), so this process never needs ADMIN_PASSWORD."""
    from gateway.config import Settings
    from services.common.logs import configure_logging
    from services.common.preflight import check_or_exit

    configure_logging("gateway")
    settings = Settings()
    check_or_exit(settings.amqp_uri, {"GATEWAY_DATABASE_URL": settings.database_url})
