"""What the customer channel (car owners, `/c/v1/`) sends to the workshop and sees of a work order:
its state and delivery, without technicians, time entries or costs."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class CustomerAcceptanceBody(Schema):
    satisfied = fields.Boolean(required=True, metadata={"description": "Happy with the car as handed back"})
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class CustomerAcceptanceIn(CustomerAcceptanceBody):
    accepted_by = fields.String(required=True, validate=validate.Length(min=1, max=50),
                                metadata={"description": "The customer's name (crm's), as the gateway found it"})


class CustomerWorkOrderQuery(Schema):
    vehicle_id = fields.String(load_default=None, validate=validate.Length(min=1, max=26),
                               metadata={"description": "One of the customer's cars (all of them when left out)"})


class CustomerWorkOrderOut(Schema):
    id = fields.String()
    store_id = fields.String()
    order_id = fields.String()
    order_number = fields.String()
    vehicle_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "completed: ready for the owner to accept (验收)"})
    waiting_parts = fields.Boolean()
    promised_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    accepted_by = fields.String(allow_none=True)
    satisfied = fields.Boolean(allow_none=True)
