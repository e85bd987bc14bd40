"""create_app(): routers, error handlers, middleware, lifespan."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from app import __version__
from app.admin.router import router as admin_router
from app.cases.router import router as cases_router
from app.config import get_settings
from app.db import get_session, get_sessionmaker, open_read_pool, request_transaction
from app.deps import side_sessions
from app.errors import install_handlers, problem_responses
from app.geo import resolve
from app.geo.router import router as geo_router
from app.health import router as health_router
from app.observability import (
    BodySizeLimitMiddleware,
    NulInUrlMiddleware,
    RequestContextMiddleware,
)
from app.reports.router import router as reports_router
from app.scheduler.runner import Scheduler
from app.triage import triage
from app.triage.types import TriageInput
from app.webhooks.router import router as webhooks_router


def warm_up() -> None:
    """Load the unit index and the triage rules before the first request, not during it, then
    move them out of the garbage collector's way: a full collection walking their half a
    million objects stalls every request in flight for about 0.3-0.4 s. Once per process."""
    resolve(address="Hà Nội")
    triage(TriageInput(description="warm up"))
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()  # what is alive now (index, rules, modules) is never collected anyway


def create_app(*, sessions: sessionmaker[Session] | None = None,
               run_scheduler: bool | None = None) -> FastAPI:
    """`sessions` (a session factory) and `run_scheduler` let tests, benchmarks and embedders
    choose the database and whether the in-process scheduler runs (by default it does when
    SCHEDULER_IN_PROCESS is true)."""
    settings = get_settings()
    scheduler_on = settings.scheduler_in_process if run_scheduler is None else run_scheduler

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warm_up()
        factory = sessions or get_sessionmaker()
        scheduler = Scheduler(factory, settings) if scheduler_on else None
        app.state.read_pool = await open_read_pool(factory)
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown()
            if app.state.read_pool is not None:
                await app.state.read_pool.close()

    app = FastAPI(
        title="hotline-intake",
        version=__version__,
        description="Intake, triage and routing for Vietnam's 111 child-protection hotline.",
        lifespan=lifespan,
        responses=problem_responses(),
    )
    install_handlers(app)
    app.include_router(health_router)
    app.include_router(reports_router)
    app.include_router(geo_router)
    app.include_router(cases_router)
    app.include_router(admin_router)
    app.include_router(webhooks_router)
    if sessions is not None:
        factory = sessions

        async def own_session() -> AsyncIterator[Session]:
            async with request_transaction(factory) as session:
                yield session

        app.dependency_overrides[get_session] = own_session
        app.dependency_overrides[side_sessions] = lambda: factory
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(NulInUrlMiddleware)
    app.add_middleware(RequestContextMiddleware)
    return app


def served_app() -> FastAPI:
    """The app of one `serve --workers N` process: its own logging, then create_app()."""
    from app.observability import configure_logging

    configure_logging(get_settings().log_level)
    return create_app()
