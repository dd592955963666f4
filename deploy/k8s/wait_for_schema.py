"""Wait until an owner's database schema is what this image expects: `python deploy/k8s/wait_for_schema.py crm`.

The initContainer of every Deployment under deploy/k8s. The migration Job of the owner
(`python -m services.common.migrate <owner>`, advisory-locked) is the only thing that migrates;
replicas never do. They wait here instead, so a new version never serves against the old schema
and a failed migration stalls the rollout while the previous pods keep serving.

Ready (exit 0) when the database holds every head revision of the migration history shipped in
this image, or a revision this image does not know: a newer release has migrated already, i.e.
this is a rollback, and migrations are expand/contract so the previous release runs on the newer
schema (deploy/k8s/README.md). Otherwise it polls every --interval seconds; after --timeout it
exits 1 (the pod shows Init:Error and the kubelet retries it with backoff).

Reads the same `<OWNER>_DATABASE_URL` as the service itself (services.common.config).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from the image's /app

from services.common.migrate import OWNERS, current_revisions, script_directory  # noqa: E402


def schema_state(owner: str) -> tuple[bool, str]:
    """(ready, why) for the owner's database right now."""
    script = script_directory(owner)
    heads = set(script.get_heads())
    try:
        current = set(current_revisions(owner))
    except Exception as exc:  # unreachable, auth, DNS: keep waiting
        return False, f"database not reachable ({exc.__class__.__name__})"
    if not current:
        return False, "not migrated yet"
    known = {revision.revision for revision in script.walk_revisions()}
    newer = current - known
    if newer:
        return True, f"at {sorted(newer)}, newer than this image's {sorted(heads)} (rollback)"
    applied = {revision.revision for rev in current for revision in script.iterate_revisions(rev, "base")}
    missing = heads - applied
    if missing:
        return False, f"at {sorted(current)}, waiting for {sorted(missing)}"
    return True, f"at {sorted(current)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("owner", choices=OWNERS)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait (default 900)")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between checks (default 3)")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.timeout
    last = None
    while True:
        ready, why = schema_state(args.owner)
        if why != last:
            print(f"{args.owner} schema: {why}", flush=True)
            last = why
        if ready:
            return 0
        if time.monotonic() >= deadline:
            print(f"{args.owner} schema: gave up after {args.timeout:g} s", flush=True)
            return 1
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
