"""Every service's event contract (`events.py`) agrees with its handlers and its sources."""
from __future__ import annotations

import importlib
import inspect
import re

import pytest
from marshmallow import Schema
from nameko.events import EventHandler

from services.common.config import SERVICES


def contract(name):
    return importlib.import_module(f"services.{name}.events")


def handled_by_code(name) -> set[tuple[str, str]]:
    service = importlib.import_module(f"services.{name}.service").SERVICE
    found = set()
    for _attr, method in inspect.getmembers(service, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventHandler):
                found.add((entrypoint.source_service, entrypoint.event_type))
    return found


@pytest.mark.parametrize("name", SERVICES)
def test_published_facts_have_payload_schemas(name):
    for fact, schema in contract(name).PUBLISHES.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)+", fact), f"{name}.{fact}: facts are snake_case"
        assert issubclass(schema, Schema)


@pytest.mark.parametrize("name", SERVICES)
def test_handlers_match_the_contract_and_consume_published_facts(name):
    declared = set(contract(name).HANDLES)
    assert handled_by_code(name) == declared
    for source, fact in declared:
        assert fact in contract(source).PUBLISHES, f"{name} handles {source}.{fact}, which {source} never publishes"
