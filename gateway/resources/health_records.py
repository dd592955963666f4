"""Repair health-record uploads (汽车维修电子健康档案, finance): one per settled repair, sent to the provincial
system by finance's worker; managers see each upload's status and why one failed, and send a failed one again
once its data is fixed. Store documents: that store's managers and HQ (checked here and again in finance)."""
from __future__ import annotations

from services.common.policy import MANAGERS
from services.contracts.rpc.finance import (HealthRecordBackfill, HealthRecordBackfillOut, HealthRecordOut,
                                           HealthRecordQuery)

from ..api import endpoint
from . import Resource, checked


class HealthRecordUploads(Resource):
    @endpoint("Repair health-record uploads of a store, newest first (filters status, invoice_id): each settled "
              "repair's record for the provincial 汽车维修电子健康档案 system, with its status and, when failed, "
              "the reason codes", tag="finance", roles=MANAGERS, query=HealthRecordQuery, response=HealthRecordOut,
              paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "finance", "list_health_record_uploads", query=checked(req))


class HealthRecordUploadItem(Resource):
    @endpoint("One repair health-record upload: status, the record as last built, why it failed",
              tag="finance", roles=MANAGERS, response=HealthRecordOut)
    def on_get(self, req, resp, upload_id: str):
        return self.call(req, "finance", "get_health_record_upload", upload_id=upload_id)


class HealthRecordUploadRetry(Resource):
    @endpoint("Send a failed upload again once its data is fixed (the car's VIN, the visit's mileage, the store's "
              "许可证号): queued, its record built anew", tag="finance", roles=MANAGERS, response=HealthRecordOut,
              status=202, errors=(409,))
    def on_post(self, req, resp, upload_id: str):
        return self.call(req, "finance", "retry_health_record_upload", upload_id=upload_id)


class HealthRecordBackfillResource(Resource):
    @endpoint("Upload past settlements: the store's settlements of a range of days (store-local, at most a year) "
              "that have no upload yet are queued (e.g. after its repair category was set); idempotent on the "
              "settlement number", tag="finance", roles=MANAGERS, body=HealthRecordBackfill,
              response=HealthRecordBackfillOut, status=202, errors=(409,))
    def on_post(self, req, resp):
        return self.call(req, "finance", "backfill_health_records", data=checked(req, "body_json"))


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/health-record-uploads", HealthRecordUploads(deps)),
        ("/v1/health-record-uploads/backfill", HealthRecordBackfillResource(deps)),
        ("/v1/health-record-uploads/{upload_id}", HealthRecordUploadItem(deps)),
        ("/v1/health-record-uploads/{upload_id}/retry", HealthRecordUploadRetry(deps)),
    ]
