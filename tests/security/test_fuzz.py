"""The gateway fuzzed from its own OpenAPI document with schemathesis, over HTTP against the
running stack, as HQ and as a store manager: every operation, generated valid and invalid
requests; no 5xx, every status documented, every body (errors included) conforms to its schema,
nothing leaks, no request valid by the document refused for a rule it does not declare
(fuzz_hooks.py). CI runs a few examples per operation; the longer run adds the coverage phase
(boundary values of every field, some 13,000 requests per role; see README.md):

    FUZZ_EXAMPLES=50 FUZZ_PHASES=examples,coverage,fuzzing FUZZ_SEED=random \
        .venv/bin/python -m pytest -s tests/security/test_fuzz.py
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.customer import car_with_quote, sign_in, staff_world

pytestmark = pytest.mark.e2e

EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "4")
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing")
SEED = os.environ.get("FUZZ_SEED", "20261126")
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance,ignored_auth,nothing_leaks,declared_valid_is_accepted")


def run_schemathesis(chain, role: str, report: Path, session=None, *only: str) -> subprocess.CompletedProcess:
    """One run as `role`'s fuzzing account (or `session`), over every operation (or `only` those
    schemathesis options select)."""
    session = session or chain.fuzzers[role]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.security.fuzz_hooks",
           "FUZZ_SECRETS": json.dumps(chain.secrets()),
           "FUZZ_PROTECTED_USERS": json.dumps([user["id"] for user in chain.users.values()])}
    command = [str(Path(sys.executable).parent / "st"), "run", f"{chain.url}/openapi.json",
               "--header", f"Authorization: {session.headers['Authorization']}",
               "--checks", CHECKS, "--max-examples", EXAMPLES, "--workers", "2",
               "--phases", PHASES, "--generation-database", "none",
               "--exclude-path", "/v1/stream", "--exclude-path", "/c/v1/stream",  # the stream's process and tests
               "--request-timeout", "30", "--no-color", "--report", "json", "--report-json-path", str(report)]
    if SEED != "random":
        command += ["--seed", SEED]
    command += list(only)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800,
                          cwd=Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("role", ["hq_admin", "store_manager"])
def test_fuzzing_the_openapi_document_finds_nothing(chain, role, tmp_path):
    result = run_schemathesis(chain, role, tmp_path / "report.json")
    summary = result.stdout[result.stdout.find("SUMMARY"):]
    print(f"schemathesis as {role}, phases {PHASES}, {EXAMPLES} examples per operation:\n{summary}")
    tested = re.search(r"Tested: (\d+)", summary)
    assert tested and int(tested.group(1)) == len(chain.operations()), summary
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-3000:]


def test_fuzzing_the_customer_channel_as_a_customer_finds_nothing(chain, tmp_path):
    """The customer operations (`/c/v1/`) as a signed-in car owner with a presented quote of their own."""
    store, advisor, name = staff_world(chain.stack, chain.admin)
    car = car_with_quote(chain.stack, store, advisor, name)
    customer = sign_in(chain.stack, car.customer["mobile"])
    result = run_schemathesis(chain, "customer", tmp_path / "report.json", customer, "--include-path-regex", "^/c/v1/")
    summary = result.stdout[result.stdout.find("SUMMARY"):]
    print(f"schemathesis as a customer, phases {PHASES}, {EXAMPLES} examples per operation:\n{summary}")
    tested = re.search(r"Tested: (\d+)", summary)
    assert tested and int(tested.group(1)) == len([op for op in chain.operations() if " /c/v1/" in op]), summary
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-3000:]
