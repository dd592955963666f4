#!/usr/bin/env bash
# Make sure the infrastructure named in the arguments (broker, postgres) answers; start a
# locally installed server if it does not; otherwise stop with instructions.
set -euo pipefail
AMQP_URI="${AMQP_URI:-amqp://guest:guest@localhost:5672/}"
PY="${PYTHON_BIN:-.venv/bin/python}"

reachable() {  # host port
  "$PY" - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError:
    sys.exit(1)
PY
}

wait_for() {  # what host port seconds [log glob]
  for _ in $(seq 1 "$4"); do reachable "$2" "$3" && return 0; sleep 1; done
  echo "$1 did not come up on $2:$3 within $4 s" >&2
  [ -n "${5:-}" ] && tail -n 40 $5 >&2 2>/dev/null
  exit 1
}

broker() {
  read -r host port < <("$PY" -c "import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1].split(';')[0]); print(p.hostname or 'localhost', p.port or 5672)" "$AMQP_URI")
  reachable "$host" "$port" && return 0
  if command -v rabbitmq-server >/dev/null 2>&1; then
    echo "starting the local rabbitmq-server ..."
    # a node left half-started by an earlier run answers -detached with an error: wait for it all the same
    rabbitmq-server -detached || echo "rabbitmq-server -detached failed; waiting for a node to answer" >&2
    wait_for RabbitMQ "$host" "$port" 180 "/var/log/rabbitmq/*.log"
    command -v rabbitmqctl >/dev/null 2>&1 && rabbitmqctl -q await_startup || true
  else
    cat >&2 <<MSG
No RabbitMQ answers at $host:$port (AMQP_URI=$AMQP_URI).
Install one (Debian/Ubuntu: sudo apt-get install rabbitmq-server), point AMQP_URI at one,
or run the whole suite in containers: docker compose up
MSG
    exit 1
  fi
}

postgres() {
  local host="${PGHOST:-127.0.0.1}" port="${PGPORT:-5432}"
  reachable "$host" "$port" && return 0
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "starting the local PostgreSQL cluster ..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    wait_for PostgreSQL "$host" "$port" 60 "/var/log/postgresql/*.log"
  else
    echo "No PostgreSQL answers at $host:$port; the tests need one (TEST_PG_URL)." >&2
    exit 1
  fi
}

for what in "$@"; do "$what"; done
