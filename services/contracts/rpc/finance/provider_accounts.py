"""The merchant and tax accounts a store uses at the providers (`GET /v1/stores/{id}/provider-accounts`):
ids only — merchant numbers, app ids, the seller's tax number — never a key, token or password."""
from __future__ import annotations

from marshmallow import Schema, fields

ACCOUNT_MODES = ("direct", "partner")
"""direct: the account's own merchant/app; partner: a service provider's sub-merchant (WeChat Pay 服务商模式) or
the chain's app acting for the store's merchant (Alipay 第三方应用授权)."""


class PaymentAccountOut(Schema):
    provider = fields.String(metadata={"description": "wechat | alipay"})
    configured = fields.Boolean()
    own = fields.Boolean(metadata={"description": "The store's own account (its keys file), not the chain's"})
    mode = fields.String(allow_none=True, metadata={"description": " | ".join(ACCOUNT_MODES)})
    merchant_id = fields.String(allow_none=True, metadata={
        "description": "Where the money lands: WeChat Pay's 商户号 / 特约商户号, Alipay's app id of the merchant"})
    sp_mchid = fields.String(allow_none=True, metadata={"description": "WeChat Pay service provider's 商户号"})
    appid = fields.String(allow_none=True)
    isv_appid = fields.String(allow_none=True, metadata={"description": "The chain's Alipay third-party app"})


class FapiaoAccountOut(Schema):
    configured = fields.Boolean()
    own = fields.Boolean()
    tax_num = fields.String(allow_none=True, metadata={"description": "销方税号 the store's fapiao are issued under"})
    seller_name = fields.String(allow_none=True)


class HealthRecordAccountOut(Schema):
    configured = fields.Boolean()
    own = fields.Boolean()
    company_code = fields.String(allow_none=True, metadata={"description": "The shop's companycode (许可证号)"})
    has_password = fields.Boolean()


class ProviderAccountsOut(Schema):
    store_id = fields.String()
    store_code = fields.String(allow_none=True)
    keys_file = fields.String(allow_none=True, metadata={
        "description": "The name of the store's keys file in each provider's folder under PROVIDER_KEYS_DIR"})
    payments = fields.List(fields.Nested(PaymentAccountOut))
    fapiao = fields.Nested(FapiaoAccountOut)
    health_record = fields.Nested(HealthRecordAccountOut)
