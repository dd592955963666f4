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
