"""Container healthcheck: `python -m services.common.healthcheck crm`.

Readiness (and startup): exits 0 if the service answers its `health` RPC (which also touches its
database) within TIMEOUT seconds, else 1: unknown service, no reply, broker unreachable or a remote
error. Used by docker-compose and the Kubernetes readiness/startup probes; liveness is the process-only
`/healthz` on METRICS_PORT (`metrics.app`), which no broker or database outage fails. With replicas,
any one of them may answer (competing consumers).
"""
import os
import signal
import sys
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko imports it

from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from . import config  # noqa: E402

TIMEOUT = 3


def main(service: str) -> int:
    signal.signal(signal.SIGALRM, lambda *_: os._exit(1))  # hard deadline, connecting included
    signal.alarm(TIMEOUT + 1)
    try:
        with ClusterRpcProxy({"AMQP_URI": config.amqp_uri()}, timeout=TIMEOUT,
                             context_data={"request_id": "healthcheck"}) as rpc:
            return 0 if rpc[service].health().get("status") == "ok" else 1
    except Exception:  # any failure means unhealthy
        return 1


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in config.SERVICES:
        sys.exit(f"usage: python -m services.common.healthcheck {{{','.join(config.SERVICES)}}}")
    sys.exit(main(sys.argv[1]))
