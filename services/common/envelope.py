"""The event envelope every service publishes: a small immutable fact with an identity, whose
payload is written through the fact's declared contract (`services.contracts`)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from marshmallow import Schema, fields

from services.contracts import dump_payload

ENVELOPE_VERSION = 1


class EnvelopeSchema(Schema):
    event_id = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "`<source>.<fact>`, past tense"})
    version = fields.Integer(required=True)
    occurred_at = fields.String(required=True)
    store_id = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    actor = fields.Dict(allow_none=True, metadata={
        "description": "`{user_id, role}` of the user whose request caused it (carried along chains of events)"})
    payload = fields.Dict(required=True)
    trace = fields.Dict(allow_none=True, metadata={
        "description": "W3C trace context (`traceparent`, `tracestate`) of the work that recorded it, when traced"})


def make_envelope(event_type: str, payload: dict, *, store_id: str | None,
                  request_id: str | None, version: int = ENVELOPE_VERSION, actor: dict | None = None,
                  trace: dict | None = None) -> dict:
    """`event_type` is `<source>.<fact>`; raises contracts.ContractError when the payload breaks its contract."""
    source, fact = event_type.split(".", 1)
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "version": version,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "store_id": store_id,
        "request_id": request_id,
        "actor": actor,
        "trace": trace,
        "payload": dump_payload(source, fact, version, payload),
    }
