"""The gateway's own request/response schemas (identity, errors)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.common.policy import CONSOLE_SCREENS, ROLES
from services.common.fields import Code, Mobile, Name, Phone, TimeZone
from services.common.schemas import ListQuery

ERROR_CODES: tuple[str, ...]  # grown below, one group of rules at a time
ERROR_CODES = ("malformed_json", "unauthorized", "forbidden", "not_found", "conflict", "payload_too_large",
               "unsupported_media_type", "validation_failed", "rate_limited", "service_unavailable", "internal_error",
               # a photo upload that waited too long for the gateway's re-encoding
               "uploads_busy",
               # a span of months to read targets for (finance)
               "month_range", "month_not_over", "month_closed",
               # the counter's rules (sales): which rule refused, for clients to word
               "slot_full", "already_booked", "slot_outside_opening_hours", "opening_hours_invalid",
               "visit_already_open", "unknown_operation", "operation_inactive", "unknown_part", "part_inactive",
               "not_a_part_item",
               # the quote's and the work order's lifecycle rules (sales, workshop)
               "discount_approval_pending", "delivery_balance_open", "delivery_override_needs_manager",
               "visit_not_completed")

ERROR_CODES += ("request_in_progress",)  # the gateway's Idempotency-Key (idempotency.py); a reused key is below

ERROR_CODES += (  # the README walk's rules after the counter (workshop, quotes, the till, follow-ups)
    "job_needs_technician", "split_incomplete", "technician_twice", "split_share_out_of_range", "split_not_hundred",
    "unknown_technician", "technician_in_other_store", "technician_inactive", "technician_lacks_skill",
    "technician_clocked_in", "job_twice", "work_order_state", "work_order_changed", "account_not_a_technician",
    "clock_only_yourself", "name_the_technician", "technician_not_on_job", "technician_already_clocked_in",
    "technician_not_clocked_in", "qc_already_passed", "qc_by_own_technician", "qc_checklist_failed",
    "qc_reason_required", "unknown_job", "hours_for_technician_not_on_job", "qc_not_passed", "invoice_state",
    "card_state", "overpayment", "quote_state", "quote_empty", "decision_incomplete", "follow_up_state",
    "satisfaction_required", "mobile_taken", "plate_taken", "vin_taken")

ERROR_CODES += (  # every other refusal (issue 19); shared by several services
    "store_required", "bad_cursor", "documents_kept_elsewhere", "unknown_customer", "unknown_vehicle",
    "vehicle_of_other_customer", "part_not_sold", "idempotency_key_reused",
    # gateway (identity)
    "unknown_store", "username_taken", "store_code_taken",
    # crm
    "template_malformed", "template_unknown_placeholders", "unknown_message_template", "message_params_missing",
    "sms_unavailable", "campaign_state", "self_referral", "unknown_referrer",
    "customer_closed", "merge_same_customer", "complaint_state", "complaint_transition", "resolution_required",
    # finance
    "card_not_stored_value", "card_not_package", "card_of_other_customer", "card_expired", "card_required",
    "unknown_card", "card_balance_short", "settlement_same_store", "nothing_to_settle", "day_not_begun", "day_closed",
    "billing_basis_pending", "order_has_open_invoice", "service_not_on_card", "service_used_up", "service_not_billed",
    "redemption_above_line", "refund_above_left", "package_refund_whole",
    "supplier_invoice_taken", "vat_above_total", "supplier_invoice_state", "one_supplier_per_payment",
    "supplier_payment_above_due", "supplier_credits_above_settled", "credit_note_not_this_supplier",
    "supplier_credit_above_unapplied",
    # inventory
    "sku_taken", "barcode_taken", "supplier_code_taken", "batch_tracking_locked", "batch_required", "stock_reserved",
    "stock_short", "batch_short", "unknown_supplier", "purchase_order_state", "receipt_lines_invalid", "over_receipt",
    "return_lines_invalid", "over_return", "stock_value_too_large",
    "reservation_state", "stocktake_open", "stocktake_state", "count_outside_stocktake", "not_on_transfer",
    "transfer_state", "more_than_requested", "nothing_to_ship", "stock_short_to_ship", "more_than_shipped",
    # sales
    "slot_start_invalid", "slot_in_past", "slot_not_started", "appointment_state", "unknown_appointment",
    "appointment_of_other_customer", "operation_code_taken", "operation_code_fixed", "package_code_taken",
    "package_code_fixed", "observed_in_future",
    "fixed_price_required", "limits_on_chain_entry", "price_below_min", "price_above_max", "min_above_max",
    "price_exists", "quote_expired", "quote_changed", "deposit_above_total", "order_state", "order_without_visit",
    "no_findings", "labour_needs_description", "labour_needs_hours", "fee_needs_price", "fee_needs_description",
    "unknown_declined_work", "package_inactive", "package_not_offered_here", "part_not_allowed", "part_choice_required",
    "discount_invalid", "customer_or_vehicle_required", "visit_mismatch", "test_drive_state", "returned_before_out",
    "mileage_below_out",
    # workshop
    "bay_code_taken", "bay_occupied", "unknown_bay", "bay_out_of_service", "finding_not_quotable",
    "findings_already_quoted", "user_already_technician")
ERROR_CODES += (  # the manager's screens: the approval queue, staff accounts and the store's details
    "approval_not_pending", "discount_above_own_limit", "discount_rejected", "role_needs_hq", "store_not_yours",
    "refund_needs_manager", "refund_within_limit", "refund_request_state")
ERROR_CODES += (  # the customer channel's sign-in (gateway/customer/codes.py)
    "code_invalid", "code_locked", "code_requests_limited", "link_invalid",
    "appointment_started")
ERROR_CODES += (  # who may: a role's or a store's refusal (services/common/policy.py and the rules that need a role)
    "needs_manager", "needs_hq", "store_out_of_scope", "customer_only", "own_account_only",
    "own_scorecard_only")

ERROR_CODES += (  # the partner API (gateway/partners): a key's scopes, an inactive key rotated
    "api_key_scope", "api_key_inactive", "webhook_url_refused", "webhook_stores_missing")

ERROR_CODES += (  # payments through a provider (finance, issue 22)
    "payment_provider_unavailable", "payment_provider_refused", "payment_intent_state", "notification_rejected")
ERROR_CODES += (  # the providers' statements reconciled (finance, issue 22)
    "reconciliation_running", "reconciliation_difference_state", "statement_not_ready")
ERROR_CODES += (  # company accounts (finance, issue 23)
    "company_account_taken", "account_member_taken", "company_account_state", "account_store_not_allowed",
    "account_member_required", "credit_limit_exceeded", "account_payment_above_balance",
    "supplier_credit_note_taken", "credit_note_document_mismatch")
ERROR_CODES += (  # insurers' claims (finance, issue 23)
    "insurer_taken", "insurer_state", "insurer_store_not_allowed", "claim_number_taken", "claim_remittance_above_open",
    "claim_insurer_mismatch", "claim_state", "claim_remitted")
ERROR_CODES += ("streams_full",)  # the live stream (gateway/stream): its process holds all it can
ERROR_CODES += (  # electronic fapiao (finance, issue 28)
    "fapiao_lines_unknown", "fapiao_lines_taken", "fapiao_nothing_left", "fapiao_tax_code_missing", "fapiao_state",
    "fapiao_red_exists")
ERROR_CODES += (  # the insurer's fapiao for its claim's share (finance, issue 23)
    "claim_fapiao_exists", "claim_fapiao_voided", "claim_fapiao_above_left", "claim_fapiao_standing",
    "insurer_tax_number_missing")
ERROR_CODES += (  # paying inside WeChat by JSAPI (issue 22): the owner's openid by WeChat's 网页授权
    "wechat_openid_needed", "wechat_oauth_state", "wechat_oauth_refused", "wechat_oauth_unavailable")
ERROR_CODES += ("health_record_state",)  # health-record uploads (finance, issue 28): a failed one is retried
ERROR_CODES += ("health_record_range", "health_record_not_required")  # past settlements uploaded (issue 28)
ERROR_CODES += ("mobile_required", "report_subscription_exists")  # scheduled reports (issue 29)


class ErrorDetail(Schema):
    code = fields.String(metadata={"enum": list(ERROR_CODES)})
    message = fields.String(metadata={
        "description": "A courtesy: in Chinese for `Accept-Language: zh-CN` (the console's words), else English"})
    params = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={
        "description": "Names and values a client needs to word the error from its code"})
    field_errors = fields.Dict(keys=fields.String(), values=fields.Raw(), data_key="fields")  # `fields` is Schema's


class ErrorBody(Schema):
    error = fields.Nested(ErrorDetail)
    request_id = fields.String()


class LoginRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=50))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class UserOut(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    mobile = fields.String(allow_none=True, metadata={"description": "Where scheduled reports are texted"})
    role = fields.String(metadata={"enum": list(ROLES)})
    store_ids = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()


class MeOut(UserOut):
    screens = fields.List(fields.String(metadata={"enum": list(CONSOLE_SCREENS)}), metadata={
        "description": "The console screens this user opens, in menu order (from the role policy)"})
    home = fields.String(metadata={"enum": list(CONSOLE_SCREENS), "description": "The screen the console opens on"})
    manages = fields.Boolean(metadata={"description": "Configures its stores, approves and reads their books"})
    sees_every_store = fields.Boolean(metadata={"description": "HQ: every store of the chain"})
    grantable_roles = fields.List(fields.String(metadata={"enum": list(ROLES)}), metadata={
        "description": "The roles this user may give a staff account"})


class LoginResponse(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"enum": ["bearer"]})
    expires_in = fields.Integer(metadata={"description": "Seconds"})
    user = fields.Nested(UserOut)


class UserCreate(Schema):
    username = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_.\-]{3,50}$", error="3-50 letters, digits, dot, dash or underscore."))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    display_name = Name(load_default=None, allow_none=True)
    mobile = Mobile(load_default=None, allow_none=True, metadata={"example": "13800138000"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    store_ids = fields.List(fields.String(), load_default=list)


class UserPatch(Schema):
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))
    display_name = Name(allow_none=True)
    mobile = Mobile(allow_none=True, metadata={"example": "13800138000"})
    role = fields.String(validate=validate.OneOf(ROLES))
    store_ids = fields.List(fields.String())
    active = fields.Boolean()


class StoreCreate(Schema):
    code = Code(required=True, min_length=2, max_length=20)
    name = Name(required=True, max_length=100)
    timezone = TimeZone(load_default="Asia/Shanghai")
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    phone = Phone(load_default=None, allow_none=True, metadata={"example": "020-88886666"})


class StorePatch(Schema):
    name = Name(max_length=100)
    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    phone = Phone(allow_none=True, metadata={"example": "020-88886666"})


class StoreOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    timezone = fields.String()
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    created_at = fields.DateTime()


class UserListQuery(ListQuery):
    store_id = fields.String()
    role = fields.String(validate=validate.OneOf(ROLES))


class StoreListQuery(ListQuery):
    pass


class HealthOut(Schema):
    status = fields.String()
    services = fields.Dict(keys=fields.String(), values=fields.String())
