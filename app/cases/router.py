"""Agency side: /v1/cases. An agency key sees and acts on its own agency's cases only."""

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session

from app.cases import changes, service
from app.cases.schemas import CaseOut, CasePage, CaseStatus, DeclineIn, StatusIn
from app.deps import AppSettings, DbSession
from app.errors import NotModified
from app.models import ApiKey, utcnow
from app.security import (
    Principal,
    admit,
    allow,
    bearer,
    for_read_pool,
    key_lookup,
    key_row,
    pooled_key_row,
    read_pool,
    require_role,
)
from app.vocab import Level

router = APIRouter(prefix="/v1/cases", tags=["agency"])
AgencyKey = Annotated[Principal, allow("agency")]


def _etag(version: str, request: Request, principal: Principal) -> str:
    query = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
    digest = hashlib.sha256(f"{principal.agency_id}|{version}|{query}".encode()).hexdigest()
    return f'W/"{digest[:32]}"'


def _matches(etag: str, if_none_match: str) -> bool:
    """If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" and "x" are the same tag."""
    sent = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return etag.removeprefix("W/") in sent or "*" in sent


@dataclass(frozen=True, slots=True)
class Poll:
    principal: Principal
    etag: str  # names the agency's change position and the query


_POLL_LOOKUP = {dialect: key_lookup(changes.version_of(ApiKey.agency_id, dialect).label("version"))
                for dialect in ("postgresql", "sqlite")}
_POLL_SQL = for_read_pool(_POLL_LOOKUP["postgresql"])


async def agency_poll(request: Request, session: DbSession, settings: AppSettings,
                      _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None
                      ) -> Poll:
    """The agency key and its agency's version, read by the key look-up's one statement; a
    poll whose ETag still holds ends here with a 304, before its query parameters are parsed
    (the ETag names the raw query, so it only matches a query that was answered before).
    On PostgreSQL the statement runs on the app's read pool, on the event loop: no worker
    thread, no transaction."""
    authorization = request.headers.get("authorization")
    pool = read_pool(request)
    if pool is not None:
        row = await pooled_key_row(pool, authorization, _POLL_SQL)
    else:
        row = await run_in_threadpool(_poll_row, session, authorization)
    principal = require_role(admit(request, session, settings, row), ("agency",))
    etag = _etag(row.version or "0.0", request, principal)
    if _matches(etag, request.headers.get("if-none-match", "")):
        raise NotModified(etag)
    # A page reads in a later transaction, so it can only be newer than the version its ETag
    # names.
    return Poll(principal, etag)


def _poll_row(session: Session, authorization: str | None) -> Any:
    """The look-up without a read pool (SQLite, a test's connection): on the session, whose
    read ends here, on this worker thread (on SQLite it holds the lock)."""
    row = key_row(session, authorization, _POLL_LOOKUP[session.get_bind().dialect.name])
    session.commit()
    return row


@router.get("", response_model=CasePage, response_model_exclude_unset=True,
            responses={304: {"description": "Not modified since the ETag sent"}})
async def list_cases(
    response: Response, poll: Annotated[Poll, Depends(agency_poll)], session: DbSession,
    status: Annotated[list[CaseStatus] | None, Query()] = None,
    urgency: Annotated[list[Level] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    feed: Annotated[Literal["changes"] | None, Query()] = None,
) -> Any:
    """The work queue (urgency, then acknowledgement deadline), or with `feed=changes` every
    case created or changed since `cursor`, in change order, with `withdrawn` tombstones."""
    principal = poll.principal
    assert principal.agency_id is not None
    query = service.CaseQuery(agency_id=principal.agency_id, statuses=list(status or []),
                              levels=list(urgency or []),
                              limit=limit, cursor=cursor)
    response.headers["ETag"] = poll.etag
    return await run_in_threadpool(_case_page, session, query, feed == "changes")


def _case_page(session: Session, query: service.CaseQuery, feed: bool) -> dict[str, Any]:
    nxt: str | None
    if feed:
        rows, nxt, has_more = service.feed_page(session, query)
    else:
        rows, nxt = service.queue_page(session, query)
        has_more = nxt is not None
    now = utcnow()
    return {"items": [service.case_item(c, r, now=now) for c, r in rows],
            "next_cursor": nxt, "has_more": has_more}


@router.get("/{case_id}", response_model=CaseOut, response_model_exclude_unset=True)
def read_case(case_id: str, principal: AgencyKey, session: DbSession) -> Any:
    case, report = service.load_case(session, principal, case_id)
    return service.case_item(case, report, now=utcnow())


@router.post("/{case_id}/acknowledge", response_model=CaseOut,
             response_model_exclude_unset=True)
def acknowledge(case_id: str, principal: AgencyKey, session: DbSession) -> Any:
    now = utcnow()
    case, report = service.acknowledge(session=session, principal=principal, report_id=case_id,
                                       now=now)
    return service.case_item(case, report, now=now)


@router.post("/{case_id}/status", response_model=CaseOut, response_model_exclude_unset=True)
def set_status(case_id: str, body: StatusIn, principal: AgencyKey, session: DbSession) -> Any:
    now = utcnow()
    case, report = service.set_status(session=session, principal=principal, report_id=case_id,
                                      status=body.status, note=body.note, now=now)
    return service.case_item(case, report, now=now)


@router.post("/{case_id}/decline", response_model=CaseOut, response_model_exclude_unset=True)
def decline(case_id: str, body: DeclineIn, principal: AgencyKey, session: DbSession,
            settings: AppSettings) -> Any:
    now = utcnow()
    case, report = service.decline(session=session, principal=principal, report_id=case_id,
                                   reason=body.reason,
                                   suggested_ward_code=body.suggested_ward_code, now=now,
                                   settings=settings)
    return service.case_item(case, report, now=now)
