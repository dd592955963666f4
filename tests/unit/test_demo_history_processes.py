"""The demo history's store processes end with the seeder: `make run` killed while seeding leaves no store
seeding on (a store half seeded is never seeded again)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SEEDER = """
import time
from deploy.demo_history import store_processes
pool = store_processes(2)
working = [pool.submit(time.sleep, 120) for _ in range(2)]
while sum(future.running() for future in working) < 2:
    time.sleep(0.05)
print("seeding", flush=True)
time.sleep(120)
"""


def descendants(pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_store_processes_end_when_the_seeder_is_killed_alone():
    seeder = subprocess.Popen([sys.executable, "-c", SEEDER], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2], start_new_session=True)
    try:
        assert seeder.stdout.readline().strip() == "seeding"
        stores = descendants(seeder.pid)
        assert len(stores) >= 3  # the fork server, a process a store (and the resource tracker)
        os.kill(seeder.pid, signal.SIGKILL)  # the seeder alone, not its process group
        seeder.wait(10)
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in stores):
            assert time.monotonic() < deadline, f"seeding on after the seeder: {sorted(filter(alive, stores))}"
            time.sleep(0.1)
    finally:
        try:
            os.killpg(seeder.pid, signal.SIGKILL)  # what is left of it, when the test failed
        except ProcessLookupError:
            pass
