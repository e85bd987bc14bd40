"""Admin: the agency directory and API keys. Every change is audited."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from app import audit
from app.admin import service
from app.admin.schemas import (
    AgencyAdminOut,
    AgencyIn,
    AgencyList,
    AgencyPatch,
    DeactivateIn,
    DeactivateOut,
    KeyCreatedOut,
    KeyIn,
    KeyOut,
)
from app.cases.changes import decode_cursor, encode_cursor
from app.deps import AppSettings, DbSession
from app.errors import InvalidField, NotFound
from app.models import Agency, ApiKey, utcnow
from app.security import Principal, allow, create_key, revoke_key

router = APIRouter(prefix="/v1", tags=["admin"])
Admin = Annotated[Principal, allow("admin")]


@router.get("/agencies", response_model=AgencyList)
def list_agencies(
    _: Admin, session: DbSession,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Any:
    stmt = select(Agency).order_by(Agency.id)
    if kind:
        stmt = stmt.where(Agency.kind == kind)
    if province_code:
        stmt = stmt.where(Agency.province_code == province_code)
    if cursor:
        (after,) = decode_cursor(cursor, "agencies", 1)
        if not isinstance(after, int):
            raise InvalidField("cursor", "not an agencies cursor")
        stmt = stmt.where(Agency.id > after)
    rows = session.scalars(stmt.limit(limit + 1)).all()
    page = rows[:limit]
    more = len(rows) > limit
    return {"items": [service.view(session, a) for a in page],
            "next_cursor": encode_cursor("agencies", (page[-1].id,)) if more else None,
            "has_more": more}


@router.post("/agencies", status_code=201, response_model=AgencyAdminOut)
def create_agency(body: AgencyIn, principal: Admin, session: DbSession) -> Any:
    agency = service.create_agency(session, code=body.code, name=body.name, kind=body.kind,
                                   level=body.level, unit_code=body.unit_code,
                                   coverage=body.coverage, actor=principal.actor)
    return service.view(session, agency)


@router.get("/agencies/{code}", response_model=AgencyAdminOut)
def read_agency(code: str, _: Admin, session: DbSession) -> Any:
    return service.view(session, service.agency_by_code(session, code))


@router.patch("/agencies/{code}", response_model=AgencyAdminOut)
def update_agency(code: str, body: AgencyPatch, principal: Admin, session: DbSession) -> Any:
    agency = service.update_agency(session, agency=service.agency_by_code(session, code),
                                   name=body.name, coverage=body.coverage,
                                   actor=principal.actor)
    return service.view(session, agency)


@router.post("/agencies/{code}/deactivate", response_model=DeactivateOut)
def deactivate_agency(code: str, body: DeactivateIn, principal: Admin, session: DbSession,
                      settings: AppSettings) -> Any:
    agency = service.agency_by_code(session, code)
    rerouted, withdrawn = service.deactivate_agency(
        session, agency=agency, reason=body.reason, actor=principal.actor, now=utcnow(),
        settings=settings)
    return {"agency": service.view(session, agency), "rerouted_reports": rerouted,
            "withdrawn_cases": withdrawn}


@router.get("/keys", response_model=list[KeyOut])
def list_keys(_: Admin, session: DbSession) -> Any:
    rows = session.execute(select(ApiKey, Agency.code).outerjoin(
        Agency, Agency.id == ApiKey.agency_id).order_by(ApiKey.created_at)).all()
    return [service.key_view(k, code) for k, code in rows]


@router.post("/keys", status_code=201, response_model=KeyCreatedOut)
def create_api_key(body: KeyIn, principal: Admin, session: DbSession) -> Any:
    agency = service.agency_by_code(session, body.agency_code) if body.agency_code else None
    if (body.role == "agency") != (agency is not None):
        raise InvalidField("agency_code", "required for role agency, and only for it")
    key, raw = create_key(session=session, role=body.role, agency=agency, name=body.name)
    audit.append(session, report_id=None, action="key.created", actor=principal.actor,
                 payload={"key_id": key.id, "role": key.role,
                          "agency": agency.code if agency else None})
    return {**service.key_view(key, agency.code if agency else None), "key": raw}


@router.post("/keys/{key_id}/revoke", response_model=KeyOut)
def revoke_api_key(key_id: str, principal: Admin, session: DbSession) -> Any:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("No such key.")
    if revoke_key(session=session, key_id=key_id):
        audit.append(session, report_id=None, action="key.revoked", actor=principal.actor,
                     payload={"key_id": key_id})
    agency = session.get(Agency, key.agency_id) if key.agency_id else None
    return service.key_view(key, agency.code if agency else None)
