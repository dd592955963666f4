"""Import customers and vehicles from a CSV file into crm's database.

    python -m services.crm.importer customers.csv [--store-id STORE] [--errors bad_rows.csv]
                                    [--batch 1000] [--no-events] [--encoding utf-8-sig|gbk]

The file (UTF-8, with or without BOM; `--encoding gbk` for older Excel exports) has a header row.
Columns (only `name` and `mobile` are required; unknown columns are ignored):

    name, mobile, gender (male/female/unknown), birthday (YYYY-MM-DD), home_store_id, source,
    tags (separated by ; or |), marketing_consent (1/0, yes/no, true/false, 是/否), notes,
    plate, vin, make, model, year, color, mileage_km

One row is one customer and at most one vehicle; a customer with two cars is two rows with the
same mobile. Bad rows are reported with their line number and reason and do not stop the import
(all of them go to `--errors` as CSV). Running the same file again changes nothing: customers are
matched by mobile, vehicles by plate/VIN. Each imported customer and vehicle is announced as
`crm.customer_registered` / `crm.vehicle_registered` through the outbox (the running crm service
relays them) unless `--no-events`. The database is `CRM_DATABASE_URL` (or `--database-url`).

Exit status: 0 all rows imported or already there, 2 finished with bad rows, 1 could not run.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from services.common import config
from services.common.db import make_engine

from .domain.imports import COLUMNS, REQUIRED_COLUMNS, Importer

SHOWN_BAD_ROWS = 20


class ProgressBar:
    """A one-line progress bar on a terminal (plain periodic lines when not a terminal)."""

    def __init__(self, total: int, stream, width: int = 30):
        self.total = max(total, 1)
        self.stream = stream
        self.width = width
        self.started = time.monotonic()
        self.last = 0.0
        self.tty = stream.isatty()

    def update(self, done: int, bad: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = now
        fraction = min(done / self.total, 1.0)
        filled = int(fraction * self.width)
        rate = done / max(now - self.started, 1e-9)
        line = (f"[{'#' * filled}{'.' * (self.width - filled)}] {fraction:6.1%} {done}/{self.total} rows"
                f"  {rate:,.0f} rows/s  bad: {bad}")
        self.stream.write(("\r" + line) if self.tty else (line + "\n"))
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def count_data_rows(path: Path, encoding: str) -> int:
    with path.open(newline="", encoding=encoding, errors="replace") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def run(path: Path, database_url: str, *, store_id: str | None = None, batch: int = 1000, events: bool = True,
        encoding: str = "utf-8-sig", errors_path: Path | None = None, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    total = count_data_rows(path, encoding)
    engine = make_engine(database_url)
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    importer = Importer(session, default_store_id=store_id, events=events)
    bar = ProgressBar(total, err)
    started = time.monotonic()
    try:
        with path.open(newline="", encoding=encoding) as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            missing = [name for name in REQUIRED_COLUMNS if name not in header]
            if missing:
                err.write(f"{path}: the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})\n")
                return 1
            reader.fieldnames = header
            # parse the next batch while the database writes the previous one (the driver waits
            # without holding the GIL); one batch in flight keeps memory flat and order intact
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-import-writer") as writer:
                in_flight = None
                pending: list[tuple[int, dict]] = []
                last_line = reader.line_num  # a quoted field may span lines: report where a row starts
                for row in reader:
                    pending.append((last_line + 1, row))
                    last_line = reader.line_num
                    if len(pending) >= batch:
                        parsed, bad = importer.parse_batch(pending)
                        if in_flight is not None:
                            in_flight.result()
                            bar.update(importer.totals.rows, len(importer.totals.bad))
                        in_flight = writer.submit(importer.apply_batch, len(pending), parsed, bad)
                        pending = []
                parsed, bad = importer.parse_batch(pending)
                if in_flight is not None:
                    in_flight.result()
                importer.apply_batch(len(pending), parsed, bad)
    except UnicodeDecodeError as exc:
        err.write(f"\n{path}: not {encoding} text ({exc.reason}); try --encoding gbk\n")
        return 1
    finally:
        session.close()
        engine.dispose()
    elapsed = time.monotonic() - started
    totals = importer.totals
    totals.bad.sort(key=lambda bad: bad.line)
    bar.update(totals.rows, len(totals.bad), force=True)
    bar.close()
    for bad_row in totals.bad[:SHOWN_BAD_ROWS]:
        err.write(f"line {bad_row.line}: {bad_row.reason}\n")
    if len(totals.bad) > SHOWN_BAD_ROWS:
        err.write(f"… and {len(totals.bad) - SHOWN_BAD_ROWS} more bad rows"
                  + (f" (all in {errors_path})" if errors_path else " (use --errors FILE for all)") + "\n")
    if errors_path and totals.bad:
        with errors_path.open("w", newline="", encoding="utf-8") as handle:
            listed = csv.writer(handle)
            listed.writerow(["line", "reason"])
            listed.writerows([bad_row.line, bad_row.reason] for bad_row in totals.bad)
    out.write(f"rows: {totals.rows}  customers created: {totals.customers_created}"
              f"  already there: {totals.customers_existing}  vehicles created: {totals.vehicles_created}"
              f"  already there: {totals.vehicles_existing}  bad rows: {len(totals.bad)}"
              f"  time: {elapsed:.1f}s  rate: {totals.rows / max(elapsed, 1e-9):,.0f} rows/s\n")
    return 2 if totals.bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.crm.importer", description=__doc__.split("\n\n")[0],
                                     epilog="See the module docstring for the CSV format.")
    parser.add_argument("csv", type=Path)
    parser.add_argument("--database-url", default=None, help="default: CRM_DATABASE_URL or DATA_DIR/crm.db")
    parser.add_argument("--store-id", default=None, help="home store for rows that name none")
    parser.add_argument("--errors", type=Path, default=None, help="write every bad row (line, reason) here")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--no-events", action="store_true", help="do not announce imported records as events")
    parser.add_argument("--encoding", default="utf-8-sig")
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        parser.error(f"{args.csv}: no such file")
    return run(args.csv, args.database_url or config.database_url("crm"), store_id=args.store_id,
               batch=max(args.batch, 1), events=not args.no_events, encoding=args.encoding, errors_path=args.errors)


if __name__ == "__main__":
    sys.exit(main())
