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


class CustomerMerged(Schema):
    """`duplicate_id` was folded into `survivor_id`: references to the duplicate now mean the survivor."""
    survivor_id = fields.String(required=True)
    duplicate_id = fields.String(required=True)
    merged_at = fields.String(required=True)


class CustomerErased(Schema):
    """Personal data anonymised on request; drop any copies of the customer's name or phone."""
    customer_id = fields.String(required=True)
    erased_at = fields.String(required=True)


PUBLISHES = {"customer_registered": CustomerRegistered, "vehicle_registered": VehicleRegistered,
             "customer_merged": CustomerMerged, "customer_erased": CustomerErased}
HANDLES = (
    ("sales", "visit_checked_in"),      # history; mileage only grows; last visit
    ("sales", "order_confirmed"),       # history with the total; op codes kept for service-due
    ("sales", "order_cancelled"),       # history
    ("workshop", "vehicle_delivered"),  # history, mileage, next service due, follow-up in N days
    ("finance", "invoice_paid"),        # spend, points, tier
    ("finance", "refund_issued"),       # spend and points taken back
)
