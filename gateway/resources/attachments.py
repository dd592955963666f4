"""Attachments: photos, videos and PDFs on a workshop finding or a visit's walk-around. The gateway
is stateless: it asks the owning service whether the caller may attach to the document (its store
scope), streams the upload to a temporary file, decides its type by its bytes, re-encodes photos
without EXIF, puts the bytes and a thumbnail into the object store, and only then asks the owner to
record the metadata (no transaction spans the upload; a row exists only for stored bytes). Reads ask
the owner for the row (store scope again) and answer the bytes, or a redirect to a short-lived URL."""
from __future__ import annotations

from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

import falcon
from marshmallow import Schema, fields, validate

from services.common.attachments import STAGES, WALK_AROUND_POSITIONS, AttachmentOut, DamageMark
from services.common.ids import new_id
from services.common.policy import ALL_ROLES, SHOP_FLOOR
from services.workshop.schemas import FindingOut

from .. import media
from ..api import endpoint
from ..auth import CUSTOMER
from ..rpc import RemoteError
from ..uploads import too_large, unsupported
from . import Resource

TAG = "attachments"
OWNERS = ("workshop", "sales")
"""The services keeping attachment rows, asked in turn for an id (an id is unique across them)."""
FORM_OVERHEAD = 64 * 1024
DEFAULT_TIME_ZONE = "Asia/Shanghai"
PUBLIC_FIELDS = tuple(AttachmentOut().fields)


class FindingPhotoForm(Schema):
    """The form's text fields besides `file` (a photo, video or PDF)."""


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

    def store_upload(self, req: falcon.Request, record: Callable[[dict], dict]) -> dict:
        """Check and keep `req.context.upload` for `req.context.owner`; `record(data)` makes the owner
        write the row."""
        upload, owner = req.context.upload, req.context.owner
        try:
            prepared = media.prepare(upload.path, upload.path.parent)
        except media.Unsupported as exc:
            raise unsupported(str(exc)) from exc
        except media.TooLarge as exc:
            raise too_large(str(exc)) from exc
        attachment_id = new_id()
        key = f"{owner['store_id']}/{attachment_id}"
        thumbnail_key = f"{key}.thumbnail.jpg" if prepared.thumbnail else None
        storage = self.deps.storage
        storage.put(key, prepared.path, prepared.content_type)
        try:
            if thumbnail_key and prepared.thumbnail:
                storage.put(thumbnail_key, prepared.thumbnail, "image/jpeg")
            row = record({
                "id": attachment_id, "storage_key": key, "thumbnail_key": thumbnail_key,
                "content_type": prepared.content_type, "kind": prepared.kind, "size": prepared.size,
                "sha256": prepared.sha256, "width": prepared.width, "height": prepared.height,
                "taken_at": self.taken_at(prepared.taken_at, owner["store_id"]),
                **req.context.body})
        except BaseException:
            for stored in (key, thumbnail_key):
                if stored:
                    storage.delete(stored)
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
        attachment = self.store_upload(req, lambda data: self.call(
            req, "workshop", "record_finding_photo", work_order_id=work_order_id, finding_id=finding_id, data=data))
        resp.location = attachment["url"]
        return attachment

    def authorize_upload(self, req: falcon.Request, work_order_id: str, finding_id: str) -> dict:
        return self.call(req, "workshop", "authorize_finding_photo", work_order_id=work_order_id,
                         finding_id=finding_id)


class VisitPhotos(Uploading):
    @endpoint("Attach a walk-around photo (position, damage marks) or file to a visit (check-in, delivery); "
              "multipart `file`", tag=TAG, roles=SHOP_FLOOR, upload=VisitPhotoForm, response=AttachmentOut,
              status=201, idempotent=True, errors=(413, 415, 422))
    def on_post(self, req, resp, visit_id: str):
        attachment = self.store_upload(req, lambda data: self.call(
            req, "sales", "record_visit_photo", visit_id=visit_id, data=data))
        resp.location = attachment["url"]
        return attachment

    def authorize_upload(self, req: falcon.Request, visit_id: str) -> dict:
        return self.call(req, "sales", "authorize_visit_photo", visit_id=visit_id)


