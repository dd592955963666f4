"""`python -m tests.support.doubled_runner <service>`: a service process whose outbox publishes every
event twice (`doubled.py`); test-only."""
from services.common import runner  # first: eventlet is patched before anything else is imported

from tests.support import doubled

if __name__ == "__main__":
    doubled.install()
    runner.main()
