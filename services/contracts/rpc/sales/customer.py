"""What the customer channel (car owners, `/c/v1/`) sends to sales and sees of its documents: the
customer's view leaves out costs, approvals and staff ids."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.attachments import AttachmentRecord
from services.common.fields import Fen, Quantity
from services.common.signatures import SignatureOut

from .quotes import TotalsOut


class CustomerDecisionIn(Schema):
    approved_line_ids = fields.List(fields.String(validate=validate.Length(max=26)), load_default=list,
                                    validate=validate.Length(max=200))
    declined_line_ids = fields.List(fields.String(validate=validate.Length(max=26)), load_default=list,
                                    validate=validate.Length(max=200))
    signature = fields.Nested(AttachmentRecord, load_default=None, allow_none=True,
                              metadata={"description": "the signature image, as the gateway stored it"})
    client_ip = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=45))


class CustomerSignatureOut(SignatureOut):
    url = fields.Function(lambda row: f"/c/v1/quotes/{row['owner_id']}/attachments/{row['id']}")


class CustomerPhotoOut(Schema):
    """A walk-around photo of the customer's own visit, read through the customer channel."""
    id = fields.String()
    kind = fields.String(metadata={"enum": ["image", "video", "pdf"]})
    stage = fields.String(allow_none=True, metadata={"enum": ["check_in", "delivery"]})
    position = fields.String(allow_none=True)
    damage = fields.List(fields.Dict(), metadata={"description": "Damage marks: {kind, note}"})
    taken_at = fields.DateTime(allow_none=True)
    uploaded_at = fields.DateTime()
    url = fields.Function(lambda row: f"/c/v1/attachments/{row['id']}")
    thumbnail_url = fields.Function(
        lambda row: f"/c/v1/attachments/{row['id']}/thumbnail" if row.get("kind") == "image" else None,
        allow_none=True)


class ContractSignatureOut(SignatureOut):
    url = fields.Function(lambda row: f"/c/v1/attachments/{row['id']}")


class CustomerContractOut(Schema):
    id = fields.String()
    number = fields.String()
    confirmed_at = fields.DateTime(allow_none=True)
    total_fen = Fen()
    signature = fields.Nested(ContractSignatureOut, allow_none=True,
                              metadata={"description": "the drawn signature; whether the contract still matches it"})


class CustomerVisitOut(Schema):
    id = fields.String()
    store_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    plate = fields.String(allow_none=True)
    mileage_km = fields.Integer(allow_none=True)
    checked_in_at = fields.DateTime()
    photos = fields.List(fields.Nested(CustomerPhotoOut), metadata={
        "description": "The walk-around at check-in and at delivery, oldest first"})
    contracts = fields.List(fields.Nested(CustomerContractOut), metadata={
        "description": "The visit's signed contracts (orders) with the customer's drawn signature"})


class CustomerQuoteLineOut(Schema):
    id = fields.String()
    position = fields.Integer()
    kind = fields.String()
    description = fields.String()
    qty = Quantity()
    unit = fields.String(allow_none=True)
    unit_price_fen = Fen()
    discount_fen = Fen()
    total_fen = Fen(metadata={"description": "After discount, tax included"})
    decision = fields.String(metadata={"enum": ["pending", "approved", "declined"]})


class CustomerQuoteOut(Schema):
    id = fields.String()
    number = fields.String()
    version = fields.Integer()
    store_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    state = fields.String()
    tax_inclusive = fields.Boolean()
    valid_until = fields.DateTime()
    presented_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(CustomerQuoteLineOut))
    totals = fields.Nested(TotalsOut)
    signed = fields.Boolean(metadata={"description": "the customer signed the decision on screen"})
    signature = fields.Nested(CustomerSignatureOut, allow_none=True,
                              metadata={"description": "the drawn signature, and whether the quote still matches it"})


class CustomerBookingIn(Schema):
    store_id = fields.String(required=True, validate=validate.Length(min=1, max=26))
    vehicle_id = fields.String(required=True, validate=validate.Length(min=1, max=26))
    slot_start = fields.AwareDateTime(required=True, metadata={"example": "2026-12-01T10:00:00+08:00"})
    services = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list,
                           validate=validate.Length(max=20))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class RescheduleIn(Schema):
    slot_start = fields.AwareDateTime(required=True, metadata={"example": "2026-12-02T14:00:00+08:00"})


class FreeSlotsQuery(Schema):
    store_id = fields.String(required=True, validate=validate.Length(min=1, max=26))
    date = fields.Date(required=True, metadata={"description": "The store's local day"})


class FreeSlotOut(Schema):
    slot_start = fields.DateTime()
    slot_minutes = fields.Integer()
    free = fields.Integer(metadata={"description": "bays still free in this slot"})
