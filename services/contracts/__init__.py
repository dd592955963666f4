"""The contracts services share (the only code they share besides `services.common`).

`services/contracts/<source>.py` declares in `PUBLISHES` the marshmallow schema of each payload
`<source>` publishes, by fact (the routing key on `<source>.events`) and payload version (the
envelope's `version`), and the schemas of the RPC answers another service reads. Every envelope's
payload is dumped through its declared schema and checked (`dump_payload`, called by
`common.envelope.make_envelope`): an undeclared event or an invalid payload raises
`ContractError`, so a test fails before any consumer would. Every `@event_handler` loads the
payload through the same schema (`load_payload`), ignoring fields it does not know yet (added by a
newer producer: every schema is a `base.Contract`). A service's `events.py` lists the
`(source, fact)` pairs it handles.

`services/contracts/rpc/<service>/` holds what a service's RPC methods take and answer (the
public API's bodies and answers: the gateway validates and dumps with them, the service loads
with them), so the gateway is built without any service's own code.
"""
from __future__ import annotations

from functools import cache

from marshmallow import Schema, fields

from . import crm, finance, inventory, sales, workshop
from .base import Contract

EVENTS: dict[tuple[str, str, int], type[Contract]] = {
    (module.__name__.rsplit(".", 1)[1], fact, version): schema
    for module in (crm, finance, inventory, sales, workshop) for (fact, version), schema in module.PUBLISHES.items()}
"""(source, fact, version) → the payload's schema."""


class ContractError(Exception):
    """An event its source's contract does not declare, or a payload the declared schema refuses:
    a bug in the code that publishes or handles it, never the client's."""


def declares(source: str, fact: str) -> bool:
    """Whether `<source>.<fact>` is declared in some version."""
    return any(key[:2] == (source, fact) for key in EVENTS)


@cache
def _schema(source: str, fact: str, version: int) -> Schema:
    schema = EVENTS.get((source, fact, version))
    if schema is None:
        raise ContractError(f"{source}.{fact} version {version} is not declared in services/contracts/{source}.py")
    return schema()


def _undeclared(schema: Schema, data: dict, path: str = "") -> list[str]:
    """The keys of `data` and of the objects nested in it that `schema` does not declare."""
    found = []
    for key, value in data.items():
        field = schema.fields.get(key)
        if field is None:
            found.append(path + key)
            continue
        inner = field.inner if isinstance(field, fields.List) else field
        many = inner is not field
        if isinstance(inner, fields.Nested) and value is not None:
            for index, item in enumerate(value if many else [value]):
                found += _undeclared(inner.schema, item, f"{path}{key}.{index}." if many else f"{path}{key}.")
    return found


def dump_payload(source: str, fact: str, version: int, payload: dict) -> dict:
    """`payload` as its declared schema writes it (JSON numbers and strings); raises ContractError
    when the event is not declared, the payload holds a field the contract does not, or the
    result does not load back."""
    schema = _schema(source, fact, version)
    undeclared = _undeclared(schema, payload)
    if undeclared:
        raise ContractError(f"{source}.{fact} version {version} carries undeclared fields: {undeclared}")
    data = schema.dump(payload)
    errors = schema.validate(data)
    if errors:
        raise ContractError(f"{source}.{fact} version {version} breaks its contract: {errors}")
    return data


def load_payload(source: str, fact: str, version: int, payload: dict) -> dict:
    """A received payload loaded through its declared schema (unknown fields dropped); raises
    marshmallow's ValidationError when it breaks the contract, ContractError when undeclared."""
    return _schema(source, fact, version).load(payload)
