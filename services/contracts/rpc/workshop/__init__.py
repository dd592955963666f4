"""What the workshop service's RPC methods take and answer (the gateway's requests, the API's answers),
one module per area of `services/workshop/domain/`; `customer` holds the car owner's views (`/c/v1/`)."""
from .bays import (BAY_KINDS, BayCreate, BayListQuery, BayOut, BayPlanOut, BayPlanQuery, BayPlanRow, BaysOut,
                   PlannedWorkOrder)
from .clock import ClockOutRequest, ClockRequest, TimeEntryOut
from .completion import CompleteRequest, DeliverRequest, LabourHours, PartUsedIn
from .dispatch import (ClockedIntoOut, CrewBoardOut, CrewBoardQuery, CrewMemberOut, DispatchRequest, JobBoardItemOut,
                       JobBoardOut, JobDispatch, Share, SuggestionOut, SuggestionQuery, SuggestionsOut)
from .inspections import (AREAS, AttentionOut, CONDITIONS, ConditionCounts, CustomerFindingOut, FindingIn, FindingOut,
                          InspectionCreate, InspectionOut, InspectionsOut, QuoteFindingsRequest)
from .qc import QcOutcomeOut, QcRequest, ReadyForQcRequest
from .shared import SANE_DATE, SANE_MOMENT, STORE_ID
from .stats import ScorecardsOut, StatsOut, StatsQuery, TechnicianScorecard, TechnicianStats
from .technicians import (CertificationCreate, CertificationOut, PAST_DATE, ShiftIn, ShiftOut, TRAINING_KINDS,
                          TechnicianCreate, TechnicianListQuery, TechnicianOut, TechnicianPatch, TrainingCreate,
                          TrainingOut)
from .work_orders import (AssignmentOut, ChecklistItem, ClockedInOut, JobOut, QcResultOut, STATES, StatusChangeOut,
                          WorkOrderListQuery, WorkOrderOut, WorkOrderPartOut)

__all__ = [
    "AREAS", "AssignmentOut", "AttentionOut", "BAY_KINDS", "BayCreate", "BayListQuery", "BayOut", "BayPlanOut",
    "BayPlanQuery", "BayPlanRow", "BaysOut", "CONDITIONS", "CertificationCreate", "CertificationOut", "ChecklistItem",
    "ClockOutRequest", "ClockRequest", "ClockedInOut", "ClockedIntoOut", "CompleteRequest", "ConditionCounts",
    "CrewBoardOut", "CrewBoardQuery", "CrewMemberOut", "CustomerFindingOut", "DeliverRequest", "DispatchRequest",
    "FindingIn", "FindingOut", "InspectionCreate", "InspectionOut", "InspectionsOut", "JobBoardItemOut",
    "JobBoardOut", "JobDispatch", "JobOut", "LabourHours", "PAST_DATE", "PartUsedIn", "PlannedWorkOrder",
    "QcOutcomeOut", "QcRequest", "QcResultOut", "QuoteFindingsRequest", "ReadyForQcRequest", "SANE_DATE",
    "SANE_MOMENT", "STATES", "STORE_ID", "ScorecardsOut", "Share", "ShiftIn", "ShiftOut", "StatsOut", "StatsQuery",
    "StatusChangeOut",
    "SuggestionOut", "SuggestionQuery", "SuggestionsOut", "TRAINING_KINDS", "TechnicianCreate", "TechnicianListQuery",
    "TechnicianOut", "TechnicianPatch", "TechnicianScorecard", "TechnicianStats", "TimeEntryOut", "TrainingCreate",
    "TrainingOut",
    "WorkOrderListQuery", "WorkOrderOut", "WorkOrderPartOut",
]
