"""Customer source (客户来源): the customers registered over local days at the stores asked about, by the
`source` crm collects on them (the gateway joins finance's figures for them: GET /v1/reports/customer-sources)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.schemas import LocalDays

from .customers import SOURCES


class SourceQuery(LocalDays):
    store_id = fields.String(metadata={"description": "One store (customers whose home store it is); without it "
                                                     "the caller's stores (HQ: the chain)"})
    from_ = fields.Date(data_key="from", required=True, metadata={"description": "First local day of registration"})
    to = fields.Date(required=True, metadata={"description": "Last local day, at most a year after `from`"})


class SourceCustomersOut(Schema):
    source = fields.String(allow_none=True, metadata={"description": "null: not recorded"})
    customer_ids = fields.List(fields.String())


class NewCustomersBySourceOut(Schema):
    items = fields.List(fields.Nested(SourceCustomersOut))


class SourceRowOut(Schema):
    source = fields.String(allow_none=True, metadata={
        "enum": [*SOURCES, "unrecorded"], "description": "As crm records it; unrecorded: none recorded (the total "
                                                        "row: null)"})
    new_customers = fields.Integer(metadata={"description": "Registered over the days at the stores asked about"})
    customers_visited = fields.Integer(metadata={"description": "Of them, invoiced over the days there"})
    invoices = fields.Integer()
    revenue_fen = fields.Integer(metadata={"description": "Their invoices' totals over the days (void left out)"})


class CustomerSourcesOut(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    items = fields.List(fields.Nested(SourceRowOut), metadata={"description": "A row per source, every source"})
    total = fields.Nested(SourceRowOut)


class CampaignResultsQuery(SourceQuery):
    within_days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=365), metadata={
        "description": "A send counts the customer's invoices from its day to this many days after (default 30)"})


class CampaignSendOut(Schema):
    customer_id = fields.String()
    day = fields.Date(metadata={"description": "The local day it was sent"})


class CampaignSendsRow(Schema):
    campaign_id = fields.String()
    name = fields.String()
    store_id = fields.String(allow_none=True, metadata={"description": "null: chain-wide"})
    channel = fields.String()
    sends = fields.List(fields.Nested(CampaignSendOut))
    skipped = fields.Integer(metadata={"description": "Its messages queued over the days and skipped: the customer "
                                                      "had had their weekly allowance of marketing messages"})


class CampaignSendsOut(Schema):
    items = fields.List(fields.Nested(CampaignSendsRow))


class CampaignRowOut(Schema):
    campaign_id = fields.String(allow_none=True, metadata={"description": "The total row: null"})
    name = fields.String(allow_none=True)
    store_id = fields.String(allow_none=True, metadata={"description": "null: chain-wide (and the total row)"})
    channel = fields.String(allow_none=True, metadata={"enum": ["sms", "wechat"]})
    messages_sent = fields.Integer(metadata={"description": "Sent over the days (to the stores' customers for a "
                                                            "chain-wide campaign asked about by store)"})
    messages_skipped = fields.Integer(metadata={"description": "Not sent over the days because the customer had had "
                                                               "their weekly allowance of marketing messages"})
    customers_visited = fields.Integer(metadata={"description": "Of them, invoiced at the stores asked about from "
                                                                "the send's day to `within_days` after"})
    invoices = fields.Integer()
    revenue_fen = fields.Integer(metadata={"description": "Those invoices' totals (void left out)"})


class CampaignResultsOut(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    within_days = fields.Integer()
    items = fields.List(fields.Nested(CampaignRowOut), metadata={"description": "A row per campaign with a send"})
    total = fields.Nested(CampaignRowOut)
