"""Benchmark of the crm CSV import: generate a CSV (default 100,000 rows, about 0.2% bad on purpose:
wrong mobiles, impossible dates, VIN check digits, missing names), import it into a fresh database,
then import it again (the re-run must create nothing) and print rows/s for both.

    .venv/bin/python -m tests.bench.crm_import                       # fresh SQLite file in a temp dir
    .venv/bin/python -m tests.bench.crm_import --pg                  # fresh PostgreSQL database (TEST_PG_URL)
    .venv/bin/python -m tests.bench.crm_import --rows 20000 --keep /tmp/customers.csv

A script, not a pytest test.
"""
from __future__ import annotations

import argparse
import csv
import io
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from services.common.migrate import upgrade
from services.common.validators import vin_check_digit
from services.crm.importer import run
from tests.support.infra import PG_ADMIN_URL

HEADER = ["name", "mobile", "gender", "birthday", "home_store_id", "source", "tags", "marketing_consent", "notes",
          "plate", "vin", "make", "model", "year", "color", "mileage_km"]
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """Writes the CSV and returns how many rows are bad on purpose."""
    rnd = random.Random(seed)
    bad = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            body = f"LSVAU2180N{i:07d}"
            row = [f"客户{i}", f"137{i:08d}", rnd.choice(["male", "female", "unknown"]),
                   f"19{rnd.randint(50, 99)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}", "", "walk_in",
                   "vip;老客户" if i % 10 == 0 else "", rnd.choice(["1", "0", "是"]), "",
                   "粤" + "ABCDEFGHJKLMNPQRS"[i % 17] + "".join(PLATE_CHARS[(i // 34 ** k) % 34] for k in range(5)),
                   body[:8] + vin_check_digit(body[:8] + "0" + body[9:]) + body[9:], "丰田", "卡罗拉",
                   str(rnd.randint(2005, 2025)), "白", str(rnd.randint(0, 200_000))]
            broken = False
            if i % 997 == 0:
                row[1], broken = "12345", True
            if i % 1999 == 0:
                row[3], broken = "1990-13-01", True
            if i % 2503 == 0:
                row[10], broken = "LSVAU2180N0000000", True
            if i % 4001 == 0:
                row[0], broken = "", True
            bad += broken
            writer.writerow(row)
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg", action="store_true", help="import into a fresh PostgreSQL database")
    parser.add_argument("--no-events", action="store_true")
    parser.add_argument("--keep", type=Path, help="write the generated CSV here and keep it")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="crm-import-"))
    path = args.keep or workdir / "customers.csv"
    expected_bad = generate(path, args.rows)
    admin = None
    if args.pg:
        name = f"bench_crm_{secrets.token_hex(4)}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{workdir / 'crm.db'}"
    try:
        upgrade("crm", url)
        for label in ("first import", "re-run"):
            out = io.StringIO()
            started = time.monotonic()
            status = run(path, url, events=not args.no_events, out=out, err=io.StringIO())
            elapsed = time.monotonic() - started
            print(f"{label:>12}: {args.rows / elapsed:8,.0f} rows/s  ({elapsed:.1f} s, exit {status})  "
                  f"{out.getvalue().strip()}")
        print(f"bad rows generated on purpose: {expected_bad}; database: {'PostgreSQL' if args.pg else 'SQLite'}")
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
