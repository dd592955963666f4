"""Messages per store (crm's outbox through its entrypoints, worker_factory + real SQLite, the real SMS and WeChat
adapters against the messaging sandbox in the test's process): a store with its own SMS account and sign
(PROVIDER_KEYS_DIR/sms/<store code>.json, the code registered by the gateway) and its own official account
(…/wechat_mp/<store code>.json) sends its messages under them — the sandbox records which account sent, the text
reads 【南山店】, and its receipt is asked of the same account — while another store's go out under the chain's
account; a store whose keys file is broken sends nothing under the chain's name (its message waits). Campaign
messages are sent under the same accounts (the sender is told whom each goes out as)."""
from __future__ import annotations

import json
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from deploy.sandboxes import messaging as sandbox
from deploy.sandboxes import wsgi_server
from services.common.config import SmsSettings, WeChatMpSettings
from services.common.context import Caller
from services.common.errors import Forbidden
from services.common.messaging.sms import AliyunSms
from services.common.validators import mask_id
from services.common.messaging.wechat_mp import WeChatMp
from services.crm.models import CampaignMessage, Message
from services.crm.senders import Providers, RecordingSender
from services.crm.service import CrmService
from tests.service.test_crm_care_service import daytime
from tests.service.test_crm_messages import car, checked_in, crm, session
from tests.support import data

__all__ = ["session"]  # the fixture

OWN, CHAIN = "s1", "s2"  # 深圳南山店 (its own accounts), a store on the chain's
HQ = Caller(user_id="hq-1", role="hq_admin", store_ids=frozenset())


@pytest.fixture(scope="module")
def world():
    provider = sandbox.Sandbox()
    server = wsgi_server(provider, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield provider, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def providers(world, tmp_path, monkeypatch):
    """The chain's accounts (as the environment gives them) and 深圳南山店's own in its keys files."""
    _, url = world
    monkeypatch.setenv("PROVIDER_KEYS_DIR", str(tmp_path))
    for folder, values in (("sms", {"sign_name": "南山店", "access_key_id": sandbox.STORE_ACCESS_KEY_ID,
                                    "access_key_secret": sandbox.STORE_ACCESS_KEY_SECRET}),
                           ("wechat_mp", {"appid": sandbox.STORE_WECHAT_APPID, "secret": sandbox.STORE_WECHAT_SECRET})):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "SZ-NS.json").write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
    env = sandbox.credentials(url)
    return Providers(AliyunSms(SmsSettings(access_key_id=env["ALIYUN_SMS_ACCESS_KEY_ID"],
                                           access_key_secret=env["ALIYUN_SMS_ACCESS_KEY_SECRET"], endpoint=url)),
                     WeChatMp(WeChatMpSettings(appid=env["WECHAT_MP_APPID"], secret=env["WECHAT_MP_SECRET"],
                                               base_url=url)))


def service_of(session, providers):
    return crm(session, providers, HQ)


def checked_in_at(service, store_id: str, **extra):
    customer, vehicle = car(service, **extra)
    event = checked_in(customer, vehicle)
    event["store_id"] = event["payload"]["store_id"] = store_id
    service.on_visit_checked_in(event)
    return customer


def test_a_store_with_its_own_accounts_sends_under_them_and_another_store_under_the_chains(session, world,
                                                                                             providers):
    provider, _ = world
    service = service_of(session, providers)
    service.register_store(OWN, "SZ-NS")  # the gateway names the store's code when it opens it
    own = checked_in_at(service, OWN)
    chains = checked_in_at(service, CHAIN)
    follower = checked_in_at(service, OWN, wechat_openid="oNanshanFollower1")
    other_follower = checked_in_at(service, CHAIN, wechat_openid="oChainFollower1")
    service.send_messages()
    [text] = [r for r in provider.sms if r["to"] == own["mobile"]]
    assert (text["access_key_id"], text["sign_name"]) == (sandbox.STORE_ACCESS_KEY_ID, "南山店")
    assert text["body"].startswith("【南山店】您的爱车 ")
    [text] = [r for r in provider.sms if r["to"] == chains["mobile"]]
    assert (text["access_key_id"], text["sign_name"]) == (sandbox.ACCESS_KEY_ID, "车主服务")
    assert text["body"].startswith("【车主服务】")
    assert [r["appid"] for r in provider.wechat if r["touser"] == follower["wechat_openid"]] == [
        sandbox.STORE_WECHAT_APPID]
    assert [r["appid"] for r in provider.wechat if r["touser"] == other_follower["wechat_openid"]] == [
        sandbox.WECHAT_APPID]
    # the receipts: each asked of the account that sent the text (the sandbox shows an account its own texts)
    texts = session.query(Message).filter(Message.channel == "sms").all()
    for message in texts:
        message.next_attempt_at = message.sent_at
    session.commit()
    service.send_messages()
    session.expire_all()
    assert sorted((m.store_id, m.status) for m in session.query(Message).filter(Message.channel == "sms")) == [
        (OWN, "delivered"), (CHAIN, "delivered")]


