"""List and replay dead-lettered events: `python -m services.common.deadletters list crm`,
`python -m services.common.deadletters replay crm [--limit N]`.

Replaying puts each message back on the handler queue it failed in, with a fresh attempt
count, once the cause has been fixed; a message that fails again comes back here.
"""
from __future__ import annotations

import argparse
import json
import sys

import pika

from . import config
from .queues import durable_arguments
from .retries import ATTEMPTS_HEADER

_ORIGIN_HEADERS = ("x-error", "x-original-queue", "x-original-exchange", "x-original-routing-key")


def _channel(amqp_uri: str):
    connection = pika.BlockingConnection([pika.URLParameters(address) for address in config.amqp_addresses(amqp_uri)])
    channel = connection.channel()
    channel.confirm_delivery()
    return connection, channel


def _summary(properties, body: bytes) -> dict:
    headers = properties.headers or {}
    try:
        envelope = json.loads(body)
    except ValueError:
        envelope = {}
    return {"event_id": envelope.get("event_id"), "type": envelope.get("type"),
            "attempts": headers.get(ATTEMPTS_HEADER), "replays": headers.get("x-replays", 0),
            "queue": headers.get("x-original-queue"), "error": headers.get("x-error")}


def list_dead_letters(service: str, amqp_uri: str, limit: int = 1000) -> list[dict]:
    """Peek at the dead-letter queue; nothing is consumed."""
    connection, channel = _channel(amqp_uri)
    try:
        channel.queue_declare(f"deadletter.{service}", durable=True, arguments=durable_arguments())
        found = []
        for _ in range(limit):
            method, properties, body = channel.basic_get(f"deadletter.{service}", auto_ack=False)
            if method is None:
                break
            found.append(_summary(properties, body))
        return found
    finally:
        connection.close()  # the unacked messages go back to the queue


def replay_dead_letters(service: str, amqp_uri: str, limit: int = 1000) -> int:
    connection, channel = _channel(amqp_uri)
    replayed = 0
    try:
        channel.queue_declare(f"deadletter.{service}", durable=True, arguments=durable_arguments())
        for _ in range(limit):
            method, properties, body = channel.basic_get(f"deadletter.{service}", auto_ack=False)
            if method is None:
                break
            headers = dict(properties.headers or {})
            queue = headers.get("x-original-queue")
            if not queue:
                channel.basic_nack(method.delivery_tag, requeue=True)
                continue
            for key in (ATTEMPTS_HEADER, *_ORIGIN_HEADERS):
                headers.pop(key, None)
            headers["x-replays"] = int(headers.get("x-replays", 0)) + 1
            channel.basic_publish("", queue, body, pika.BasicProperties(
                headers=headers, content_type=properties.content_type,
                content_encoding=properties.content_encoding, delivery_mode=2))
            channel.basic_ack(method.delivery_tag)
            replayed += 1
        return replayed
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.common.deadletters", description=__doc__)
    parser.add_argument("action", choices=("list", "replay"))
    parser.add_argument("service", choices=config.SERVICES)
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.action == "list":
        for entry in list_dead_letters(args.service, config.amqp_uri(), args.limit):
            print(json.dumps(entry, ensure_ascii=False))
    else:
        print(f"replayed {replay_dead_letters(args.service, config.amqp_uri(), args.limit)}", file=sys.stderr)


if __name__ == "__main__":
    main()
