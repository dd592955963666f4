"""Paying inside WeChat's own browser (`/c/v1/wechat…`), where WeChat Pay refuses H5 and takes JSAPI: the phone
app learns the owner's openid at the official account by WeChat's 网页授权 (snsapi_base; the round trip in
gateway/customer/wechat_oauth.py), kept by crm per account; the payment intent's `channel: jsapi` then names
it (customer_care.InvoicePayment). The account is the one of the invoice's store (`payer_account`): its own
official account when it has one, else the chain's."""
from __future__ import annotations

from ..api import endpoint
from ..auth import CUSTOMER
from ..customer import wechat_oauth
from ..customer.schemas import (WeChatAuthorizationBody, WeChatAuthorizationOut, WeChatOpenidBody, WeChatOpenidOut,
                                WeChatSetupOut, WeChatSetupQuery)
from ..customer.wechat_oauth import WeChatOAuthSettings
from . import Resource
from .customer import TAG

APP_PATH = "/m/"
"""Where WeChat sends the owner back: the phone app itself (its 网页授权域名 is the chain's)."""


def payer_account(resource: Resource, req, invoice_id: str | None) -> WeChatOAuthSettings:
    """The official account whose openid pays the owner's invoice `invoice_id` by JSAPI (404 for another's):
    its store's own (the sub_appid of the store's merchant account) when it has one, else the chain's; the
    chain's without an invoice."""
    chain = resource.deps.settings.wechat_oauth
    if not invoice_id:
        return chain
    store_id = resource.call(req, "finance", "customer_invoice", invoice_id=invoice_id)["store_id"]
    return wechat_oauth.of_store(chain, resource.store_keys(store_id))


class WeChatSetup(Resource):
    @endpoint("Whether the phone app can pay by WeChat Pay JSAPI inside WeChat: the official account of its "
              "网页授权 (null: not configured, H5 only) — for `invoice_id`, its store's", tag=TAG, roles=CUSTOMER,
              query=WeChatSetupQuery, response=WeChatSetupOut, errors=(404, 503))
    def on_get(self, req, resp):
        account = payer_account(self, req, req.context.query.get("invoice_id"))
        return {"appid": account.appid or None, "bridge_url": self.deps.settings.wechat_bridge_url}


class WeChatAuthorizations(Resource):
    @endpoint("Start WeChat's 网页授权 (snsapi_base) for the owner's openid at the official account that pays "
              "`invoice_id` (its store's own, else the chain's): the authorize URL to open, coming back to the "
              "phone app with code and state; 503 wechat_oauth_unavailable when not configured",
              tag=TAG, roles=CUSTOMER, body=WeChatAuthorizationBody, response=WeChatAuthorizationOut, status=201,
              errors=(404, 503))
    def on_post(self, req, resp):
        settings = wechat_oauth.configured(payer_account(self, req, req.context.body.get("invoice_id")))
        state = wechat_oauth.new_state(self.deps.settings.jwt_secret, req.context.principal.id, settings.appid)
        back = f"{self.deps.settings.public_origin or req.prefix}{APP_PATH}"
        return {"authorize_url": wechat_oauth.authorize_url(settings, back, state), "state": state}


class WeChatOpenid(Resource):
    @endpoint("Finish WeChat's 网页授权: the code WeChat came back with is exchanged for the owner's openid at the "
              "account the authorization was started for (the same `invoice_id`), kept for JSAPI payments. 409 "
              "wechat_oauth_state when the state was not made here for this owner and account (or is stale), "
              "409 wechat_oauth_refused when WeChat refuses the code, 503 wechat_oauth_unavailable",
              tag=TAG, roles=CUSTOMER, body=WeChatOpenidBody, response=WeChatOpenidOut, errors=(404, 409, 503))
    def on_post(self, req, resp):
        body = req.context.body
        settings = wechat_oauth.configured(payer_account(self, req, body.get("invoice_id")))
        wechat_oauth.check_state(self.deps.settings.jwt_secret, req.context.principal.id, settings.appid,
                                 body["state"])
        openid = wechat_oauth.openid_of_code(settings, body["code"])
        self.call(req, "crm", "customer_remember_wechat_openid", data={"appid": settings.appid, "openid": openid})
        return {"appid": settings.appid, "known": True}


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/c/v1/wechat", WeChatSetup(deps)),
        ("/c/v1/wechat/authorizations", WeChatAuthorizations(deps)),
        ("/c/v1/wechat/openid", WeChatOpenid(deps)),
    ]
