"""Attachments: photos, videos and PDFs on a workshop finding or work order, a visit's walk-around, a
complaint or a purchase receipt. The gateway is stateless: it asks the owning service whether the caller
may attach to the document (its store scope), streams the upload to a temporary file, decides its type
by its bytes, re-encodes photos without EXIF, puts the bytes into the object store, and only then asks
the owner to record the metadata (no transaction spans the upload; a row exists only for stored bytes).
The owner makes the thumbnail afterwards, off the request path. Reads ask the one service the id names
for the row (store scope again) and answer the bytes, or a redirect to a short-lived URL."""
from __future__ import annotations

from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

import falcon
from marshmallow import Schema, fields, validate

from services.common.attachments import (OWNER_SERVICES, STAGES, WALK_AROUND_POSITIONS, AttachmentOut, DamageMark,
                                         new_attachment_id, owner_service, storage_key)
from services.common.db import utcnow
from services.common.policy import ALL_ROLES, FRONT_DESK, SHOP_FLOOR
from services.common.schemas import ListQuery
from services.contracts.rpc.workshop import FindingOut

from .. import media
from ..api import endpoint
from ..auth import CUSTOMER
from ..rpc import RemoteError
from ..uploads import busy, too_large, unsupported
from . import Resource
from .inventory import RECEIVERS

TAG = "attachments"
FORM_OVERHEAD = 64 * 1024
DEFAULT_TIME_ZONE = "Asia/Shanghai"
PUBLIC_FIELDS = tuple(AttachmentOut().fields)


class FindingPhotoForm(Schema):
    """The form's text fields besides `file` (a photo, video or PDF)."""


class DocumentFileForm(Schema):
    """A document's file: the form has only `file` (a photo, video or PDF)."""


DAMAGE_IS_JSON = "Damage marks are a JSON array of marks."
"""A form field holds text: that it is JSON is said in words (OpenAPI 3.0 cannot constrain a string's JSON)."""


class VisitPhotoForm(Schema):
    stage = fields.String(load_default="check_in", validate=validate.OneOf(STAGES), metadata={
        "description": "check_in (as the car came in) or delivery (as it is handed back: the same positions)"})
    position = fields.String(load_default=None, validate=validate.OneOf(WALK_AROUND_POSITIONS),
                             metadata={"description": "Where around the car (walk-around, 环车检查)"})
    damage = fields.List(fields.Nested(DamageMark), load_default=list, validate=validate.Length(max=20),
                         error_messages={"invalid": DAMAGE_IS_JSON},
                         metadata={"description": "Damage marks seen on this photo, as a JSON array"})


class Uploading(Resource):
    """A subclass's `authorize_upload(req, **path_params)` asks the owning service, before the upload
    is read, whether the caller may attach to the document (its store scope): the owner (store_id,
    owner_type, owner_id, parent_id)."""
    max_body_bytes = media.MAX_UPLOAD_BYTES + FORM_OVERHEAD

    def store_upload(self, req: falcon.Request, service: str, record: Callable[[dict], dict]) -> dict:
        """Check and keep `req.context.upload` for `req.context.owner` of `service`; `record(data)`
        makes the owner write the row."""
        upload, owner = req.context.upload, req.context.owner
        try:
            prepared = media.prepare(upload.path, upload.path.parent, self.deps.reencode_slots)
        except media.Busy as exc:
            raise busy(str(exc)) from exc
        except media.Unsupported as exc:
            raise unsupported(str(exc)) from exc
        except media.TooLarge as exc:
            raise too_large(str(exc)) from exc
        attachment_id = new_attachment_id(service)
        key = storage_key(attachment_id, owner["store_id"], utcnow())
        self.deps.storage.put(key, prepared.path, prepared.content_type)
        try:
            row = record({
                "id": attachment_id, "storage_key": key, "content_type": prepared.content_type,
                "kind": prepared.kind, "size": prepared.size, "sha256": prepared.sha256,
                "width": prepared.width, "height": prepared.height,
                "taken_at": self.taken_at(prepared.taken_at, owner["store_id"]), **req.context.body})
        except RemoteError:  # the owner answered no: nothing was recorded. Any other failure (a timeout
            self.deps.storage.delete(key)  # after the row committed?) leaves the bytes to the orphan sweep.
            raise
        return {name: row.get(name) for name in PUBLIC_FIELDS}


    def taken_at(self, taken: datetime | None, store_id: str) -> str | None:
        """A camera clock without an offset is read as the store's local time."""
        if taken is not None and taken.tzinfo is None:
            store = self.store(store_id)
            taken = taken.replace(tzinfo=ZoneInfo(store.timezone if store is not None else DEFAULT_TIME_ZONE))
        return taken.isoformat() if taken else None


