"""AMQP delivery choices for RPC.

An RPC reply is only useful to a caller that is still waiting: if the broker loses it,
the caller times out and retries. So replies are published transient and without
publisher confirms, which halves the cost of a hop (see shared notes/rpc-latency.md).
Events are different: they go through the outbox, persistent and confirmed.
"""
from nameko import rpc
from nameko.amqp.publish import Publisher
from nameko.constants import NON_PERSISTENT


class TransientReplyPublisher(Publisher):
    use_confirms = False
    delivery_mode = NON_PERSISTENT


def make_rpc_replies_transient() -> None:
    rpc.Responder.publisher_cls = TransientReplyPublisher
