"""create_app(): routers, error handlers, middleware, lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.admin.router import router as admin_router
from app.cases.router import router as cases_router
from app.config import get_settings
from app.errors import install_handlers
from app.geo.router import router as geo_router
from app.health import router as health_router
from app.observability import BodySizeLimitMiddleware, RequestContextMiddleware
from app.reports.router import router as reports_router


def create_app() -> FastAPI:
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield

    app = FastAPI(
        title="hotline-intake",
        version=__version__,
        description="Intake, triage and routing for Vietnam's 111 child-protection hotline.",
        lifespan=lifespan,
    )
    install_handlers(app)
    app.include_router(health_router)
    app.include_router(reports_router)
    app.include_router(geo_router)
    app.include_router(cases_router)
    app.include_router(admin_router)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    return app