class FindingPhotos(Uploading):
    @endpoint("Attach a photo (JPEG, PNG, HEIC → JPEG), MP4 video or PDF to an inspection finding "
              "(multipart `file`); EXIF location and device data are removed", tag=TAG, roles=SHOP_FLOOR,
              upload=FindingPhotoForm, response=AttachmentOut, status=201, idempotent=True, errors=(413, 415, 422))
    def on_post(self, req, resp, work_order_id: str, finding_id: str):
        attachment = self.store_upload(req, "workshop", lambda data: self.call(
            req, "workshop", "record_finding_photo", work_order_id=work_order_id, finding_id=finding_id, data=data))
        resp.location = attachment["url"]
        return attachment

    def authorize_upload(self, req: falcon.Request, work_order_id: str, finding_id: str) -> dict:
        return self.call(req, "workshop", "authorize_finding_photo", work_order_id=work_order_id,
                         finding_id=finding_id)


class VisitPhotos(Uploading):
    @endpoint("Attach a walk-around photo (position, damage marks) or file to a visit (check-in, delivery); "
              "multipart `file`. A delivery photo before the car's work is completed: 409 visit_not_completed",
              tag=TAG, roles=SHOP_FLOOR, upload=VisitPhotoForm, response=AttachmentOut, status=201, idempotent=True,
              errors=(409, 413, 415, 422))
    def on_post(self, req, resp, visit_id: str):
        attachment = self.store_upload(req, "sales", lambda data: self.call(
            req, "sales", "record_visit_photo", visit_id=visit_id, data=data))
        resp.location = attachment["url"]
        return attachment

    def authorize_upload(self, req: falcon.Request, visit_id: str) -> dict:
        return self.call(req, "sales", "authorize_visit_photo", visit_id=visit_id)


class DocumentFiles(Uploading):
    """Files on a whole document (`owner_type` kept by `service`): upload and list, through the owner's
    generic attachment calls (`services/common/attachment_jobs.Attachments`)."""
    service = ""
    owner_type = ""

    def upload(self, req: falcon.Request, resp: falcon.Response, owner_id: str) -> dict:
        attachment = self.store_upload(req, self.service, lambda data: self.call(
            req, self.service, "record_attachment", owner_type=self.owner_type, owner_id=owner_id, data=data))
        resp.location = attachment["url"]
        return attachment

    def listing(self, req: falcon.Request, owner_id: str) -> dict:
        return self.call(req, self.service, "list_attachments", owner_type=self.owner_type, owner_id=owner_id,
                         query=req.context.query_json)

    def authorize_upload(self, req: falcon.Request, **params: str) -> dict:
        (owner_id,) = params.values()
        return self.call(req, self.service, "authorize_attachment", owner_type=self.owner_type, owner_id=owner_id)


class WorkOrderFiles(DocumentFiles):
    service, owner_type = "workshop", "work_order"

    @endpoint("Attach a photo, MP4 video or PDF to a work order (multipart `file`)", tag=TAG, roles=SHOP_FLOOR,
              upload=DocumentFileForm, response=AttachmentOut, status=201, idempotent=True, errors=(413, 415, 422))
    def on_post(self, req, resp, work_order_id: str):
        return self.upload(req, resp, work_order_id)

    @endpoint("A work order's photos and files, oldest first, a page at a time", tag=TAG, roles=SHOP_FLOOR,
              query=ListQuery, response=AttachmentOut, paginated=True)
    def on_get(self, req, resp, work_order_id: str):
        return self.listing(req, work_order_id)


