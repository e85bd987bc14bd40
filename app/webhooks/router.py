"""PUT/DELETE /v1/agencies/{code}/webhook: push delivery, for the admin or that agency."""

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from app import audit
from app.admin.service import agency_by_code
from app.deps import AppSettings, DbSession
from app.errors import NotFound
from app.inputs import Strict
from app.models import Agency
from app.security import Principal, allow
from app.webhooks import service

router = APIRouter(prefix="/v1/agencies", tags=["webhooks"])


class WebhookIn(Strict):
    url: str = Field(max_length=2048)


class WebhookOut(BaseModel):
    agency_code: str
    url: str
    secret: str = Field(description="The signing secret (Standard Webhooks); shown only once")
    events: list[str]


def _own_agency(code: str, principal: Principal, session: DbSession) -> Agency:
    """The admin may manage any agency's endpoint; an agency only its own (others are 404)."""
    if principal.role == "agency" and principal.agency_code != code:
        raise NotFound(f"No agency {code!r}.")
    return agency_by_code(session, code)


@router.put("/{code}/webhook", response_model=WebhookOut)
def put_webhook(code: str, body: WebhookIn,
                principal: Annotated[Principal, allow("admin", "agency")],
                session: DbSession, settings: AppSettings) -> Any:
    agency = _own_agency(code, principal, session)
    url = service.check_url(body.url, settings)
    secret = service.register(session, agency=agency, url=url, settings=settings)
    audit.append(session, report_id=None, action="webhook.registered", actor=principal.actor,
                 payload={"agency": agency.code, "url": url})
    return {"agency_code": agency.code, "url": url, "secret": secret,
            "events": list(service.EVENT_TYPES)}


@router.delete("/{code}/webhook", status_code=204)
def delete_webhook(code: str, principal: Annotated[Principal, allow("admin", "agency")],
                   session: DbSession) -> Response:
    agency = _own_agency(code, principal, session)
    if not service.remove(session, agency=agency):
        raise NotFound("This agency has no webhook.")
    audit.append(session, report_id=None, action="webhook.removed", actor=principal.actor,
                 payload={"agency": agency.code})
    return Response(status_code=204)
