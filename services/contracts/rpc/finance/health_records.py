"""Repair health-record uploads (汽车维修电子健康档案): the list a manager reads and the retry of a failed one."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.schemas import ListQuery

HEALTH_RECORD_STATES = ("queued", "uploaded", "failed")
REPAIR_CATEGORIES = ("class_1", "class_2", "class_3", "none")
"""维修企业类别 of a store: 一类 / 二类 / 三类 汽车维修经营者, or none (not a repair business, e.g. a car-care shop)."""
UPLOADING_CATEGORIES = ("class_1", "class_2", "class_3")
"""The categories whose settled repairs go to the provincial system (交办运〔2021〕82号: 一类、二类, and 三类 since
2022); a store whose category is unset or `none` uploads nothing."""
HEALTH_RECORD_NOTICES = ("refunded_after_upload",)
"""What the manager is told about an upload the system already holds: its invoice refunded afterwards (the
interface has no correction or withdrawal; the record stands)."""
HEALTH_RECORD_FAILURES = ("licence_missing", "licence_invalid", "company_name_missing", "vehicle_missing",
                          "plate_missing", "vin_missing", "vin_invalid", "mileage_missing", "fault_missing",
                          "items_missing", "rejected", "login_refused")
"""Why an upload failed: the record's checks (in this order), the system refusing the record (`rejected`, its
words in `failure`) or the shop's login (`login_refused`)."""


class HealthRecordQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(HEALTH_RECORD_STATES))
    invoice_id = fields.String(validate=validate.Length(min=1, max=26))


class HealthRecordOut(Schema):
    id = fields.String()
    store_id = fields.String()
    invoice_id = fields.String()
    settlement_no = fields.String(metadata={"description": "结算清单编号: the invoice's number, the record's "
                                                           "costlistcode"})
    order_id = fields.String()
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    plate = fields.String(allow_none=True, metadata={"description": "The car's plate as last built"})
    settled_at = fields.DateTime()
    status = fields.String(metadata={"enum": list(HEALTH_RECORD_STATES), "description": (
        "queued: waiting to be sent (retried with backoff while the system is down); uploaded; failed "
        "(`failure_code`, and `failure_codes` when the record failed its checks)")})
    failure_code = fields.String(allow_none=True, metadata={"enum": list(HEALTH_RECORD_FAILURES)})
    failure_codes = fields.List(fields.String(), metadata={"description": "failed: every check the record failed "
                                                                         "(or rejected / login_refused alone)"})
    failure = fields.String(allow_none=True, metadata={"description": "rejected / login_refused: the system's words"})
    attempts = fields.Integer(metadata={"description": "Sends that found the system down"})
    next_attempt_at = fields.DateTime()
    last_error = fields.String(allow_none=True)
    uploaded_at = fields.DateTime(allow_none=True)
    notice = fields.String(allow_none=True, metadata={"enum": list(HEALTH_RECORD_NOTICES), "description": (
        "refunded_after_upload: the invoice was refunded after the record reached the system, which offers no "
        "correction or withdrawal; what to do is the manager's (the local 运管 office)")})
    notice_at = fields.DateTime(allow_none=True)
    record = fields.Dict(allow_none=True, metadata={"description": "The record as last built: basicInfo, "
                                                                   "repairprojectlist, vehiclepartslist"})
    created_at = fields.DateTime()


class HealthRecordBackfill(Schema):
    """Past settlements of a store with no upload yet, queued now (e.g. after its category was set)."""
    store_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    from_ = fields.Date(required=True, data_key="from", metadata={"description": "First store-local day settled"})
    to = fields.Date(required=True, metadata={"description": "Last store-local day settled (at most 366 days)"})


class HealthRecordBackfillOut(Schema):
    store_id = fields.String()
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    queued = fields.Integer(metadata={"description": "Settlements queued for upload now"})
    already = fields.Integer(metadata={"description": "Settlements of the range that had an upload already "
                                                      "(idempotent on the settlement number)"})