class ComplaintFiles(DocumentFiles):
    service, owner_type = "crm", "complaint"

    @endpoint("Attach evidence (photo, MP4 video or PDF) to a complaint (multipart `file`)", tag=TAG,
              roles=FRONT_DESK, upload=DocumentFileForm, response=AttachmentOut, status=201, idempotent=True,
              errors=(413, 415, 422))
    def on_post(self, req, resp, complaint_id: str):
        return self.upload(req, resp, complaint_id)

    @endpoint("A complaint's photos and files, oldest first, a page at a time", tag=TAG, roles=FRONT_DESK,
              query=ListQuery, response=AttachmentOut, paginated=True)
    def on_get(self, req, resp, complaint_id: str):
        return self.listing(req, complaint_id)


class ReceiptFiles(DocumentFiles):
    service, owner_type = "inventory", "receipt"

    @endpoint("Attach the delivery note or a photo of the goods (photo, MP4 video or PDF) to a purchase receipt "
              "(multipart `file`)", tag=TAG, roles=RECEIVERS, upload=DocumentFileForm, response=AttachmentOut,
              status=201, idempotent=True, errors=(413, 415, 422))
    def on_post(self, req, resp, receipt_id: str):
        return self.upload(req, resp, receipt_id)

    @endpoint("A purchase receipt's photos and files, oldest first", tag=TAG, roles=RECEIVERS,
              query=ListQuery, response=AttachmentOut, paginated=True)
    def on_get(self, req, resp, receipt_id: str):
        return self.listing(req, receipt_id)


class Reading(Resource):
    lookup = "get_attachment"
    """The owner's RPC that answers a row the caller may read (staff: store scope; customers: their own)."""
    readers: tuple[str, ...] = tuple(OWNER_SERVICES.values())
    """The services that answer `lookup`."""

    def locate(self, req: falcon.Request, attachment_id: str, **scope: str) -> dict:
        """The attachment's row from the service its id names (who may read it is checked there; `scope`:
        the document it must belong to)."""
        service = owner_service(attachment_id)
        if service not in self.readers:
            raise falcon.HTTPNotFound(title="not_found", description=f"No attachment {attachment_id}.")
        return self.call(req, service, self.lookup, attachment_id=attachment_id, **scope)

    def serve(self, resp: falcon.Response, key: str, content_type: str, size: int | None = None) -> None:
        """The bytes, kept by the reader's own browser for five minutes (an attachment never changes under its
        key); or a redirect to the object store, never kept (its URL expires shortly)."""
        resp.set_header("X-Content-Type-Options", "nosniff")
        url = self.deps.storage.url(key, content_type)
        if url is not None:  # the object store serves the bytes; the URL expires shortly
            resp.status = falcon.HTTP_302
            resp.location = url
            return None
        try:
            resp.stream = self.deps.storage.open(key)
        except FileNotFoundError as exc:
            raise falcon.HTTPNotFound(title="not_found", description="The file is no longer stored.") from exc
        resp.set_header("Cache-Control", "private, max-age=300")
        resp.content_type = content_type
        resp.content_length = size
        return None


    def file(self, req: falcon.Request, resp: falcon.Response, attachment_id: str, **scope: str) -> None:
        row = self.locate(req, attachment_id, **scope)
        return self.serve(resp, row["storage_key"], row["content_type"], row["size"])

    def thumbnail(self, req: falcon.Request, resp: falcon.Response, attachment_id: str, **scope: str) -> None:
        row = self.locate(req, attachment_id, **scope)
        if row["kind"] != "image":
            raise falcon.HTTPNotFound(title="not_found", description="Only photos have a thumbnail.")
        if not row.get("thumbnail_key"):  # being made (seconds): the photo itself meanwhile
            return self.serve(resp, row["storage_key"], row["content_type"], row["size"])
        return self.serve(resp, row["thumbnail_key"], "image/jpeg")


