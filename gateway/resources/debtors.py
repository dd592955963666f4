"""What company accounts (挂账单位) and insurers (保险公司) answer alike: finance keeps both as debtors a store
puts part of an invoice on, so their routes have one shape — set one up and list them, read and change one,
its statements, the money it pays, part of an invoice put on it, an action on one of its documents. A
resource here is told which finance RPC answers each of its methods (`rpc`; `answered_by` for a resource of
one method); the path's ids are that RPC's arguments as they are named. The modules declare each route's
contract (`declared`) and nothing else."""
from __future__ import annotations

from typing import ClassVar

from ..api import endpoint
from . import Resource, checked
from .finance import _service_key


def declared(responder, summary: str, **contract):
    """`responder` (one of `Debtor`'s) with its route's contract, under the finance tag."""
    return endpoint(summary, tag="finance", **contract)(responder)


class Debtor(Resource):
    rpc: ClassVar[dict[str, str]]
    """HTTP method (get, post, patch) → the finance RPC that answers it."""
    location: ClassVar[str | None] = None
    """What was made is found at this path (`{id}`: its id); none: no `Location`."""

    def ask(self, req, method: str, **arguments):
        return self.call(req, "finance", self.rpc[method], **arguments)

    def submit(self, req, resp, **ids):
        """The body as the data (a set-up, a member, a write-off, a void); `Location` when the resource names one."""
        made = self.ask(req, "post", **ids, data=req.context.body_json)
        if self.location:
            resp.location = self.location.format(id=made["id"])
        return made

    def query(self, req, resp, **ids):
        """A list or a statement: the query as sent, its store one of the caller's."""
        return self.ask(req, "get", **ids, query=checked(req))

    def read(self, req, resp, **ids):
        return self.ask(req, "get", **ids)

    def change(self, req, resp, **ids):
        return self.ask(req, "patch", **ids, changes=req.context.body_json)

    def receive(self, req, resp, **ids):
        """Money received, or part of an invoice put on the debtor: the client's Idempotency-Key travels along."""
        return self.ask(req, "post", **ids, data=req.context.body_json, idempotency_key=_service_key(req))


def answered_by(method: str, rpc: str, responder, summary: str, **contract) -> type[Debtor]:
    """A resource of one HTTP method (`responder`, one of `Debtor`'s) answered by the finance RPC `rpc`."""
    return type(rpc, (Debtor,), {"rpc": {method: rpc}, f"on_{method}": declared(responder, summary, **contract)})
