"""deploy/postgres/ run as the postgres image runs it, on a private PostgreSQL server this test starts: each
owner's role reaches its own database and no other, with the password passwords.sh set from the environment."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from services.common.migrate import OWNERS
from tests.support.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
SUPERUSER = "autoservice"


def as_postgres(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    """PostgreSQL's programs refuse to run as root: run them as the `postgres` account when we are root."""
    prefix = ["runuser", "-u", "postgres", "--preserve-environment", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + argv, capture_output=True, text=True, timeout=60, **kwargs)


@pytest.fixture(scope="module")
def server():
    if not BINARIES:
        pytest.skip("PostgreSQL's server programs (initdb) are not installed")
    bin_dir = Path(BINARIES[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="pg-owners-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    port = free_port()
    env = {**os.environ, "PGHOST": str(folder), "PGPORT": str(port)}
    done = as_postgres([str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", SUPERUSER, "--auth-local=trust",
                        "--auth-host=scram-sha-256"], env=env)
    assert done.returncode == 0, done.stderr
    done = as_postgres([str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-w", "-o",
                        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start"], env=env)
    assert done.returncode == 0, done.stderr
    try:
        yield env, port
    finally:
        as_postgres([str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"], env=env)
        shutil.rmtree(folder, ignore_errors=True)


def connect(port: int, user: str, password: str, database: str):
    engine = create_engine(f"postgresql+psycopg2://{user}:{password}@127.0.0.1:{port}/{database}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS probe (id integer)"))  # its tables are its own to make
            return conn.execute(text("SELECT current_user")).scalar()
    finally:
        engine.dispose()


def test_each_owner_reaches_its_own_database_and_no_other(server):
    env, port = server
    passwords = {owner: f"{owner}-Pa55-{port}" for owner in OWNERS}
    owners_env = {**env, "POSTGRES_USER": SUPERUSER, **{f"{o.upper()}_DB_PASSWORD": p for o, p in passwords.items()}}
    done = as_postgres(["psql", "-v", "ON_ERROR_STOP=1", "-q", "-U", SUPERUSER, "-d", "postgres", "-f",
                        str(ROOT / "deploy/postgres/init.sql")], env=env)
    assert done.returncode == 0, done.stderr
    unset = as_postgres(["sh", str(ROOT / "deploy/postgres/passwords.sh")],
                        env={k: v for k, v in owners_env.items() if k != "SALES_DB_PASSWORD"})
    assert unset.returncode != 0 and "SALES_DB_PASSWORD is not set" in unset.stderr
    done = as_postgres(["sh", str(ROOT / "deploy/postgres/passwords.sh")], env=owners_env)
    assert done.returncode == 0, done.stderr

    for owner in OWNERS:
        assert connect(port, owner, passwords[owner], owner) == owner
    for owner, other in zip(OWNERS, OWNERS[1:] + OWNERS[:1], strict=True):
        with pytest.raises(OperationalError, match=f'permission denied for database "{other}"'):
            connect(port, owner, passwords[owner], other)
    with pytest.raises(OperationalError, match="password authentication failed"):
        connect(port, "crm", passwords["sales"], "crm")
