"""Which RabbitMQ queue type the suite's durable queues are: the one place that says so.

Every queue that holds work for later — a service's RPC queue `rpc-<service>`, each event handler's
`evt-<source>-<event>--<service>.<method>`, the retry delay queues `retry.<queue>.<ms>` and the dead-letter
queue `deadletter.<service>` — is a quorum queue: replicated over a majority of a RabbitMQ cluster (Raft), so
a broker node that dies loses no message and the queue keeps serving from the others (RabbitMQ ≥ 3.8; the
delay queues' TTL needs 3.10). On one node (`make run`) a quorum queue works like a durable classic one.
Queues that live only as long as their consumer (the gateway's exclusive reply queues, nameko's RPC reply
queues) stay classic and transient: a node's death takes them away and the client declares a new one on
the node it reconnects to.

`RABBITMQ_QUEUE_TYPE=classic` (test stacks only, never a deployment) declares them durable classic instead: the
tests that are not about the broker's faults start many stacks side by side, and RabbitMQ 3.10 creating or deleting
a few hundred quorum queues at once has frozen the whole node for up to two minutes.

A queue declared with another type than the existing one is refused (PRECONDITION_FAILED): a deployment
whose queues are still classic moves them with `python -m deploy.rabbitmq.migrate_queues` first
(deploy/k8s/README.md, "Quorum queues").
"""
from __future__ import annotations

from kombu import Queue

from . import config

QUORUM = {"x-queue-type": "quorum"}
"""The arguments of every durable queue of the suite."""

DEAD_LETTERING = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
"""A delay queue dead-letters expired messages back onto its handler's queue; a quorum queue does that at
most once unless told at least once (RabbitMQ 3.10), which needs `reject-publish` as its overflow."""


def durable_arguments(extra: dict | None = None, *, dead_lettering: bool = False) -> dict:
    """The `x-arguments` a durable queue of the suite is declared with (plus `extra`, e.g. a TTL; a delay queue
    adds `dead_lettering`). Durable classic queues (`RABBITMQ_QUEUE_TYPE=classic`, test stacks only) take
    neither the type nor the quorum-only dead-lettering strategy."""
    if config.durable_queue_type() == "classic":
        return dict(extra or {})
    return {**(extra or {}), **(DEAD_LETTERING if dead_lettering else {}), **QUORUM}


def replicated(queue: Queue) -> Queue:
    """`queue` declared as a quorum queue, unless it lives only as long as its consumer (exclusive,
    auto-delete or transient), which a quorum queue cannot be."""
    if queue.durable and not queue.exclusive and not queue.auto_delete:
        queue.queue_arguments = durable_arguments(queue.queue_arguments)  # type: ignore[attr-defined]
    return queue


def transient(queue: Queue) -> Queue:
    """`queue` (a reply queue) not durable: when its node dies it goes, and is declared again where the
    client reconnects (a durable classic queue on a dead node refuses to be declared until it is back)."""
    queue.durable = False
    return queue
