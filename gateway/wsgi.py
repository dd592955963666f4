"""The WSGI entry for gunicorn: `gunicorn -c deploy/gunicorn.conf.py gateway.wsgi:app`."""
from services.common.logs import configure_logging
from services.common.tracing import configure_tracing

from .app import create_app, default_deps

configure_logging("gateway")
configure_tracing("gateway")
deps = default_deps()
app = create_app(deps)
