"""The gateway's two Idempotency-Key refusals carry codes a client acts on, and the console acts on the
code, not on the English message: a repeat while the first attempt runs (`request_in_progress`) keeps the
key for the next retry; any other answer lets it go."""
from __future__ import annotations

import json
import shutil
import subprocess

import falcon
import pytest

from gateway.console import CONSOLE_DIR
from gateway.idempotency import IN_PROGRESS, KEY_REUSED, idempotent_call

NODE = shutil.which("node")


def test_a_repeat_while_the_first_runs_and_a_key_reused_for_another_body_are_told_apart(app):
    def call(body: dict, run) -> tuple:
        return idempotent_call(app.deps.identity_db, "u1", "till-7", "POST", "/v1/x", body, run, lambda: 201)

    def first():
        with pytest.raises(falcon.HTTPConflict) as running:
            call({"amount_fen": 100}, lambda: pytest.fail("ran twice"))
        assert running.value.title == IN_PROGRESS
        return {"id": "p1"}

    assert call({"amount_fen": 100}, first) == (201, {"id": "p1"})
    assert call({"amount_fen": 100}, lambda: pytest.fail("not replayed")) == (falcon.HTTP_201, {"id": "p1"})
    with pytest.raises(falcon.HTTPConflict) as reused:
        call({"amount_fen": 200}, lambda: pytest.fail("ran for a reused key"))
    assert reused.value.title == KEY_REUSED


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_the_console_keeps_its_key_only_while_the_first_attempt_is_in_progress():
    replies = [(409, IN_PROGRESS), (201, None), (409, KEY_REUSED), (201, None)]
    script = f"""
        globalThis.localStorage = {{ getItem: () => "zh", setItem() {{}} }};
        globalThis.sessionStorage = {{ getItem: () => "token", setItem() {{}}, removeItem() {{}} }};
        globalThis.window = {{ dispatchEvent() {{}} }};
        const replies = {json.dumps(replies)};
        const keys = [];
        globalThis.fetch = async (url, init) => {{
          keys.push(init.headers["Idempotency-Key"]);
          const [status, code] = replies.shift();
          const body = code ? {{ error: {{ code, message: "English" }} }} : {{ id: "p1" }};
          return {{ status, ok: status < 400, json: async () => body }};
        }};
        const {{ api }} = await import({json.dumps((CONSOLE_DIR / "js" / "api.js").as_uri())});
        const codes = [];
        for (let attempt = 0; attempt < 4; attempt++) {{
          await api.post("/v1/invoices/i1/payments", {{ amount_fen: 100 }}).catch((e) => codes.push(e.code));
        }}
        console.log(JSON.stringify({{ keys, codes }}));
    """
    done = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["codes"] == [IN_PROGRESS, KEY_REUSED]
    first, retried, after_success, after_reused = seen["keys"]
    assert first == retried != after_success != after_reused  # kept only across `request_in_progress`
