"""Liveness, readiness and metrics (no auth)."""

from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from app.deps import SideSessions
from app.errors import ServiceUnavailable

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(sessions: SideSessions) -> dict[str, Any]:
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
    except Exception:
        raise ServiceUnavailable("The database cannot be reached.",
                                 headers={"Retry-After": "5"}) from None
    return {"status": "ready"}


@router.get("/metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
