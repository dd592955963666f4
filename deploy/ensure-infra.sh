#!/usr/bin/env bash
# Make sure the infrastructure named in the arguments (broker, postgres) answers; start a
# locally installed server if it does not, install one through apt where there is none; what needs
# root is run as root, through sudo with a prompt saying why when there is a terminal to ask on;
# otherwise stop with the one line to run.
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

as_root() {  # why command...: run it as root (sudo asks, saying why), or say the one line to run
  local why="$1"; shift
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
    echo "$why needs root: sudo $*" >&2
    sudo -p "[sudo] password for %u to $why: " "$@"
  else
    echo "$why needs root; run: sudo $*   (then this command again)" >&2
    exit 1
  fi
}

install_package() {  # what package
  if command -v apt-get >/dev/null 2>&1; then
    as_root "install $1" apt-get install -y "$2"
  else
    echo "No $1 here: install the $2 package (or point the settings at a running one) and run this again" >&2
    exit 1
  fi
}

broker() {
  read -r host port < <("$PY" -c "import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1].split(';')[0]); print(p.hostname or 'localhost', p.port or 5672)" "$AMQP_URI")
  reachable "$host" "$port" && return 0
  case "$host" in localhost|127.*|::1) ;; *)
    echo "No RabbitMQ answers at $host:$port (AMQP_URI=$AMQP_URI): start it there, or point AMQP_URI at one" >&2
    exit 1 ;;
  esac
  command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] \
    || install_package RabbitMQ rabbitmq-server
  echo "starting the local rabbitmq-server ..."
  # a node left half-started by an earlier run answers -detached with an error: wait for it all the same
  as_root "start RabbitMQ" rabbitmq-server -detached || echo "rabbitmq-server -detached failed; waiting for a node to answer" >&2
  wait_for RabbitMQ "$host" "$port" 180 "/var/log/rabbitmq/*.log"
  if command -v rabbitmqctl >/dev/null 2>&1; then as_root "wait for RabbitMQ" rabbitmqctl -q await_startup || true; fi
}

postgres() {
  local host="${PGHOST:-127.0.0.1}" port="${PGPORT:-5432}"
  reachable "$host" "$port" && return 0
  case "$host" in localhost|127.*|::1) ;; *)
    echo "No PostgreSQL answers at $host:$port: start it there, or point PGHOST/PGPORT and TEST_PG_URL at one" >&2
    exit 1 ;;
  esac
  [ -d /etc/postgresql ] || install_package PostgreSQL postgresql
  echo "starting the local PostgreSQL cluster ..."
  as_root "start PostgreSQL" pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_for PostgreSQL "$host" "$port" 60 "/var/log/postgresql/*.log"
}

for what in "$@"; do "$what"; done
