"""The webhook sender against a real local HTTP server standing in for the SMS/WeChat gateway,
and the rules of templates and tiers."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from services.common.errors import Invalid
from services.crm.domain.campaigns import check_template, render
from services.crm.domain.membership import points_for, tier_for
from services.crm.domain.reminders import add_months
from services.crm.senders import OutgoingMessage, RecordingSender, SendFailed, WebhookSender, sender_from_env


@pytest.fixture
def sms_gateway():
    received, answers = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((dict(self.headers), body))
            self.send_response(answers.pop(0) if answers else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/send", received, answers
    server.shutdown()


MESSAGE = OutgoingMessage("m1", "c1", "sms", "13812345678", "张伟您好", ("SZ-NS", "s1"),
                          {"access_key_id": "LTAI5tStore", "sign_name": "南山店"})


def test_the_webhook_posts_the_message_with_its_id_as_idempotency_key(sms_gateway):
    url, received, _ = sms_gateway
    WebhookSender(url, token="t0ken").send(MESSAGE)
    [(headers, body)] = received
    assert body == {"message_id": "m1", "campaign_id": "c1", "channel": "sms", "to": "13812345678", "body": "张伟您好",
                    "account": {"access_key_id": "LTAI5tStore", "sign_name": "南山店"}}  # whom it goes out as
    assert headers["Idempotency-Key"] == "m1" and headers["Authorization"] == "Bearer t0ken"


def test_a_refusing_or_unreachable_gateway_is_a_send_failure(sms_gateway):
    url, _, answers = sms_gateway
    answers.append(503)
    with pytest.raises(SendFailed, match="503"):
        WebhookSender(url).send(MESSAGE)
    with pytest.raises(SendFailed, match="unreachable"):
        WebhookSender("http://127.0.0.1:9/none", timeout=0.5).send(MESSAGE)


def test_the_sender_is_chosen_by_the_environment(monkeypatch):
    monkeypatch.delenv("CRM_SENDER_WEBHOOK_URL", raising=False)
    assert isinstance(sender_from_env(), RecordingSender)
    monkeypatch.setenv("CRM_SENDER_WEBHOOK_URL", "http://sms.example/send")
    assert isinstance(sender_from_env(), WebhookSender)


def test_templates_accept_only_known_placeholders():
    check_template("{name}您好，您的{plate}将于{due_on}到期保养")
    assert render("{name}·{tier}·{points}", {"name": "张伟", "tier": "gold", "points": 12}) == "张伟·gold·12"
    assert render("{plate}", {}) == ""
    for bad in ("{mobile}", "{name", "{0}"):
        with pytest.raises(Invalid):
            check_template(bad)


def test_tiers_follow_spend_and_points_are_whole_yuan():
    assert [tier_for(f) for f in (0, 499_999, 500_000, 2_000_000, 5_000_000)] == [
        "standard", "standard", "silver", "gold", "platinum"]
    assert points_for(9_999) == 99 and points_for(99) == 0


def test_adding_months_clamps_to_the_end_of_the_month():
    from datetime import date
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 10), 14) == date(2028, 1, 10)
