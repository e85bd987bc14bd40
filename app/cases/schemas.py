"""Agency-side schemas: the reporter's contact details are simply not here."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, StringConstraints

from app.inputs import Strict
from app.reports.schemas import LocationOut, UrgencyOut, WardCode
from app.vocab import Category

CaseStatus = Literal["new", "acknowledged", "in_progress", "referred", "resolved", "closed",
                     "declined", "withdrawn"]
Note = Annotated[str, StringConstraints(max_length=2000)]


class ChildOut(BaseModel):
    age: int | None
    sex: str
    name: str | None = None


class CaseOut(BaseModel):
    id: str
    status: CaseStatus
    report_reference: str | None = None
    role: Literal["primary", "notified"] | None = None
    urgency: UrgencyOut | None = None
    primary_category: Category | None = None
    categories: list[Category] | None = None
    description: str | None = None
    children: list[ChildOut] | None = None
    location: LocationOut | None = None
    ack_due_at: datetime | None = None
    action_due_at: datetime | None = None
    acknowledged_at: datetime | None = None
    overdue: bool | None = None
    updated_at: datetime | None = None
    received_at: datetime | None = None
    contact_type: str | None = None


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None
    has_more: bool


class StatusIn(Strict):
    status: Literal["acknowledged", "in_progress", "referred", "resolved", "closed"]
    note: Note | None = None


class DeclineIn(Strict):
    reason: Annotated[str, StringConstraints(min_length=3, max_length=2000,
                                             strip_whitespace=True)]
    suggested_ward_code: WardCode | None = None


def dump(item: dict[str, Any]) -> dict[str, Any]:
    return CaseOut.model_validate(item).model_dump(mode="json", exclude_unset=True)
