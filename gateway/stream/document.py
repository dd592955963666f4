"""`GET /v1/stream` and `GET /c/v1/stream` as the OpenAPI document describes them. The streams are served by
their own process (app.py), not by the gateway's routes, so their operations are written here and marked
`x-served-by: stream`: what reads the document to call every operation of the gateway (the fuzzer, the
authorization matrix) leaves them to the stream's own tests (tests/e2e/test_live_stream.py)."""
from __future__ import annotations

PATH = "/v1/stream"
CUSTOMER_PATH = "/c/v1/stream"
SERVED_BY = "stream"

_CHANGE = ("`event: change`, `id: <epoch>-<seq>`, `data:` a JSON object {type, store_id, ids, occurred_at}: "
           "the event's type (e.g. `workshop.work_order_status_changed`), its store, the ids it names "
           "(`work_order_id`, `order_id` …), never names or amounts (read those through the API). "
           "`event: reset`: changes were missed, read again. `event: open` first, with `retry: 3000`. "
           "A comment line every 15 s keeps proxies from closing an idle stream.")


def operations() -> dict[str, dict]:
    """The operation objects of the two streams, by path."""
    return {PATH: _operation(
        "A store's changes as server-sent events (live screens)",
        "Opened by the console on every screen that follows a store.", "stream",
        [{"bearer": []}, {"apiKey": []}],
        [{"in": "query", "name": "store_id", "required": False, "schema": {"type": "string"},
          "description": "The store followed; may be left out by a caller of one store"}],
        {"403": "Store not allowed", "422": "No store named by a caller of several (`store_required`)"}),
        CUSTOMER_PATH: _operation(
        "A car owner's own changes as server-sent events (the phone app's timeline)",
        "Only the events that name the signed-in customer (their cars' check-in, quotes, work and delivery). "
        "A link's token (one document) is refused.", "customer", [{"bearer": []}], [],
        {"403": "A link's token (it opens one document only)"})}


def _operation(summary: str, description: str, tag: str, security: list, parameters: list,
               refusals: dict[str, str]) -> dict:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    return {
        "summary": summary,
        "description": description + " Resumable: send the last `id` seen as `Last-Event-ID` (or "
                       "`last_event_id`) and the changes after it come first, or `event: reset` when they are no "
                       "longer held.",
        "tags": [tag],
        "x-served-by": SERVED_BY,
        "security": security,
        "parameters": [
            *parameters,
            {"in": "query", "name": "last_event_id", "required": False, "schema": {"type": "string"}},
            {"in": "header", "name": "Last-Event-ID", "required": False, "schema": {"type": "string"}}],
        "responses": {
            "200": {"description": _CHANGE, "content": {"text/event-stream": {"schema": {"type": "string"}}}},
            "401": {"description": "No or invalid token", "content": error},
            **{code: {"description": words, "content": error} for code, words in refusals.items()},
            "503": {"description": "The stream's process holds all it can (`streams_full`) or hears no bus "
                                   "(`service_unavailable`); `Retry-After` says when to try again (the console "
                                   "polls meanwhile)", "content": error,
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}}}}}
