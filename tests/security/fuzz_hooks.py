"""schemathesis hooks for the fuzz runs of test_fuzz.py (loaded through SCHEMATHESIS_HOOKS):
two more checks on every response, and the fuzzing accounts kept out of reach of the fuzzer."""
from __future__ import annotations

import json
import os

import schemathesis

from tests.security.leaks import leaks, readable
from tests.support.declared import undeclared_refusal

SECRETS: list[str] = json.loads(os.environ.get("FUZZ_SECRETS", "[]"))
PROTECTED_USERS: set[str] = set(json.loads(os.environ.get("FUZZ_PROTECTED_USERS", "[]")))


@schemathesis.check
def nothing_leaks(ctx, response, case) -> None:
    """No secret, password hash or stack trace in any answer."""
    content_type = next((value for name, values in response.headers.items() if name.lower() == "content-type"
                         for value in values), "")
    found = leaks(readable(response.content, content_type), SECRETS)
    if found:
        raise AssertionError(f"The response gives away {', '.join(found)}")


def _as_sent(value):
    """A query value as the gateway reads it from the query string."""
    if isinstance(value, list):
        return [_as_sent(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


@schemathesis.check
def declared_valid_is_accepted(ctx, response, case) -> None:
    """A request valid by the document (positive mode) is not refused with 422 for a rule the document
    could have declared (rules relating fields and the few of tests/support/declared.py aside)."""
    if response.status_code != 422 or case.meta is None or not case.meta.generation.mode.is_positive:
        return
    query = {name: _as_sent(value) for name, value in (case.query or {}).items() if value is not None}
    refusal = undeclared_refusal(case.method, case.path, query, case.body if isinstance(case.body, dict) else None)
    if refusal:
        raise AssertionError(f"A request valid by the OpenAPI document was refused: {refusal}")


@schemathesis.hook
def before_call(ctx, case, kwargs) -> None:
    """The fuzzer learns user ids from answers (GET /v1/me, /v1/users) and would disable or demote
    the accounts it and the other tests log in with; it changes other accounts instead."""
    if case.operation.path == "/v1/users/{user_id}" and case.path_parameters.get("user_id") in PROTECTED_USERS:
        case.path_parameters["user_id"] = "not-a-protected-account"