class Reading(Resource):
    lookup = "get_attachment"
    """The owners' RPC that answers a row the caller may read (staff: store scope; customers: their own)."""

    def locate(self, req: falcon.Request, attachment_id: str, **scope: str) -> dict:
        """The attachment's row from whichever service keeps it (who may read it is checked there; `scope`:
        the document it must belong to)."""
        for service in OWNERS:
            try:
                return self.call(req, service, self.lookup, attachment_id=attachment_id, **scope)
            except RemoteError as exc:
                if exc.exc_type != "NotFound":
                    raise
        raise falcon.HTTPNotFound(title="not_found", description=f"No attachment {attachment_id}.")

    def serve(self, resp: falcon.Response, key: str | None, content_type: str, size: int | None = None) -> None:
        if not key:
            raise falcon.HTTPNotFound(title="not_found", description="This attachment has no thumbnail.")
        resp.set_header("Cache-Control", "private, max-age=300")
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
        resp.content_type = content_type
        resp.content_length = size
        return None


    def file(self, req: falcon.Request, resp: falcon.Response, attachment_id: str, **scope: str) -> None:
        row = self.locate(req, attachment_id, **scope)
        return self.serve(resp, row["storage_key"], row["content_type"], row["size"])

    def thumbnail(self, req: falcon.Request, resp: falcon.Response, attachment_id: str, **scope: str) -> None:
        row = self.locate(req, attachment_id, **scope)
        return self.serve(resp, row.get("thumbnail_key"), "image/jpeg")


class AttachmentItem(Reading):
    @endpoint("An attachment's file (or a 302 to a short-lived URL of the object store)", tag=TAG,
              roles=ALL_ROLES, produces="application/octet-stream", errors=(302,))
    def on_get(self, req, resp, attachment_id: str):
        return self.file(req, resp, attachment_id)


class AttachmentThumbnail(Reading):
    @endpoint("An image attachment's JPEG thumbnail (or a 302 to a short-lived URL)", tag=TAG, roles=ALL_ROLES,
              produces="image/jpeg", errors=(302,))
    def on_get(self, req, resp, attachment_id: str):
        return self.thumbnail(req, resp, attachment_id)


class CustomerAttachmentItem(Reading):
    lookup = "customer_attachment"

    @endpoint("A photo or signature of the signed-in customer's own documents (another's → 404)", tag="customer",
              roles=CUSTOMER, produces="application/octet-stream", errors=(302,))
    def on_get(self, req, resp, attachment_id: str):
        return self.file(req, resp, attachment_id)


class CustomerAttachmentThumbnail(Reading):
    lookup = "customer_attachment"

    @endpoint("The JPEG thumbnail of a photo of the signed-in customer's own documents", tag="customer",
              roles=CUSTOMER, produces="image/jpeg", errors=(302,))
    def on_get(self, req, resp, attachment_id: str):
        return self.thumbnail(req, resp, attachment_id)


class QuoteAttachmentItem(Reading):
    lookup = "customer_attachment"

    @endpoint("A photo of a finding the customer's quote was opened for, or the quote's signature (also for a "
              "token from a link to that quote)", tag="customer", roles=CUSTOMER,
              produces="application/octet-stream", errors=(302,))
    def on_get(self, req, resp, quote_id: str, attachment_id: str):
        return self.file(req, resp, attachment_id, quote_id=quote_id)


class QuoteAttachmentThumbnail(Reading):
    lookup = "customer_attachment"

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
        ("/v1/attachments/{attachment_id}", AttachmentItem(deps)),
        ("/v1/attachments/{attachment_id}/thumbnail", AttachmentThumbnail(deps)),
        ("/v1/quotes/{quote_id}/findings", QuoteFindings(deps)),
        ("/c/v1/attachments/{attachment_id}", CustomerAttachmentItem(deps)),
        ("/c/v1/attachments/{attachment_id}/thumbnail", CustomerAttachmentThumbnail(deps)),
        ("/c/v1/quotes/{quote_id}/attachments/{attachment_id}", QuoteAttachmentItem(deps)),
        ("/c/v1/quotes/{quote_id}/attachments/{attachment_id}/thumbnail", QuoteAttachmentThumbnail(deps)),
    ]
