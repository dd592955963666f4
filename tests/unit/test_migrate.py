"""The migration machinery and its CLI (`python -m services.common.migrate`), on SQLite: revisions
that import nothing of the application, a run that fails leaves the database as it was, and the
operators' commands (upgrade, downgrade, current, history, --help)."""
from __future__ import annotations

import ast
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from services.common.db import make_engine
from services.common.migrate import OWNERS, ROOT, current_revisions, main, script_directory, script_location
from tests.support.made_up_rows import MadeUpRows

# pinned libraries a backfill may compute with (pypinyin: parts' pinyin initials) are not the application's code
ALLOWED_IMPORTS = {"alembic", "sqlalchemy", "pypinyin", "cryptography", "__future__"} | set(sys.stdlib_module_names)
"""Kept libraries a revision may use as it found them (pypinyin for initials, cryptography for sealed secrets)."""
REVISIONS = sorted(path for owner in OWNERS for path in (script_location(owner) / "versions").glob("*.py"))


def imported_modules(path: Path) -> list[str]:
    """Every module a file imports, wherever the import stands (relative ones as '.name')."""
    modules = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in (
                "__import__", "import_module"):
            modules.append(ast.unparse(node))
    return modules


@pytest.mark.parametrize("path", REVISIONS, ids=lambda path: path.stem)
def test_a_revision_imports_only_alembic_sqlalchemy_and_the_standard_library(path):
    """A revision runs for years against whatever the application has become: a frozen copy of what it
    needs (SQL, sa.table literals) in the revision, never an import of code that changes."""
    foreign = [name for name in imported_modules(path) if name.split(".")[0] not in ALLOWED_IMPORTS]
    assert foreign == [], f"{path.relative_to(ROOT)} imports {foreign}"


def test_the_scan_sees_the_imports_a_revision_could_hide(tmp_path):
    revision = tmp_path / "r.py"
    revision.write_text("import os\nfrom alembic import op\n\ndef upgrade():\n"
                        "    from services.finance.domain.kpi_days import rebuild\n    from . import x\n"
                        "    importlib.import_module('services.crm.models')\n")
    assert imported_modules(revision) == ["os", "alembic", "services.finance.domain.kpi_days", ".",
                                          "importlib.import_module('services.crm.models')"]


def write_history(directory: Path, second_upgrade: str) -> Config:
    """A two-revision history run by the suite's own env (run_env): a parent and a child table with a
    row each, then `second_upgrade`."""
    (directory / "versions").mkdir(parents=True)
    (directory / "env.py").write_text("from sqlalchemy import MetaData\nfrom services.common.migrate import run_env\n"
                                      "run_env(MetaData())\n")
    (directory / "versions" / "a_first.py").write_text(
        "from alembic import op\nimport sqlalchemy as sa\nrevision = 'a'\ndown_revision = None\n"
        "def upgrade():\n"
        "    op.create_table('parents', sa.Column('id', sa.Integer, primary_key=True), sa.Column('name', sa.Text))\n"
        "    op.create_table('children', sa.Column('id', sa.Integer, primary_key=True),\n"
        "                    sa.Column('parent_id', sa.Integer, sa.ForeignKey('parents.id', ondelete='CASCADE')))\n"
        "    op.execute('INSERT INTO parents VALUES (1, \\'p\\')')\n"
        "    op.execute('INSERT INTO children VALUES (1, 1)')\n"
        "def downgrade():\n    op.drop_table('children')\n    op.drop_table('parents')\n")
    (directory / "versions" / "b_second.py").write_text(
        "from alembic import op\nimport sqlalchemy as sa\nrevision = 'b'\ndown_revision = 'a'\n"
        f"def upgrade():\n{second_upgrade}\ndef downgrade():\n    pass\n")
    config = Config()
    config.set_main_option("script_location", str(directory))
    return config


def table_rows(url: str) -> dict[str, list]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = {name: connection.exec_driver_sql(f"SELECT * FROM {name}").all()
                for name in inspect(connection).get_table_names()}
    engine.dispose()
    return rows


def test_sqlite_batch_mode_rebuilds_a_parent_table_and_keeps_its_children(tmp_path):
    """Batch mode copies a table and drops the old one: with foreign keys on, SQLite refused the drop of a
    referenced table (the issue's `FOREIGN KEY constraint failed`), or cascaded it into the children."""
    config = write_history(tmp_path / "history", "    with op.batch_alter_table('parents') as batch:\n"
                                                 "        batch.alter_column('name', nullable=False)\n")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    assert table_rows(url) == {"alembic_version": [("b",)], "parents": [(1, "p")], "children": [(1, 1)]}


