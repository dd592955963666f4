"""workshop's contract: request and response schemas shared by the service and the gateway
(the gateway validates with them and builds its OpenAPI document from them)."""
from __future__ import annotations


from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.attachments import AttachmentOut, QuotePhotoOut
from services.common.fields import ClockTime, Code, Fen, Name, Quantity, TimeZone, Years
from services.common.schemas import ListQuery, patch_schema
from services.common.skills import LEVELS, SKILL, SKILLS

from .domain.inspections import AREAS, CONDITIONS
from .domain.work_orders import STATES

BAY_KINDS = ("general", "lift", "alignment", "quick_service", "diagnosis", "bodywork", "paint_booth", "wash")
TRAINING_KINDS = ("onboarding", "on_the_job", "external", "manufacturer")
STORE_ID = validate.Length(min=1, max=26)
SANE_DATE = Years(2000, 2100)
SANE_MOMENT = Years(2000, 2100, moments=True)
PAST_DATE = Years(1950, 2100)
"""When a certificate was issued or a training completed (older records are kept too)."""


# -- technicians -----------------------------------------------------------------------------------

class ShiftIn(Schema):
    weekday = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=6),
                             metadata={"description": "0 = Monday … 6 = Sunday"})
    start = ClockTime(required=True, metadata={"example": "08:30"})
    end = ClockTime(required=True, metadata={
        "example": "18:00", "description": "Store-local; an end not after the start runs past midnight"})

    @validates_schema
    def _not_empty(self, data, **_):
        if data.get("start") == data.get("end"):
            raise ValidationError("A shift cannot start and end at the same time.", "end")


class ShiftOut(Schema):
    weekday = fields.Integer()
    start = fields.Time(format="%H:%M", attribute="starts_at")
    end = fields.Time(format="%H:%M", attribute="ends_at")


class TechnicianCreate(Schema):
    store_id = fields.String(required=True, validate=STORE_ID)
    name = Name(required=True, max_length=50)
    user_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=26),
                            metadata={"description": "The staff account that clocks as this technician"})
    employee_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    hourly_cost_fen = Fen(required=True, validate=validate.Range(max=10_000_000),
                          metadata={"description": "Labour cost per hour, in fen"})
    skills = fields.List(fields.String(validate=SKILL), load_default=list, validate=validate.Length(max=30),
                         metadata={"description": "The chain's skill vocabulary (a level is not a skill): "
                                                        + ", ".join(SKILLS)})
    shifts = fields.List(fields.Nested(ShiftIn), load_default=list, validate=validate.Length(max=21))
    days_off = fields.List(fields.Date(validate=SANE_DATE), load_default=list, validate=validate.Length(max=400),
                           metadata={"description": "Store-local dates off (leave); replaces the list on PATCH"})
    time_zone = TimeZone(load_default="Asia/Shanghai",
                         metadata={"description": "The store's time zone (shifts are local times)"})
    active = fields.Boolean(load_default=True)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


TechnicianPatch = patch_schema(TechnicianCreate, "TechnicianPatch")


class CertificationCreate(Schema):
    name = Name(required=True, max_length=100)
    skill = fields.String(load_default=None, allow_none=True, validate=SKILL,
                          metadata={"description": "The skill it qualifies for (added to the technician's skills)"})
    issuer = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    certificate_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    issued_on = fields.Date(load_default=None, allow_none=True, validate=PAST_DATE)
    expires_on = fields.Date(load_default=None, allow_none=True, validate=SANE_DATE)

    @validates_schema
    def _order(self, data, **_):
        if data.get("issued_on") and data.get("expires_on") and data["expires_on"] < data["issued_on"]:
            raise ValidationError("Expires before it was issued.", "expires_on")


class CertificationOut(Schema):
    id = fields.String()
    name = fields.String()
    skill = fields.String(allow_none=True)
    issuer = fields.String(allow_none=True)
    certificate_no = fields.String(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    expires_on = fields.Date(allow_none=True)


class TrainingCreate(Schema):
    course = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(TRAINING_KINDS),
                         metadata={"description": "岗前 onboarding, 在职 on_the_job, external, manufacturer"})
    completed_on = fields.Date(required=True, validate=PAST_DATE)
    hours = Quantity(load_default=None, allow_none=True, validate=validate.Range(min=0, max=10000))
    result = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class TrainingOut(Schema):
    id = fields.String()
    course = fields.String()
    kind = fields.String()
    completed_on = fields.Date()
    hours = Quantity(allow_none=True)
    result = fields.String(allow_none=True)


