"""schemathesis hooks for the fuzz runs of test_fuzz.py (loaded through SCHEMATHESIS_HOOKS):
one more check on every response, and the fuzzing accounts kept out of reach of the fuzzer."""
from __future__ import annotations

import json
import os

import schemathesis

from tests.security.leaks import leaks, readable

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


@schemathesis.hook
def before_call(ctx, case, kwargs) -> None:
    """The fuzzer learns user ids from answers (GET /v1/me, /v1/users) and would disable or demote
    the accounts it and the other tests log in with; it changes other accounts instead."""
    if case.operation.path == "/v1/users/{user_id}" and case.path_parameters.get("user_id") in PROTECTED_USERS:
        case.path_parameters["user_id"] = "not-a-protected-account"