def test_a_failed_sqlite_run_commits_nothing_and_rows_pointing_nowhere_fail_it(tmp_path):
    """Foreign keys are off while revisions run, so the check comes before the commit; the run is one
    transaction, so the first revision goes back too (before, SQLite kept each DDL statement)."""
    config = write_history(tmp_path / "history", "    op.execute('DELETE FROM parents')\n")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    config.set_main_option("sqlalchemy.url", url)
    with pytest.raises(RuntimeError, match="foreign keys point at nothing"):
        command.upgrade(config, "head")
    assert table_rows(url) == {}


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """The CLI on SQLite files under DATA_DIR (as `make run`)."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    for owner in OWNERS:
        monkeypatch.delenv(f"{owner.upper()}_DATABASE_URL", raising=False)
    return tmp_path


def first_and_head(owner: str) -> tuple[str, str]:
    revisions = [revision.revision for revision in script_directory(owner).walk_revisions()]
    return revisions[-1], revisions[0]


def run(capsys, *argv: str) -> str:
    main(list(argv))
    return capsys.readouterr().out


def test_migrate_without_arguments_upgrades_every_owner_to_head(data_dir, capsys):
    out = run(capsys)
    for owner in OWNERS:
        head = first_and_head(owner)[1]
        assert current_revisions(owner) == (head,)
        assert f"migrated {owner}: {head} (head)" in out
        with sqlite3.connect(data_dir / f"{owner}.db") as connection:  # as the services open it
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert run(capsys, "crm", "sales").splitlines() == [  # the migration jobs' form, a no-op now
        f"migrated crm: {first_and_head('crm')[1]} (head)", f"migrated sales: {first_and_head('sales')[1]} (head)"]


def test_downgrade_current_history_and_upgrade_to_a_revision(data_dir, capsys):
    first, head = first_and_head("crm")
    assert run(capsys, "upgrade", "crm", "--to", first) == f"migrated crm: {first}, behind head {head}: upgrade\n"
    assert run(capsys, "current", "crm") == f"crm: {first}, behind head {head}: upgrade\n"
    run(capsys, "upgrade", "crm")
    assert current_revisions("crm") == (head,)
    assert f"crm: {head} (head)" in run(capsys, "current")
    assert "gateway: not migrated (head " in run(capsys, "current")
    history = run(capsys, "history", "crm").splitlines()
    assert history[0].startswith(f"{head} <- ") and history[0].split()[3] == "(current)"
    assert history[-1] == f"{first} <- base  initial schema"
    assert run(capsys, "downgrade", "crm", first) == f"downgraded crm: {first}, behind head {head}: upgrade\n"
    assert current_revisions("crm") == (first,)
    run(capsys, "downgrade", "crm", "base")
    assert current_revisions("crm") == ()
    assert "customers" not in inspect(make_engine(f"sqlite:///{data_dir / 'crm.db'}")).get_table_names()


@pytest.mark.parametrize("argv, error", [
    (["nosuch"], "unknown owner 'nosuch'"),
    (["upgrade", "crm", "sales", "--to", "-1"], "--to names a revision of one owner"),
    (["downgrade", "crm"], "the following arguments are required: revision"),
    (["history"], "the following arguments are required: owner"),
])
def test_the_cli_refuses_what_it_cannot_do(argv, error, data_dir, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and error in capsys.readouterr().err
    assert all(current_revisions(owner) == () for owner in OWNERS)


def test_help_names_every_command_as_a_module():
    """`--help` used to answer "unknown owners ['--help']"."""
    done = subprocess.run([sys.executable, "-m", "services.common.migrate", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for word in ("upgrade", "downgrade", "current", "history", "revision", "DATA_DIR"):
        assert word in done.stdout


def test_made_up_rows_fill_every_table_respecting_keys_and_checks_and_see_a_lost_row(tmp_path):
    """The walk's own instrument (tests/integration/test_migrations.py): a row in every table, parents
    first, checks kept (NULL in the nullable columns where a value fails one), every other round NULL in
    the nullable columns; a row gone is reported, a table dropped forgets its rows."""
    engine = make_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    with engine.begin() as connection:
        for ddl in ("CREATE TABLE stock (id VARCHAR(3) PRIMARY KEY, on_hand NUMERIC(6, 4) NOT NULL,"
                    " reserved INTEGER NOT NULL, note TEXT, CHECK (reserved >= 0 AND reserved <= on_hand))",
                    "CREATE TABLE moves (id INTEGER PRIMARY KEY, stock_id VARCHAR(3) NOT NULL REFERENCES stock (id),"
                    " at DATETIME NOT NULL, data JSON)",
                    "CREATE TABLE notes (id INTEGER PRIMARY KEY, move_id INTEGER REFERENCES moves (id),"
                    " body TEXT CHECK (body IS NULL))"):
            connection.exec_driver_sql(ddl)
    rows = MadeUpRows(engine, first=199)  # past NUMERIC(6, 4)'s 99: a row's numbers wrap together
    rows.fill()
    rows.fill()
    with engine.connect() as connection:
        joined = "SELECT count(*) FROM moves m JOIN stock s ON s.id = m.stock_id"
        assert connection.exec_driver_sql(joined).scalar() == 2
        assert connection.exec_driver_sql("SELECT count(*) FROM notes WHERE move_id IS NULL").scalar() == 2
        assert connection.exec_driver_sql("SELECT count(*) FROM stock WHERE note IS NULL").scalar() == 1
    assert rows.lost() == {}
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM moves WHERE id = (SELECT max(id) FROM moves)")
        connection.exec_driver_sql("DROP TABLE notes")
    assert rows.lost() == {"moves": "1 of the 2 rows made are gone"}
    assert set(rows.kept) == {"stock", "moves"}
    engine.dispose()


def test_two_runs_at_once_on_sqlite_queue_one_behind_the_other(data_dir):
    """A run takes SQLite's write lock as it begins and reads the version inside it: the second finds head."""
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    runs = [subprocess.Popen([sys.executable, "-m", "services.common.migrate", "finance"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(run.wait(timeout=120), run.stderr.read()) for run in runs]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    assert current_revisions("finance") == (first_and_head("finance")[1],)
