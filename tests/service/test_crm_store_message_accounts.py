"""Messages per store (crm's outbox through its entrypoints, worker_factory + real SQLite, the real SMS and WeChat
adapters against the messaging sandbox in the test's process): a store with its own SMS account and sign
(PROVIDER_KEYS_DIR/sms/<store code>.json, the code registered by the gateway) and its own official account
(…/wechat_mp/<store code>.json) sends its messages under them — the sandbox records which account sent, the text
reads 【南山店】, and its receipt is asked of the same account — while another store's go out under the chain's
account; a store whose keys file is broken sends nothing under the chain's name (its message waits). A template
message under a store's own official account goes to the openid the owner has there, never the chain's (without
one: by text). Campaign messages go out through the same adapters, accounts and rules (retries, receipts)."""
from __future__ import annotations

import json
import threading
from datetime import timedelta

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
from services.crm.models import CampaignMessage, Message, WeChatOpenid
from services.crm.senders import Providers
from services.crm.service import CrmService
from tests.service.test_crm_care_service import daytime
from tests.service.test_crm_messages import FakeMessaging, car, checked_in, crm, session
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
    knows(session, follower, provider.openid_at(sandbox.STORE_WECHAT_APPID, "nanshan-follower"))
    other_follower = checked_in_at(service, CHAIN, wechat_openid="oChainFollower1")
    service.send_messages()
    [text] = [r for r in provider.sms if r["to"] == own["mobile"]]
    assert (text["access_key_id"], text["sign_name"]) == (sandbox.STORE_ACCESS_KEY_ID, "南山店")
    assert text["body"].startswith("【南山店】您的爱车 ")
    [text] = [r for r in provider.sms if r["to"] == chains["mobile"]]
    assert (text["access_key_id"], text["sign_name"]) == (sandbox.ACCESS_KEY_ID, "车主服务")
    assert text["body"].startswith("【车主服务】")
    assert [r["appid"] for r in provider.wechat
            if r["touser"] == provider.openid_at(sandbox.STORE_WECHAT_APPID, "nanshan-follower")] == [
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


def knows(session, customer: dict, openid: str, appid: str = sandbox.STORE_WECHAT_APPID) -> None:
    """crm learnt the owner's openid at `appid` (as 网页授权 tells it when they pay inside WeChat)."""
    session.add(WeChatOpenid(customer_id=customer["id"], appid=appid, openid=openid))
    session.commit()


def test_a_template_message_under_a_stores_own_account_goes_to_the_owners_openid_there_never_the_chains(
        session, world, providers):
    """The owner's openid differs per official account: under 深圳南山店's own account the message goes to the one
    they have there; under the chain's, to the chain's; an owner with none at the store's account gets a text (the
    sandbox, like WeChat, refuses an openid given out by another account, 40003)."""
    provider, _ = world
    service = service_of(session, providers)
    service.register_store(OWN, "SZ-NS")
    both = service.register_customer({"name": "两号", "mobile": data.mobile(), "home_store_id": OWN,
                                      "wechat_openid": provider.openid_at(sandbox.WECHAT_APPID, "both")})
    knows(session, both, provider.openid_at(sandbox.STORE_WECHAT_APPID, "both"))
    chain_only = service.register_customer({"name": "连锁号", "mobile": data.mobile(), "home_store_id": OWN,
                                            "wechat_openid": provider.openid_at(sandbox.WECHAT_APPID, "chain-only")})
    for owner, store in ((both, OWN), (both, CHAIN), (chain_only, OWN)):
        vehicle = service.add_vehicle(owner["id"], {"plate": data.plate()})
        event = checked_in(owner, vehicle)
        event["store_id"] = event["payload"]["store_id"] = store
        service.on_visit_checked_in(event)
    service.send_messages()
    service.send_messages()  # a refused template message goes again, by text
    at_store = provider.openid_at(sandbox.STORE_WECHAT_APPID, "both")
    assert sorted((r["appid"], r["touser"]) for r in provider.wechat
                  if r["touser"] in (at_store, both["wechat_openid"], chain_only["wechat_openid"])) == sorted([
        (sandbox.STORE_WECHAT_APPID, at_store), (sandbox.WECHAT_APPID, both["wechat_openid"])])
    [text] = [r for r in provider.sms if r["to"] == chain_only["mobile"]]
    assert text["body"].startswith("【南山店】您的爱车 ")
    fell_back = session.query(Message).filter(Message.customer_id == chain_only["id"]).one()
    assert (fell_back.status, fell_back.channel, fell_back.failure_code, fell_back.failure_detail) == (
        "sent", "sms", None, None)


def campaign_timer(session, providers, now, retry_delays=(0.0, 0.0)) -> None:
    """crm's campaign timer at `now` with these accounts (the real adapters, the sandbox behind them)."""
    messaging = FakeMessaging(providers)
    messaging.retry_delays = retry_delays
    worker_factory(CrmService, db=session, caller=HQ, messaging=messaging).send_campaigns(now)


def campaign_messages(session, campaign_id: str) -> dict[str, CampaignMessage]:
    session.expire_all()
    return {m.customer_id: m for m in session.query(CampaignMessage).filter_by(campaign_id=campaign_id)}


def test_campaign_messages_go_out_through_the_providers_under_their_stores_accounts(session, world, providers,
                                                                                    tmp_path):
    """A chain-wide campaign by text: each owner's under their home store's account, the campaign's text in the
    marketing template, then the receipt marks it delivered; a store's WeChat campaign: a template message to the
    openid the owner has at the store's own official account, and by text to one who has none there; a broken keys
    file sends nothing under the chain's name (the message waits)."""
    provider, _ = world
    now = daytime()
    service = service_of(session, providers)
    service.register_store(OWN, "SZ-NS")
    own = service.register_customer({"name": "南山客", "mobile": data.mobile(), "home_store_id": OWN,
                                     "tags": ["winter", "nanshan"], "marketing_consent": True})
    knows(session, own, provider.openid_at(sandbox.STORE_WECHAT_APPID, "nanshan-guest"))
    chains = service.register_customer({"name": "天河客", "mobile": data.mobile(), "home_store_id": CHAIN,
                                        "tags": ["winter"], "marketing_consent": True,
                                        "wechat_openid": provider.openid_at(sandbox.WECHAT_APPID, "tianhe-guest")})
    texts = service.create_campaign({"name": "冬季检查", "channel": "sms", "template": "{name}您好，冬季免费检测",
                                     "segment": {"tags": ["winter"]}})
    campaign_timer(session, providers, now)
    [mine] = [r for r in provider.sms if r["to"] == own["mobile"]]
    assert (mine["access_key_id"], mine["template"], mine["body"]) == (
        sandbox.STORE_ACCESS_KEY_ID, "campaign", "【南山店】南山客您好，冬季免费检测 回T退订")
    [theirs] = [r for r in provider.sms if r["to"] == chains["mobile"]]
    assert (theirs["access_key_id"], theirs["body"]) == (sandbox.ACCESS_KEY_ID,
                                                         "【车主服务】天河客您好，冬季免费检测 回T退订")
    sent = campaign_messages(session, texts["id"])
    assert {m.status for m in sent.values()} == {"sent"}
    assert sent[own["id"]].provider_id == mine["biz_id"]
    campaign_timer(session, providers, now + timedelta(seconds=6))  # the receipts, each asked of its account
    assert {(m.status, m.receipt_at) for m in campaign_messages(session, texts["id"]).values()} == {
        ("delivered", None)}
    assert service.get_campaign(texts["id"])["messages"]["delivered"] == 2

    follower = service.register_customer({"name": "关注客", "mobile": data.mobile(), "home_store_id": OWN,
                                          "tags": ["nanshan"], "marketing_consent": True,
                                          "wechat_openid": provider.openid_at(sandbox.WECHAT_APPID, "follower")})
    notices = service.create_campaign({"name": "南山关注", "channel": "wechat", "template": "{name}您好",
                                       "store_id": OWN, "segment": {"tags": ["nanshan"]}})
    later = now + timedelta(minutes=1)
    campaign_timer(session, providers, later)
    campaign_timer(session, providers, later + timedelta(seconds=1))  # the one with no openid there: by text
    [notice] = [r for r in provider.wechat if r["touser"] == provider.openid_at(sandbox.STORE_WECHAT_APPID,
                                                                                 "nanshan-guest")]
    assert (notice["appid"], notice["template"], notice["body"]) == (sandbox.STORE_WECHAT_APPID, "campaign",
                                                                     "南山客您好 回T退订")
    assert [r for r in provider.wechat if r["touser"] == follower["wechat_openid"]] == []  # never the chain's openid
    assert [r["body"] for r in provider.sms if r["to"] == follower["mobile"]] == ["【南山店】关注客您好 回T退订"]
    sent = campaign_messages(session, notices["id"])
    assert (sent[own["id"]].status, sent[own["id"]].channel) == ("sent", "wechat")
    assert (sent[follower["id"]].status, sent[follower["id"]].channel) == ("sent", "sms")

    (tmp_path / "sms" / "SZ-NS.json").write_text("{not json", encoding="utf-8")
    spring = service.create_campaign({"name": "南山春检", "channel": "sms", "template": "{name}", "store_id": OWN,
                                      "segment": {"tags": ["winter"]}})
    week_on = now + timedelta(days=8)  # a new weekly allowance
    before = len(provider.sms)
    campaign_timer(session, providers, week_on)
    assert len(provider.sms) == before
    waiting = campaign_messages(session, spring["id"])
    assert {(m.status, m.error) for m in waiting.values()} == {("queued", "provider_down:store_account_unusable")}


def test_a_campaign_message_whose_provider_is_down_is_tried_again_with_growing_waits(session, world, providers):
    provider, _ = world
    now = daytime()
    service = service_of(session, providers)
    owner = service.register_customer({"name": "重试客", "mobile": data.mobile(), "home_store_id": CHAIN,
                                       "tags": ["retry"], "marketing_consent": True})
    campaign = service.create_campaign({"name": "重试", "channel": "sms", "template": "{name}您好",
                                        "segment": {"tags": ["retry"]}})
    provider.down["sms"] = True
    try:
        campaign_timer(session, providers, now, retry_delays=(60.0, 300.0))
        [waiting] = campaign_messages(session, campaign["id"]).values()
        assert (waiting.status, waiting.error, waiting.attempts) == ("queued", "provider_down:ServiceUnavailable", 1)
        assert waiting.not_before == now + timedelta(seconds=60) and waiting.sent_at is None
        campaign_timer(session, providers, now + timedelta(seconds=61), retry_delays=(60.0, 300.0))
        [waiting] = campaign_messages(session, campaign["id"]).values()
        assert (waiting.attempts, waiting.not_before) == (2, now + timedelta(seconds=361))  # the next, longer wait
    finally:
        provider.down["sms"] = False
    campaign_timer(session, providers, now + timedelta(seconds=200), retry_delays=(60.0, 300.0))
    assert [r for r in provider.sms if r["to"] == owner["mobile"]] == []  # not before its time
    campaign_timer(session, providers, now + timedelta(seconds=362), retry_delays=(60.0, 300.0))
    [text] = [r for r in provider.sms if r["to"] == owner["mobile"]]
    [sent] = campaign_messages(session, campaign["id"]).values()
    assert (sent.status, sent.error, sent.provider_id, sent.attempts) == ("sent", None, text["biz_id"], 3)
    assert service.get_campaign(campaign["id"])["status"] == "completed"
