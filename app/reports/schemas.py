"""Request and response schemas of the hotline side. Schemas are not models."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.inputs import Strict
from app.vocab import ROUTED_CONTACT_TYPES, Category, Channel, ContactType, Level, Resolution, Sex

Text = Annotated[str, StringConstraints(max_length=10_000)]
ProvinceCode = Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
PHONE_PATTERN = r"^[0-9+()./\s-]*$"
WardCode = Annotated[str, StringConstraints(pattern=r"^\d{5}$")]


class ChildIn(Strict):
    age: int | None = Field(default=None, ge=0, le=17, description="Years; null if unknown")
    sex: Sex = "unknown"
    name: Annotated[str, StringConstraints(max_length=200)] | None = None


class LocationIn(Strict):
    address: Text | None = None
    province_code: ProvinceCode | None = None
    ward_code: WardCode | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _pair(self) -> "LocationIn":
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        return self


class ReporterIn(Strict):
    anonymous: bool | None = None
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    phone: Annotated[str, StringConstraints(max_length=32, pattern=PHONE_PATTERN)] | None = None
    relationship: Annotated[str, StringConstraints(max_length=64)] | None = None


class IndicatorsIn(Strict):
    immediate_danger: bool | None = None
    serious_injury: bool | None = None
    perpetrator_is_caregiver: bool | None = None
    perpetrator_has_access: bool | None = None
    suicide_risk: bool | None = None


class OverrideIn(Strict):
    level: Literal["low", "medium", "high", "critical"]
    reason: Annotated[str, StringConstraints(min_length=3, max_length=1000, strip_whitespace=True)]


class ReportIn(Strict):
    channel: Channel
    contact_type: ContactType = "report"
    follow_up_of: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    external_ref: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    received_at: AwareDatetime | None = None
    description: Text = ""
    children: list[ChildIn] = Field(default_factory=list, max_length=20)
    location: LocationIn | None = None
    reporter: ReporterIn | None = None
    categories: list[Category] = Field(default_factory=list, max_length=20)
    indicators: IndicatorsIn | None = None
    urgency_override: OverrideIn | None = None

    @field_validator("indicators", "urgency_override")
    @classmethod
    def _routed_only(cls, value: object, info: ValidationInfo) -> object:
        contact_type = info.data.get("contact_type", "report")
        if value is not None and contact_type not in ROUTED_CONTACT_TYPES:
            raise ValueError("accepted only with contact_type report or follow_up "
                             "(to route a contact, call it a report)")
        return value

    @field_validator("follow_up_of")
    @classmethod
    def _follow_up_only(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("contact_type", "report") != "follow_up":
            raise ValueError("goes with contact_type follow_up")
        return value


class UrgencyOut(BaseModel):
    level: Level
    reasons: list[str]
    ruleset_version: str
    computed_level: Level
    ack_due_at: datetime | None
    action_due_at: datetime | None


class CandidateOut(BaseModel):
    ward_code: str
    ward_name: str


class LocationOut(BaseModel):
    resolution: Resolution
    province_code: str | None
    province_name: str | None
    ward_code: str | None
    ward_name: str | None
    ambiguous: bool
    candidates: list[CandidateOut]


class AgencyOut(BaseModel):
    code: str
    name: str
    kind: str
    level: Literal["commune", "province", "national"]
    unit_code: str | None


class AssignmentOut(BaseModel):
    agency: AgencyOut


class CaseProgressOut(BaseModel):
    agency: AgencyOut
    role: Literal["primary", "notified"]
    status: str
    acknowledged_at: datetime | None


class ReporterSummaryOut(BaseModel):
    """What the hotline sees of the reporter in a report: never the name or the number."""

    anonymous: bool
    relationship: str | None
    has_contact: bool
    previous_reports: int = Field(description="Earlier reports from the same phone number")


class RoutingOut(BaseModel):
    policy_version: str | None
    reasons: list[str]


class ReportOut(BaseModel):
    id: str
    reference: str
    status: Literal["routed", "needs_manual_routing", "closed_at_hotline", "closed"]
    contact_type: ContactType
    channel: Channel
    follow_up_of: str | None
    external_ref: str | None
    received_at: datetime
    urgency: UrgencyOut
    primary_category: Category | None
    categories: list[Category]
    location: LocationOut
    assignment: AssignmentOut | None
    notified: list[AgencyOut]
    cases: list[CaseProgressOut]
    routing: RoutingOut
    reporter: ReporterSummaryOut
    created_at: datetime


class TriageOut(BaseModel):
    urgency: UrgencyOut
    primary_category: Category | None
    categories: list[Category]
    rule_ids: list[str]


class AuditEntryOut(BaseModel):
    id: int
    seq: int | None
    action: str
    actor: str
    occurred_at: datetime
    payload: dict[str, Any]
    content_hash: str
    chain_hash: str | None
