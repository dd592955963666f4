"""deploy/ensure-infra.sh as a normal user (issue 26): a server that is not running, or not installed, and
no terminal to ask for sudo on — one line saying what to run, at once, instead of waiting or a traceback."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support.stack import free_port  # free: nothing listens there

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "ensure-infra.sh"


def as_normal_user(*args: str, **env: str) -> subprocess.CompletedProcess:
    """The script run by `nobody` when the tests run as root (a copy in a directory anyone can read)."""
    python = shutil.which("python3", path="/usr/bin:/bin")  # the system's: a normal user may not read ours
    if python is None:
        pytest.skip("no system python3 for the script's reachability check")
    where = Path(tempfile.mkdtemp(prefix="ensure-infra-"))
    try:
        where.chmod(0o755)
        copy = where / "ensure-infra.sh"
        shutil.copy(SCRIPT, copy)
        copy.chmod(copy.stat().st_mode | stat.S_IROTH | stat.S_IXOTH)
        command = ["bash", str(copy), *args]
        if os.geteuid() == 0:
            runuser = shutil.which("runuser", path="/usr/sbin:/sbin:/usr/bin:/bin")
            if runuser is None:
                pytest.skip("root without runuser: no normal user to run the script as")
            command = [runuser, "-u", "nobody", "--", *command]
        environment = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHON_BIN": python, **env}
        return subprocess.run(command, cwd=where, env=environment, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=30)
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_a_local_broker_that_does_not_answer_gets_the_one_line_to_run():
    done = as_normal_user("broker", AMQP_URI=f"amqp://guest:guest@127.0.0.1:{free_port()}/")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0] in ("start RabbitMQ needs root; run: sudo rabbitmq-server -detached   (then this command again)",
                        "install RabbitMQ needs root; run: sudo apt-get install -y rabbitmq-server   "
                        "(then this command again)"), lines[0]


def test_a_broker_elsewhere_is_not_started_here():
    done = as_normal_user("broker", AMQP_URI="amqp://guest:guest@192.0.2.1:5672/")  # TEST-NET-1: never answers
    assert done.returncode == 1
    assert done.stderr.strip() == ("No RabbitMQ answers at 192.0.2.1:5672 (AMQP_URI=amqp://guest:guest@192.0.2.1:5672/):"
                                   " start it there, or point AMQP_URI at one")


def test_a_local_postgresql_that_does_not_answer_gets_the_one_line_to_run():
    done = as_normal_user("postgres", PGHOST="127.0.0.1", PGPORT=str(free_port()))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(("start PostgreSQL needs root; run: sudo pg_ctlcluster --skip-systemctl-redirect ",
                                "install PostgreSQL needs root; run: sudo apt-get install -y postgresql")), lines[0]