class CustomerReading(Reading):
    lookup = "customer_attachment"
    readers = ("workshop", "sales")  # the services keeping what a customer may see: findings, visits, quotes


class AttachmentItem(Reading):
    @endpoint("An attachment's file (or a 302 to a short-lived URL of the object store)", tag=TAG,
              roles=ALL_ROLES, produces="application/octet-stream", errors=(302,))
    def on_get(self, req, resp, attachment_id: str):
        return self.file(req, resp, attachment_id)


class AttachmentThumbnail(Reading):
    @endpoint("An image attachment's JPEG thumbnail (or a 302 to a short-lived URL); until the owning service "
              "has made it (seconds after the upload), the photo itself", tag=TAG, roles=ALL_ROLES,
              produces="image/jpeg", errors=(302,))
    def on_get(self, req, resp, attachment_id: str):
        return self.thumbnail(req, resp, attachment_id)


class CustomerAttachmentItem(CustomerReading):

    @endpoint("A photo or signature of the signed-in customer's own documents (another's → 404)", tag="customer",
              roles=CUSTOMER, produces="application/octet-stream", errors=(302,))
    def on_get(self, req, resp, attachment_id: str):
        return self.file(req, resp, attachment_id)


class CustomerAttachmentThumbnail(CustomerReading):

    @endpoint("The JPEG thumbnail of a photo of the signed-in customer's own documents", tag="customer",
              roles=CUSTOMER, produces="image/jpeg", errors=(302,))
    def on_get(self, req, resp, attachment_id: str):
        return self.thumbnail(req, resp, attachment_id)


class QuoteAttachmentItem(CustomerReading):

    @endpoint("A photo of a finding the customer's quote was opened for, or the quote's signature (also for a "
              "token from a link to that quote)", tag="customer", roles=CUSTOMER,
              produces="application/octet-stream", errors=(302,))
    def on_get(self, req, resp, quote_id: str, attachment_id: str):
        return self.file(req, resp, attachment_id, quote_id=quote_id)


class QuoteAttachmentThumbnail(CustomerReading):

    @endpoint("The JPEG thumbnail of a photo on the customer's quote", tag="customer", roles=CUSTOMER,
              produces="image/jpeg", errors=(302,))
    def on_get(self, req, resp, quote_id: str, attachment_id: str):
        return self.thumbnail(req, resp, attachment_id, quote_id=quote_id)


class QuoteFindings(Resource):
    @endpoint("The inspection findings a quote was opened for, with their photos", tag=TAG, roles=ALL_ROLES,
              response=FindingOut, paginated=True)
    def on_get(self, req, resp, quote_id: str):
        self.call(req, "sales", "get_quote", quote_id=quote_id)  # 404 / another store's 403
        return {**self.call(req, "workshop", "findings_of_quote", quote_id=quote_id), "next_cursor": None}


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/work-orders/{work_order_id}/inspections/{finding_id}/photos", FindingPhotos(deps)),
        ("/v1/visits/{visit_id}/photos", VisitPhotos(deps)),
        ("/v1/work-orders/{work_order_id}/attachments", WorkOrderFiles(deps)),
        ("/v1/complaints/{complaint_id}/attachments", ComplaintFiles(deps)),
        ("/v1/receipts/{receipt_id}/attachments", ReceiptFiles(deps)),
        ("/v1/attachments/{attachment_id}", AttachmentItem(deps)),
        ("/v1/attachments/{attachment_id}/thumbnail", AttachmentThumbnail(deps)),
        ("/v1/quotes/{quote_id}/findings", QuoteFindings(deps)),
        ("/c/v1/attachments/{attachment_id}", CustomerAttachmentItem(deps)),
        ("/c/v1/attachments/{attachment_id}/thumbnail", CustomerAttachmentThumbnail(deps)),
        ("/c/v1/quotes/{quote_id}/attachments/{attachment_id}", QuoteAttachmentItem(deps)),
        ("/c/v1/quotes/{quote_id}/attachments/{attachment_id}/thumbnail", QuoteAttachmentThumbnail(deps)),
    ]
