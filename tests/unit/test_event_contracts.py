"""The event contracts (`services/contracts/`): every event a service publishes or handles is
declared there, payloads are written and read through the declared schemas."""
from __future__ import annotations

import ast
import importlib
import inspect
import re
from decimal import Decimal
from pathlib import Path

import pytest
from marshmallow import Schema, ValidationError
from nameko.events import EventHandler

from services import contracts
from services.common.config import SERVICES
from services.common.entrypoints import event_handler
from services.common.envelope import make_envelope
from services.contracts import ContractError, dump_payload, load_payload

ROOT = Path(__file__).resolve().parents[2]


def handled_by_code(name) -> set[tuple[str, str]]:
    service = importlib.import_module(f"services.{name}.service").SERVICE
    found = set()
    for _attr, method in inspect.getmembers(service, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventHandler):
                found.add((entrypoint.source_service, entrypoint.event_type))
    return found


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def published_by_code(name) -> set[str]:
    """The facts of every `record_event(session, fact, …)` in services/<name>/: a literal, or a local
    name assigned literals in the same function (`fact = "a" if … else "b"`)."""
    facts = set()
    for path in (ROOT / "services" / name).rglob("*.py"):
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            local = {target.id: _strings(node.value) for node in ast.walk(function) if isinstance(node, ast.Assign)
                     for target in node.targets if isinstance(target, ast.Name)}
            for call in ast.walk(function):
                if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "record_event":
                    fact = call.args[1]
                    if isinstance(fact, ast.Constant):
                        facts.add(fact.value)
                    else:
                        assert isinstance(fact, ast.Name) and local.get(fact.id), \
                            f"{path}:{call.lineno}: name the fact of record_event with a literal"
                        facts |= local[fact.id]
    return facts


def declared_facts(source) -> set[str]:
    return {fact for (name, fact, _version) in contracts.EVENTS if name == source}


def test_contracts_are_versioned_schemas_of_snake_case_facts():
    for (source, fact, version), schema in contracts.EVENTS.items():
        assert source in SERVICES
        assert re.fullmatch(r"[a-z]+(_[a-z]+)+", fact), f"{source}.{fact}: facts are snake_case"
        assert isinstance(version, int) and version >= 1 and issubclass(schema, Schema)


@pytest.mark.parametrize("name", SERVICES)
def test_what_a_service_publishes_is_exactly_what_its_contract_declares(name):
    assert published_by_code(name) == declared_facts(name)
    assert importlib.import_module(f"services.{name}.events").PUBLISHES is \
        importlib.import_module(f"services.contracts.{name}").PUBLISHES


@pytest.mark.parametrize("name", SERVICES)
def test_what_a_service_handles_is_its_list_and_declared_by_the_source(name):
    declared = set(importlib.import_module(f"services.{name}.events").HANDLES)
    assert handled_by_code(name) == declared
    for source, fact in declared:
        assert fact in declared_facts(source), f"{name} handles {source}.{fact}, which {source} never publishes"


def test_a_handler_of_an_undeclared_event_is_refused():
    with pytest.raises(ContractError, match="sales.order_exploded"):
        event_handler("sales", "order_exploded")


def test_an_envelope_holds_only_a_declared_valid_payload():
    with pytest.raises(ContractError, match="not declared"):
        make_envelope("crm.customer_exploded", {}, store_id=None, request_id=None)
    with pytest.raises(ContractError, match="not declared"):
        make_envelope("crm.customer_erased", {"customer_id": "c1", "erased_at": "x"}, store_id=None,
                      request_id=None, version=2)
    with pytest.raises(ContractError, match="erased_at"):
        make_envelope("crm.customer_erased", {"customer_id": "c1"}, store_id=None, request_id=None)
    with pytest.raises(ContractError, match="customer_id"):
        make_envelope("crm.customer_erased", {"customer_id": None, "erased_at": "x"}, store_id=None, request_id=None)
    envelope = make_envelope("crm.customer_erased", {"customer_id": "c1", "erased_at": "2026-12-06T12:00:00+00:00"},
                             store_id="s1", request_id="r1")
    assert envelope["type"] == "crm.customer_erased" and envelope["version"] == 1 and envelope["store_id"] == "s1"
    assert envelope["payload"] == {"customer_id": "c1", "erased_at": "2026-12-06T12:00:00+00:00"}
    assert envelope["event_id"] and envelope["occurred_at"]


def test_a_payload_is_written_in_json_numbers_and_may_not_carry_undeclared_fields():
    line = {"sku": "OIL-1", "qty_requested": Decimal("2.000"), "qty_reserved": Decimal("1.5"), "qty_short": 0.5}
    payload = {"order_id": "o1", "store_id": "s1", "lines": [line]}
    assert dump_payload("inventory", "stock_shortage", 1, payload)["lines"] == [
        {"sku": "OIL-1", "qty_requested": 2, "qty_reserved": 1.5, "qty_short": 0.5}]
    with pytest.raises(ContractError, match="colour"):
        dump_payload("inventory", "stock_shortage", 1, {**payload, "colour": "red"})
    with pytest.raises(ContractError, match="lines.0.bin"):
        dump_payload("inventory", "stock_shortage", 1, {**payload, "lines": [{**line, "bin": "A1"}]})


def test_a_handler_reads_a_payload_through_the_contract_ignoring_fields_added_later():
    payload = {"order_id": "o1", "store_id": "s1", "lines": [
        {"sku": "OIL-1", "qty_requested": 2, "qty_reserved": 1.5, "qty_short": 0.5, "bin": "A1"}], "added": 1}
    loaded = load_payload("inventory", "stock_shortage", 1, payload)
    assert loaded == {"order_id": "o1", "store_id": "s1", "lines": [
        {"sku": "OIL-1", "qty_requested": Decimal(2), "qty_reserved": Decimal("1.5"), "qty_short": Decimal("0.5")}]}
    with pytest.raises(ValidationError):
        load_payload("inventory", "stock_shortage", 1, {"order_id": "o1"})