class TechnicianOut(Schema):
    id = fields.String()
    store_id = fields.String()
    user_id = fields.String(allow_none=True)
    name = fields.String()
    employee_no = fields.String(allow_none=True)
    level = fields.String()
    hourly_cost_fen = Fen(allow_none=True, metadata={"description": "Shown to managers only (null otherwise)"})
    skills = fields.List(fields.String())
    shifts = fields.List(fields.Nested(ShiftOut))
    days_off = fields.List(fields.Date())
    time_zone = fields.String()
    active = fields.Boolean()
    notes = fields.String(allow_none=True)
    certifications = fields.List(fields.Nested(CertificationOut))
    trainings = fields.List(fields.Nested(TrainingOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class TechnicianListQuery(ListQuery):
    store_id = fields.String()
    skill = fields.String(validate=SKILL)
    level = fields.String(validate=validate.OneOf(LEVELS))
    active = fields.Boolean()


class JobBoardItemOut(Schema):
    work_order_id = fields.String()
    order_number = fields.String()
    work_order_status = fields.String()
    vehicle_id = fields.String(allow_none=True)
    promised_at = fields.DateTime(allow_none=True)
    waiting_parts = fields.Boolean()
    bay_id = fields.String(allow_none=True)
    job_id = fields.String()
    description = fields.String()
    op_code = fields.String(allow_none=True)
    skill = fields.String(allow_none=True)
    billed_hours = Quantity()
    split_pct = Quantity()
    clocked_hours = Quantity()
    clocked_in_since = fields.DateTime(allow_none=True)


class JobBoardOut(Schema):
    technician = fields.Nested(TechnicianOut)
    items = fields.List(fields.Nested(JobBoardItemOut))


# -- work orders -----------------------------------------------------------------------------------

class AssignmentOut(Schema):
    technician_id = fields.String()
    name = fields.String()
    user_id = fields.String(allow_none=True)
    split_pct = Quantity()
    clocked_hours = Quantity(metadata={"description": "Closed time entries of this technician on this job"})
    actual_hours = Quantity(allow_none=True, metadata={"description": "Recorded at completion"})
    assigned_at = fields.DateTime()


class ClockedInOut(Schema):
    technician_id = fields.String()
    name = fields.String()
    since = fields.DateTime()


class JobOut(Schema):
    id = fields.String()
    line_id = fields.String(allow_none=True)
    op_code = fields.String(allow_none=True)
    description = fields.String()
    skill = fields.String(allow_none=True)
    billed_hours = Quantity()
    comeback = fields.Boolean()
    status = fields.String(metadata={"enum": ["unassigned", "assigned", "working", "done"]})
    finished_at = fields.DateTime(allow_none=True)
    technicians = fields.List(fields.Nested(AssignmentOut))
    clocked_in = fields.List(fields.Nested(ClockedInOut), metadata={"description": "Who is on it now, since when"})
    clocked_hours = Quantity()


class WorkOrderPartOut(Schema):
    line_id = fields.String(allow_none=True)
    sku = fields.String(allow_none=True)
    description = fields.String()
    qty = Quantity()
    qty_reserved = Quantity(allow_none=True)
    qty_short = Quantity(allow_none=True)
    qty_used = Quantity(allow_none=True)


class StatusChangeOut(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    at = fields.DateTime()
    by_user_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class TimeEntryOut(Schema):
    id = fields.String()
    work_order_id = fields.String()
    job_id = fields.String()
    technician_id = fields.String()
    technician_name = fields.Function(lambda e: e.technician.name)
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    hours = Quantity(allow_none=True)
    note = fields.String(allow_none=True)


class ChecklistItem(Schema):
    item = fields.String(required=True, validate=validate.Length(min=1, max=100))
    passed = fields.Boolean(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class QcResultOut(Schema):
    id = fields.String()
    round = fields.Integer()
    passed = fields.Boolean()
    checklist = fields.List(fields.Nested(ChecklistItem))
    reasons = fields.List(fields.String())
    inspector_user_id = fields.String(allow_none=True)
    inspector_role = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()


class WorkOrderOut(Schema):
    id = fields.String()
    store_id = fields.String()
    order_id = fields.String()
    order_number = fields.String()
    visit_id = fields.String(allow_none=True)
    quote_id = fields.String(allow_none=True)
    customer_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    advisor_id = fields.String(allow_none=True)
    promised_at = fields.DateTime(allow_none=True)
    status = fields.String(metadata={"enum": list(STATES)})
    status_changed_at = fields.DateTime()
    version = fields.Integer(metadata={"description": "Send back as expected_version to refuse stale changes"})
    waiting_parts = fields.Boolean()
    overdue = fields.Boolean(metadata={"description": "Still in the workshop after the promised time"})
    comeback = fields.Boolean(metadata={"description": "返修: the vehicle back within 30 days of a completion for the "
                                                       "same repair operation (never a repeated maintenance)"})
    comeback_of_id = fields.String(allow_none=True)
    rework_count = fields.Integer()
    qc_passed = fields.Boolean()
    bay_id = fields.String(allow_none=True)
    scheduled_start = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    mileage_out_km = fields.Integer(allow_none=True)
    accepted_by = fields.String(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    satisfied = fields.Boolean(allow_none=True)
    customer_comment = fields.String(allow_none=True)
    opened_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    jobs = fields.List(fields.Nested(JobOut))
    parts = fields.List(fields.Nested(WorkOrderPartOut))
    history = fields.List(fields.Nested(StatusChangeOut))
    time_entries = fields.List(fields.Nested(TimeEntryOut))
    qc_results = fields.List(fields.Nested(QcResultOut))


class QcOutcomeOut(WorkOrderOut):
    qc_result = fields.Nested(QcResultOut, metadata={"description": "The result just recorded"})


class WorkOrderListQuery(ListQuery):
    store_id = fields.String()
    status = fields.String(validate=validate.OneOf(STATES))
    vehicle_id = fields.String()
    customer_id = fields.String()
    order_id = fields.String()
    bay_id = fields.String()
    waiting_parts = fields.Boolean()
    comeback = fields.Boolean()


class Share(Schema):
    technician_id = fields.String(required=True)
    split_pct = Quantity(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100), metadata={
        "description": "Percent of the job; a job's shares sum to 100. Omitted for all: shared evenly"})


class JobDispatch(Schema):
    job_id = fields.String(required=True)
    technicians = fields.List(fields.Nested(Share), required=True, validate=validate.Length(min=1, max=10))


class DispatchRequest(Schema):
    jobs = fields.List(fields.Nested(JobDispatch), load_default=list, validate=validate.Length(max=100))
    bay_id = fields.String(allow_none=True)
    scheduled_start = fields.AwareDateTime(allow_none=True, validate=SANE_MOMENT)
    expected_version = fields.Integer(strict=True, allow_none=True, load_default=None,
                                      validate=validate.Range(min=0, max=2**31 - 1))


class SuggestionQuery(Schema):
    at = fields.AwareDateTime(load_default=None, allow_none=True, validate=SANE_MOMENT,
                              metadata={"description": "Default: now"})
    include_off_shift = fields.Boolean(load_default=False)


class SuggestionOut(Schema):
    technician_id = fields.String()
    name = fields.String()
    level = fields.String()
    skills = fields.List(fields.String())
    load_hours = Quantity(metadata={"description": "Open billed hours on active work orders, weighted by split"})
    active_jobs = fields.Integer()
    clocked_in = fields.Boolean()
    on_shift = fields.Boolean()
    already_assigned = fields.Boolean()


class SuggestionsOut(Schema):
    job_id = fields.String()
    skill = fields.String(allow_none=True)
    items = fields.List(fields.Nested(SuggestionOut))


class ClockRequest(Schema):
    technician_id = fields.String(load_default=None, allow_none=True,
                                  metadata={"description": "Omitted by a technician clocking themselves"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ClockOutRequest(ClockRequest):
    job_finished = fields.Boolean(load_default=False, metadata={"description": "The job is done"})


class ReadyForQcRequest(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class QcRequest(Schema):
    passed = fields.Boolean(required=True)
    checklist = fields.List(fields.Nested(ChecklistItem), load_default=list, validate=validate.Length(max=100))
    reasons = fields.List(fields.String(validate=validate.Length(min=1, max=500)), load_default=list,
                          validate=validate.Length(max=20))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    rework_job_ids = fields.List(fields.String(), load_default=list, validate=validate.Length(max=100),
                                 metadata={"description": "On a fail: the jobs to redo (default: all)"})


class LabourHours(Schema):
    job_id = fields.String(required=True)
    technician_id = fields.String(required=True)
    hours = Quantity(required=True, validate=validate.Range(min=0, max=1000))


class PartUsedIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=60))
    qty = Quantity(required=True, validate=validate.Range(min=0, max=100000))
    line_id = fields.String(load_default=None, allow_none=True)
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class CompleteRequest(Schema):
    labour = fields.List(fields.Nested(LabourHours), load_default=list, metadata={
        "description": "Corrections of clocked hours per technician and job (default: what was clocked)"})
    parts_used = fields.List(fields.Nested(PartUsedIn), load_default=None, allow_none=True, metadata={
        "description": "The parts actually fitted (default: the order's parts list)"})
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DeliverRequest(Schema):
    mileage_out_km = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=3_000_000))
    accepted_by = fields.String(required=True, validate=validate.Length(min=1, max=50),
                                metadata={"description": "Name the customer signed with"})
    accepted_at = fields.AwareDateTime(load_default=None, allow_none=True, validate=SANE_MOMENT,
                                       metadata={"description": "Default: now"})
    satisfied = fields.Boolean(required=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=2, max=200),
        metadata={"description": "A store manager's (or HQ's) reason to deliver with an open balance; audited"})


class FindingIn(Schema):
    area = fields.String(required=True, validate=validate.OneOf(AREAS))
    item = fields.String(required=True, validate=validate.Length(min=1, max=100))
    condition = fields.String(required=True, validate=validate.OneOf(CONDITIONS))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    photo_refs = fields.List(fields.String(validate=validate.Length(min=1, max=300)), load_default=list,
                             validate=validate.Length(max=20), metadata={"description": "Keys/URLs of stored photos"})
    recommended_op_code = Code(load_default=None, allow_none=True)


class InspectionCreate(Schema):
    mileage_km = fields.Integer(load_default=None, allow_none=True, strict=True,
                                validate=validate.Range(min=0, max=3_000_000))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    findings = fields.List(fields.Nested(FindingIn), required=True, validate=validate.Length(min=1, max=200))


class FindingOut(Schema):
    id = fields.String()
    area = fields.String()
    item = fields.String()
    condition = fields.String()
    notes = fields.String(allow_none=True)
    photo_refs = fields.List(fields.String())
    recommended_op_code = fields.String(allow_none=True)
    quote_id = fields.String(allow_none=True)
    photos = fields.List(fields.Nested(AttachmentOut), metadata={"description": "Uploaded photos, oldest first"})


class CustomerFindingOut(Schema):
    """A finding as the car's owner sees it on the quote it led to (their own photos' URLs)."""
    id = fields.String()
    area = fields.String()
    item = fields.String()
    condition = fields.String()
    notes = fields.String(allow_none=True)
    photos = fields.List(fields.Nested(QuotePhotoOut))


class ConditionCounts(Schema):
    green = fields.Integer()
    yellow = fields.Integer()
    red = fields.Integer()


class InspectionOut(Schema):
    id = fields.String()
    work_order_id = fields.String()
    store_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    mileage_km = fields.Integer(allow_none=True)
    inspected_by = fields.String(allow_none=True)
    technician_id = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    findings = fields.List(fields.Nested(FindingOut))
    summary = fields.Nested(ConditionCounts)
    created_at = fields.DateTime()


class QuoteFindingsRequest(Schema):
    finding_ids = fields.List(fields.String(), load_default=None, allow_none=True, validate=validate.Length(max=200),
                              metadata={"description": "Red/yellow findings to quote (default: all not yet quoted)"})


class AttentionOut(FindingOut):
    inspection_id = fields.String()
    inspected_at = fields.DateTime()


class InspectionsOut(Schema):
    items = fields.List(fields.Nested(InspectionOut))
    attention = fields.List(fields.Nested(AttentionOut), metadata={
        "description": "Red, then yellow findings not yet turned into a quote: what to talk to the customer about"})


# -- bays ------------------------------------------------------------------------------------------

class BayCreate(Schema):
    store_id = fields.String(required=True, validate=STORE_ID)
    code = Code(required=True, max_length=20)
    name = Name(load_default=None, allow_none=True, max_length=50)
    kind = fields.String(load_default="general", validate=validate.OneOf(BAY_KINDS))
    active = fields.Boolean(load_default=True)


class BayOut(Schema):
    id = fields.String()
    store_id = fields.String()
    code = fields.String()
    name = fields.String(allow_none=True)
    kind = fields.String()
    active = fields.Boolean()


class BayListQuery(Schema):
    store_id = fields.String()
    active = fields.Boolean()


class BaysOut(Schema):
    items = fields.List(fields.Nested(BayOut))


class BayPlanQuery(Schema):
    store_id = fields.String(required=True, validate=STORE_ID)
    date = fields.Date(required=True, validate=SANE_DATE)
    time_zone = TimeZone(load_default="Asia/Shanghai",
                         metadata={"description": "Filled in from the store by the gateway"})


class PlannedWorkOrder(Schema):
    id = fields.String()
    order_number = fields.String()
    status = fields.String()
    vehicle_id = fields.String(allow_none=True)
    scheduled_start = fields.DateTime(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    promised_at = fields.DateTime(allow_none=True)
    waiting_parts = fields.Boolean()


class BayPlanRow(Schema):
    bay = fields.Nested(BayOut)
    occupied_by = fields.String(allow_none=True)
    work_orders = fields.List(fields.Nested(PlannedWorkOrder))


class BayPlanOut(Schema):
    store_id = fields.String()
    date = fields.Date()
    time_zone = fields.String()
    bays = fields.List(fields.Nested(BayPlanRow))
    unassigned = fields.List(fields.Nested(PlannedWorkOrder))


# -- the foreman's numbers -------------------------------------------------------------------------

class StatsQuery(Schema):
    store_id = fields.String(required=True, validate=STORE_ID)
    from_ = fields.Date(required=True, data_key="from", validate=SANE_DATE,
                        metadata={"description": "First store-local day"})
    to = fields.Date(required=True, validate=SANE_DATE, metadata={"description": "Last store-local day (inclusive)"})
    time_zone = TimeZone(load_default="Asia/Shanghai",
                         metadata={"description": "Filled in from the store by the gateway"})

    @validates_schema
    def _order(self, data, **_):
        if data.get("from_") and data.get("to") and data["to"] < data["from_"]:
            raise ValidationError("Ends before it starts.", "to")
        if data.get("from_") and data.get("to") and (data["to"] - data["from_"]).days > 366:
            raise ValidationError("At most a year at a time.", "to")


class TechnicianStats(Schema):
    technician_id = fields.String()
    name = fields.String()
    jobs = fields.Integer()
    billed_hours = Quantity(metadata={"description": "Billed hours of their jobs weighted by split"})
    clocked_hours = Quantity(metadata={"description": "Actual hours recorded at completion"})
    efficiency_pct = Quantity(allow_none=True, metadata={"description": "billed / clocked × 100"})


class StatsOut(Schema):
    store_id = fields.String()
    period = fields.String(allow_none=True, metadata={"description": "Day, ISO week or month when grouped"})
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    time_zone = fields.String()
    completed = fields.Integer(metadata={"description": "Work orders completed in the period"})
    comebacks = fields.Integer()
    comeback_rate_pct = Quantity(allow_none=True)
    reworked = fields.Integer(metadata={"description": "Completed after at least one failed QC"})
    first_time_qc_pass_pct = Quantity(allow_none=True)
    average_cycle_hours = Quantity(allow_none=True, metadata={"description": "Opened to completed"})
    clocked_hours = Quantity(metadata={"description": "Hours clocked on the completed work orders"})
    available_hours = Quantity(metadata={"description": "Shift hours of the store's active technicians"})
    productivity_pct = Quantity(allow_none=True, metadata={"description": "clocked / available × 100"})
    labour_cost_fen = fields.Integer(metadata={"description": "Clocked hours × each technician's hourly cost"})
    technicians = fields.List(fields.Nested(TechnicianStats))


class CrewBoardQuery(Schema):
    store_id = fields.String(required=True, validate=STORE_ID)
    at = fields.AwareDateTime(load_default=None, allow_none=True, validate=SANE_MOMENT,
                              metadata={"description": "Default: now"})


class ClockedIntoOut(Schema):
    work_order_id = fields.String()
    order_number = fields.String()
    job_id = fields.String()
    description = fields.String()
    since = fields.DateTime()


class CrewMemberOut(Schema):
    technician_id = fields.String()
    name = fields.String()
    level = fields.String()
    skills = fields.List(fields.String())
    on_shift = fields.Boolean()
    clocked_into = fields.Nested(ClockedIntoOut, allow_none=True)
    load_hours = Quantity()
    active_jobs = fields.Integer()


class CrewBoardOut(Schema):
    store_id = fields.String()
    items = fields.List(fields.Nested(CrewMemberOut))
