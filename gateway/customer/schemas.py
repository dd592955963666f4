"""Request and response bodies of the customer channel (`/c/v1/`) that the gateway itself defines."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.fields import Mobile

from ..signatures import signature_field



class CodeRequest(Schema):
    mobile = Mobile(required=True, metadata={"example": "13812345678"})


class CodeSent(Schema):
    expires_in = fields.Integer(metadata={"description": "Seconds the code is valid"})
    resend_after = fields.Integer(metadata={"description": "Seconds before another code may be asked for"})


class CustomerLoginRequest(Schema):
    mobile = Mobile(required=True, metadata={"example": "13812345678"})
    code = fields.String(required=True, load_only=True, validate=validate.Regexp(r"^[0-9]{6}$", error="Six digits."))


class CustomerOut(Schema):
    id = fields.String()
    name = fields.String()


class CustomerLoginResponse(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"enum": ["bearer"]})
    expires_in = fields.Integer(metadata={"description": "Seconds"})
    customer = fields.Nested(CustomerOut)


class DecisionBody(Schema):
    approved_line_ids = fields.List(fields.String(validate=validate.Length(min=1, max=26)), load_default=list,
                                    validate=validate.Length(max=200))
    declined_line_ids = fields.List(fields.String(validate=validate.Length(min=1, max=26)), load_default=list,
                                    validate=validate.Length(max=200))
    signature_png = signature_field()


class TimelineQuery(Schema):
    vehicle_id = fields.String(load_default=None, validate=validate.Length(min=1, max=26),
                               metadata={"description": "One of the customer's cars (all of them when left out)"})


class CustomerStoreOut(Schema):
    id = fields.String()
    name = fields.String()
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    timezone = fields.String()


class LinkOut(Schema):
    id = fields.String()
    url = fields.String(metadata={"description": "The link to send the customer (its secret is shown only here)"})
    expires_at = fields.DateTime()
    texted_to = fields.String(allow_none=True, metadata={
        "description": "The customer's mobile (masked): the link goes out from crm's message outbox, by WeChat when "
                       "the customer follows the official account, else by text; null for an erased customer"})


class LinksRevokedOut(Schema):
    revoked = fields.Integer(metadata={"description": "How many live links were revoked"})


class LinkRequest(Schema):
    token = fields.String(required=True, load_only=True, validate=validate.Length(min=20, max=100))


class LinkLoginResponse(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"enum": ["bearer"]})
    expires_in = fields.Integer(metadata={"description": "Seconds"})
    document_type = fields.String(metadata={"enum": ["quote"]})
    document_id = fields.String()


class WeChatSetupOut(Schema):
    """What the phone app needs to pay inside WeChat."""
    appid = fields.String(allow_none=True, metadata={
        "description": "The official account of WeChat's 网页授权 (null: not configured, pay by H5)"})
    bridge_url = fields.String(allow_none=True, metadata={
        "description": "Tests and sandboxes only: a script standing in for WeChat's WeixinJSBridge"})


class WeChatSetupQuery(Schema):
    invoice_id = fields.String(validate=validate.Length(max=64), metadata={
        "description": "The invoice to pay: the official account of its store (its own, else the chain's)"})


class WeChatAuthorizationBody(Schema):
    invoice_id = fields.String(validate=validate.Length(max=64), metadata={
        "description": "The invoice to pay: authorize at its store's official account (its own, else the chain's)"})


class WeChatAuthorizationOut(Schema):
    authorize_url = fields.String(metadata={"description": "Open it: WeChat comes back to /m/ with code and state"})
    state = fields.String(metadata={"description": "Keep it: what comes back must be the same"})


class WeChatOpenidBody(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,128}$"))
    state = fields.String(required=True, validate=validate.Length(min=1, max=128))
    invoice_id = fields.String(validate=validate.Length(max=64), metadata={
        "description": "The invoice the authorization was started for (the same as there)"})


class WeChatOpenidOut(Schema):
    appid = fields.String()
    known = fields.Boolean(metadata={"description": "The owner's openid there is known: JSAPI can pay"})
