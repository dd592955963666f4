"""The OpenAPI document declares what the gateway enforces: requests generated from it in
schemathesis' positive mode (valid by the document) are not refused by the schemas they are loaded
with, except for the rules OpenAPI 3.0 cannot state (tests/support/declared.py). In process: the
gateway with a fake RPC (tests/unit/conftest.py), every operation, a few examples each, a fixed seed."""
from __future__ import annotations

import collections
import logging

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from gateway import api
from tests.support.declared import declarable

EXAMPLES = 5


class Refusals(collections.defaultdict):
    """What the gateway's schema validation refused, by operation (`current`, set while its requests run)."""

    def __init__(self):
        super().__init__(list)
        self.current = None
        self.refused = 0  # by the schemas, for any rule


@pytest.fixture
def refusals(monkeypatch) -> Refusals:
    found, validate = Refusals(), api.validate

    def watching(schema, data):
        try:
            return validate(schema, data)
        except api.ValidationFailed:
            found.refused += 1
            if messages := declarable(schema, data):
                found[found.current].append((messages, data))
            raise

    monkeypatch.setattr(api, "validate", watching)
    return found


def test_requests_valid_by_the_document_are_not_refused(app, refusals):
    logging.getLogger("gateway").setLevel(logging.CRITICAL)  # the fake RPC's empty answers break responders
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        refusals.current = operation.label

        @given(operation.as_strategy(GenerationMode.POSITIVE))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def call(case):
            case.call(headers=app.headers)

        call()
    report = {label: (list(items[0][0]), items[0][1]) for label, items in refusals.items()}
    assert len(operations) > 150 and refusals.refused > 0  # the watch is in place (rules relating fields refuse some)
    assert not report, f"{len(report)} operations refuse what the document declares valid: " + \
        "\n".join(f"{label}: {fields} in {data}" for label, (fields, data) in sorted(report.items()))