def test_a_store_whose_keys_file_is_broken_sends_nothing_under_the_chains_name(session, world, providers, tmp_path):
    provider, _ = world
    (tmp_path / "sms" / "SZ-NS.json").write_text("{not json", encoding="utf-8")
    service = service_of(session, providers)
    service.register_store(OWN, "SZ-NS")
    customer = checked_in_at(service, OWN, mobile=data.mobile())
    service.send_messages()
    assert [r for r in provider.sms if r["to"] == customer["mobile"]] == []
    message = session.query(Message).one()
    assert (message.status, message.failure_code, message.failure_detail) == ("queued", "provider_down",
                                                                              "store_account_unusable")


def test_the_store_code_is_hqs_to_name_and_picks_the_stores_own_accounts(session, providers):
    service = service_of(session, providers)
    assert service.register_store(OWN, "SZ-NS")["store_id"] == OWN
    with pytest.raises(Forbidden) as refused:  # a store's staff never: they would send under another's sign
        crm(session, providers).register_store(OWN, "GZ-TH")
    assert refused.value.code == "needs_hq"
    assert crm(session, providers).get_store_settings(OWN)["store_id"] == OWN
    assert (providers.sms_of(("SZ-NS", OWN)).settings.sign_name,
            providers.sms_of((None, CHAIN)).settings.sign_name) == ("南山店", "车主服务")


def test_a_manager_sees_which_accounts_the_stores_messages_go_out_under_never_a_secret(session, providers):
    service_of(session, providers).register_store(OWN, "SZ-NS")
    manager = Caller(user_id="m-1", role="store_manager", store_ids=frozenset({OWN}))
    shown = crm(session, providers, manager).message_accounts(OWN)
    assert shown == {"store_id": OWN, "keys_file": "SZ-NS.json",
                     "sms": {"configured": True, "own": True, "sign_name": "南山店", "appid_masked": None},
                     "wechat": {"configured": True, "own": True, "sign_name": None,
                                "appid_masked": mask_id(sandbox.STORE_WECHAT_APPID)}}
    assert crm(session, providers, HQ).message_accounts(CHAIN) == {
        "store_id": CHAIN, "keys_file": f"{CHAIN}.json",
        "sms": {"configured": True, "own": False, "sign_name": "车主服务", "appid_masked": None},
        "wechat": {"configured": True, "own": False, "sign_name": None, "appid_masked": mask_id(sandbox.WECHAT_APPID)}}
    for caller in (Caller(user_id="a-1", role="service_advisor", store_ids=frozenset({OWN})),  # not a manager
                   Caller(user_id="m-2", role="store_manager", store_ids=frozenset({CHAIN}))):  # not their store
        with pytest.raises(Forbidden):
            crm(session, providers, caller).message_accounts(OWN)


def test_campaign_messages_go_out_under_the_account_of_their_store(session, providers, tmp_path):
    """A chain-wide campaign: each customer's message under their home store's account (the sender is told
    whom it goes out as, as the webhook posts it); a store's campaign under that store's; a broken keys file
    fails its message rather than sending it under the chain's name."""
    now = daytime()
    service = service_of(session, providers)
    service.register_store(OWN, "SZ-NS")
    own = service.register_customer({"name": "南山客", "mobile": data.mobile(), "home_store_id": OWN,
                                     "tags": ["winter"], "marketing_consent": True})
    chains = service.register_customer({"name": "天河客", "mobile": data.mobile(), "home_store_id": CHAIN,
                                        "tags": ["winter"], "marketing_consent": True})
    service.create_campaign({"name": "冬季检查", "channel": "sms", "template": "{name}您好",
                             "segment": {"tags": ["winter"]}})
    service.create_campaign({"name": "南山关注", "channel": "wechat", "template": "{name}您好", "store_id": OWN,
                             "segment": {"tags": ["winter"]}})
    sender = send_campaigns(session, providers, now)
    assert sorted((m.channel, m.to, tuple(sorted(m.account.items()))) for m in sender.sent) == sorted([
        ("sms", own["mobile"], (("access_key_id", sandbox.STORE_ACCESS_KEY_ID), ("sign_name", "南山店"))),
        ("sms", chains["mobile"], (("access_key_id", sandbox.ACCESS_KEY_ID), ("sign_name", "车主服务"))),
        ("wechat", own["mobile"], (("appid", sandbox.STORE_WECHAT_APPID),))])

    (tmp_path / "sms" / "SZ-NS.json").write_text("{not json", encoding="utf-8")
    service.create_campaign({"name": "南山春检", "channel": "sms", "template": "{name}", "store_id": OWN,
                             "segment": {"tags": ["winter"]}})
    assert send_campaigns(session, providers, now + timedelta(days=8)).sent == []  # a week on: a new allowance
    failed = session.query(CampaignMessage).filter(CampaignMessage.status == "failed").one()
    assert (failed.customer_id, failed.error) == (own["id"], "store_account_unusable")


def send_campaigns(session, providers, now) -> RecordingSender:
    """crm's campaign timer at `now` with these accounts; what the sender was given."""
    sender = RecordingSender()
    messaging = SimpleNamespace(sender=sender, providers=providers, rate_limits={"sms": 100, "wechat": 100})
    worker_factory(CrmService, db=session, caller=HQ, messaging=messaging).send_campaigns(now)
    return sender
