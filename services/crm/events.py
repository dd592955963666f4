"""crm's event contract (payload version 1)."""
from marshmallow import Schema, fields


class CustomerRegistered(Schema):
    customer_id = fields.String(required=True)
    name = fields.String(required=True)
    home_store_id = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    marketing_consent = fields.Boolean(required=True)
    tags = fields.List(fields.String(), required=True)


class VehicleRegistered(Schema):
    vehicle_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    plate = fields.String(required=True)
    vin = fields.String(allow_none=True)
    make = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    year = fields.Integer(allow_none=True)
    mileage_km = fields.Integer(required=True)


PUBLISHES = {"customer_registered": CustomerRegistered, "vehicle_registered": VehicleRegistered}
HANDLES = (("sales", "visit_checked_in"),)  # a history line; the vehicle's mileage only grows
