"""Hostile input and response headers at the gateway (in-process, fake RPC): deeply nested JSON is
a 400 wherever a body is read, never a 500; every answer says `nosniff`, the console cannot be
framed and runs only its own files, API answers (tokens, personal data) are never cached."""
from __future__ import annotations

import re

import pytest

from gateway.api import endpoint_of
from gateway.app import routes

NESTED = "[" * 1000 + "]" * 1000  # 2 KB: Python's JSON parser gives up with RecursionError


def operations_with_a_body(app) -> list[tuple[str, str]]:
    found = []
    for path, resource in routes(app.deps):
        for method in ("post", "put", "patch"):
            meta = endpoint_of(resource, method)
            if meta is not None and meta.body is not None and (meta.roles is None or "hq_admin" in meta.roles):
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "x1", path)))
    return found


@pytest.mark.parametrize("body", [NESTED, '{"a":' * 40 + "1" + "}" * 40], ids=["arrays", "objects"])
def test_too_deep_json_is_a_400_on_login_and_customers(app, body):
    login = app.simulate_post("/v1/auth/login", body=body, headers={"Authorization": ""})
    assert login.status_code == 400 and login.json["error"]["code"] == "malformed_json", login.text
    created = app.simulate_post("/v1/customers", body=body)
    assert created.status_code == 400 and created.json["error"]["code"] == "malformed_json", created.text
    assert app.deps.rpc.calls == []


def test_too_deep_json_is_a_400_on_every_operation_that_takes_a_body(app):
    operations = operations_with_a_body(app)
    assert len(operations) > 50
    answers = {f"{method} {path}": app.simulate_request(method, path, body=NESTED) for method, path in operations}
    wrong = {name: (reply.status_code, reply.text[:120]) for name, reply in answers.items()
             if reply.status_code != 400 or reply.json["error"]["code"] != "malformed_json"}
    assert wrong == {}
    assert app.deps.rpc.calls == []


def test_nesting_the_api_uses_and_brackets_inside_strings_are_fine(app):
    app.deps.rpc.behaviour[("crm", "register_customer")] = {"id": "c1"}
    reply = app.simulate_post("/v1/customers", json={"name": "张三", "mobile": "13812345678", "tags": ["a"],
                                                     "notes": '[{"\\' * 100})
    assert reply.status_code == 201 and app.deps.rpc.calls[-1][1] == "register_customer"


def test_every_answer_says_nosniff(app):
    for reply in (app.simulate_get("/v1/me"), app.simulate_get("/v1/me", headers={"Authorization": ""}),
                  app.simulate_get("/openapi.json"), app.simulate_get("/console/"),
                  app.simulate_get("/console/js/app.js"), app.simulate_get("/v1/nothing-here"),
                  app.simulate_post("/v1/customers", body="{")):
        assert reply.headers.get("X-Content-Type-Options") == "nosniff", reply.status


def test_the_console_cannot_be_framed_and_runs_only_its_own_files(app):
    for path in ("/", "/console/", "/console/js/app.js"):
        reply = app.simulate_get(path)
        assert reply.headers["X-Frame-Options"] == "DENY"
        policy = dict(part.strip().split(" ", 1) for part in reply.headers["Content-Security-Policy"].split(";"))
        assert policy["frame-ancestors"] == "'none'" and policy["script-src"] == "'self'"
    page = app.simulate_get("/console/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page) and "<style" not in page and " on" not in page.lower()


def test_tokens_and_personal_data_are_never_cached(app):
    login = app.simulate_post("/v1/auth/login", json={"username": "admin", "password": "pw-admin-1"},
                              headers={"Authorization": ""})
    assert login.status_code == 200 and login.headers["Cache-Control"] == "no-store"
    app.deps.rpc.behaviour[("crm", "get_customer")] = {"id": "c1", "name": "张三", "mobile": "13812345678"}
    assert app.simulate_get("/v1/customers/c1").headers["Cache-Control"] == "no-store"
    refused = app.simulate_post("/v1/auth/login", json={"username": "admin", "password": "nope"})
    assert refused.headers["Cache-Control"] == "no-store"
