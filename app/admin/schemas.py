"""Admin schemas: the agency directory and API keys."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.inputs import Strict

UnitCode = Annotated[str, StringConstraints(pattern=r"^(\d{2}|\d{5})$")]
AgencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Level = Literal["commune", "province", "national"]


class AgencyIn(Strict):
    code: AgencyCode
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    kind: Annotated[str, StringConstraints(pattern=r"^[a-z_]{3,32}$")]
    level: Level
    unit_code: UnitCode | None = None
    coverage: list[UnitCode] = Field(default_factory=list, max_length=500)


class AgencyPatch(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    coverage: list[UnitCode] | None = Field(default=None, max_length=500)


class AgencyAdminOut(BaseModel):
    code: str
    name: str
    kind: str
    level: Level
    unit_code: str | None
    province_code: str | None
    active: bool
    coverage: list[str]
    reachable: bool


class AgencyList(BaseModel):
    items: list[AgencyAdminOut]
    next_cursor: str | None
    has_more: bool


class DeactivateIn(Strict):
    reason: Annotated[str, StringConstraints(min_length=3, max_length=1000)]


class DeactivateOut(BaseModel):
    agency: AgencyAdminOut
    rerouted_reports: int
    withdrawn_cases: int


class KeyIn(Strict):
    role: Literal["callcentre", "app", "agency", "admin"]
    agency_code: AgencyCode | None = None
    name: Annotated[str, StringConstraints(max_length=255)] | None = None


class KeyOut(BaseModel):
    id: str
    role: str
    agency: str | None
    name: str | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class KeyCreatedOut(KeyOut):
    key: str = Field(description="The key itself; shown only this once")


class AssignIn(Strict):
    agency_code: AgencyCode
    reason: Annotated[str, StringConstraints(min_length=3, max_length=1000)]
