"""Bounded retries with backoff for event handlers, then a dead-letter queue.

A handler that raises does not requeue its message in a hot loop, nor drop it. The message
is republished to a delay queue `retry.<queue>.<ms>` whose TTL dead-letters it back onto the
handler's own queue; the attempt count travels in the `x-attempts` header. After the last
delay it goes to `deadletter.<service>` with the error and where it came from, where
`python -m services.common.deadletters` lists and replays it. The original is acked only
once the republish is confirmed by the broker; if that fails the original is requeued.
"""
from __future__ import annotations

import logging

from kombu import Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler

from . import config
from .metrics import EVENT_DEAD_LETTERS, EVENT_RETRIES
from .queues import durable_arguments, replicated

log = logging.getLogger(__name__)

DEFAULT_DELAYS_MS = (1_000, 5_000, 30_000, 120_000, 600_000)
ATTEMPTS_HEADER = "x-attempts"
DEFAULT_EXCHANGE = Exchange("", type="direct")


def retry_delays_ms() -> tuple[int, ...]:
    """`EVENT_RETRY_DELAYS_MS=1000,5000,...`: one retry per entry, then the dead-letter queue."""
    return config.event_retry_delays_ms() or DEFAULT_DELAYS_MS


def dead_letter_queue(service_name: str) -> Queue:
    return Queue(f"deadletter.{service_name}", exchange=DEFAULT_EXCHANGE,
                 routing_key=f"deadletter.{service_name}", durable=True, queue_arguments=durable_arguments())


def delay_queue(queue_name: str, delay_ms: int) -> Queue:
    return Queue(f"retry.{queue_name}.{delay_ms}", exchange=DEFAULT_EXCHANGE,
                 routing_key=f"retry.{queue_name}.{delay_ms}", durable=True,
                 queue_arguments=durable_arguments({
                     "x-message-ttl": delay_ms, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue_name},
                     dead_lettering=True))


class RetryingEventHandler(EventHandler):
    """nameko's EventHandler with bounded, delayed retries and a dead-letter queue; its queue a quorum queue."""

    def setup(self):
        super().setup()
        replicated(self.queue)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        try:
            self._reroute(message, exc_info[1])
        except Exception:  # the broker refused the republish: keep the message where it is
            log.exception("could not reroute a failed event; requeueing it")
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _reroute(self, message, error: BaseException) -> None:
        delays = retry_delays_ms()
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
        headers = {**(message.headers or {}), ATTEMPTS_HEADER: attempts}
        if attempts <= len(delays):
            target, counter = delay_queue(self.queue.name, delays[attempts - 1]), EVENT_RETRIES
            log.warning("event handler failed; retrying later", extra={
                "handler": self.method_name, "attempt": attempts, "delay_ms": delays[attempts - 1]})
        else:
            target, counter = dead_letter_queue(self.container.service_name), EVENT_DEAD_LETTERS
            headers.update({"x-error": repr(error)[:1000], "x-original-queue": self.queue.name,
                            "x-original-exchange": message.delivery_info.get("exchange", ""),
                            "x-original-routing-key": message.delivery_info.get("routing_key", "")})
            log.error("event handler failed for good; dead-lettered", extra={
                "handler": self.method_name, "attempts": attempts, "queue": target.name})
        publisher = Publisher(self.container.config["AMQP_URI"], use_confirms=True, declare=[target])
        publisher.publish(message.body, exchange=DEFAULT_EXCHANGE, routing_key=target.name, headers=headers,
                          content_type=message.content_type, content_encoding=message.content_encoding)
        counter.labels(self.container.service_name, self.method_name).inc()
