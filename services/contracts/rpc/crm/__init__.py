"""What the crm service's RPC methods take and answer (the gateway's requests, the API's answers),
one module per area of `services/crm/domain/`; `customer` holds the car owner's views (`/c/v1/`)."""
from .campaigns import (CAMPAIGN_STATES, CampaignCreate, CampaignOut, CampaignPreview, CampaignPreviewOut,
                        CampaignQuery, CHANNELS, MESSAGE_STATES, MessageCounts, MessageOut, MessageQuery, RECURRENCES,
                        Segment)
from .common import StoreSettingsOut, StoreSettingsPatch
from .customers import (AuditEntryOut, CustomerCreate, CustomerListQuery, CustomerOut, CustomerPatch, GENDERS,
                        MergeRequest, SOURCES, VehicleCreate, VehicleListQuery, VehicleOut, VehiclePatch)
from .followups import (COMPLAINT_CHANNELS, COMPLAINT_STATES, ComplaintAtFollowUp, ComplaintCreate, ComplaintOut,
                        ComplaintPatch, ComplaintQuery, FOLLOW_UP_STATES, FollowUpComplete, FollowUpOut, FollowUpQuery,
                        SatisfactionOut, SatisfactionQuery, SatisfactionSummary, StoreSatisfaction,
                        OrderRating, RatingsOut, RatingsQuery)
from .history import HISTORY_KINDS, HistoryEntryOut, HistoryQuery
from .messages import (FAILURE_CODES, OUTBOX_STATES, MessageAccountsOut, OutboxMessageOut, OutboxQuery,
                       QuoteLinkQueue)
from .reports import (REPORT_PERIODS, ReportRecipientIn, ReportSubscriptionCreate, ReportSubscriptionIn,
                      ReportSubscriptionOut)
from .reminders import ReminderOut, ReminderQuery, ServiceIntervalIn, ServiceIntervalOut
from .shared import TIER_NAMES

__all__ = [
    "AuditEntryOut", "CAMPAIGN_STATES", "CHANNELS", "COMPLAINT_CHANNELS", "COMPLAINT_STATES", "CampaignCreate",
    "CampaignOut", "CampaignPreview", "CampaignPreviewOut", "CampaignQuery", "ComplaintAtFollowUp",
    "ComplaintCreate", "ComplaintOut", "ComplaintPatch", "ComplaintQuery", "CustomerCreate", "CustomerListQuery",
    "CustomerOut", "CustomerPatch", "FAILURE_CODES", "FOLLOW_UP_STATES", "FollowUpComplete", "FollowUpOut",
    "FollowUpQuery", "GENDERS", "HISTORY_KINDS", "HistoryEntryOut", "HistoryQuery", "MESSAGE_STATES",
    "MergeRequest", "MessageAccountsOut", "MessageCounts", "MessageOut", "MessageQuery", "OUTBOX_STATES",
    "OutboxMessageOut", "OutboxQuery", "QuoteLinkQueue", "RECURRENCES", "REPORT_PERIODS", "ReportRecipientIn",
    "ReportSubscriptionCreate", "ReportSubscriptionIn", "ReportSubscriptionOut", "ReminderOut", "ReminderQuery",
    "SOURCES", "SatisfactionOut",
    "SatisfactionQuery", "SatisfactionSummary",
    "OrderRating", "RatingsOut", "RatingsQuery", "Segment", "ServiceIntervalIn", "ServiceIntervalOut",
    "StoreSatisfaction", "StoreSettingsOut", "StoreSettingsPatch", "TIER_NAMES", "VehicleCreate",
    "VehicleListQuery", "VehicleOut", "VehiclePatch",
]
