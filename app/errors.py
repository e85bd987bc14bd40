"""Domain errors and their rendering as application/problem+json (RFC 9457)."""

import json
import logging
import traceback
from typing import Any

import psycopg
import psycopg_pool
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("app.errors")

PROBLEM = "application/problem+json"
TYPE_BASE = "https://hotline-intake.example/problems/"


class DomainError(Exception):
    status: int = 400
    type_: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, str]] | None = None,
                 extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra or {}
        self.headers = headers


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status, type_, title = 401, "unauthorized", "Missing or invalid API key"


class Forbidden(DomainError):
    status, type_, title = 403, "forbidden", "Not allowed for this key's role"


class NotFound(DomainError):
    status, type_, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, type_, title = 409, "conflict", "Conflict"


class InvalidField(DomainError):
    """A request that parses but names something that does not exist or cannot be used."""

    status, type_, title = 422, "validation-error", "Invalid request"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", errors=[{"field": field, "message": message}])


class IdempotencyMismatch(DomainError):
    status, type_, title = 422, "idempotency-key-reused", "Idempotency-Key reused with another body"


class TooManyRequests(DomainError):
    status, type_, title = 429, "rate-limited", "Too many requests"


class ServiceUnavailable(DomainError):
    status, type_, title = 503, "service-unavailable", "Service temporarily unavailable"


class BodyTooLarge(StarletteHTTPException):
    """413: raised while the body streams in, so that FastAPI's body reader passes it on (it
    turns any other exception into a 400)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The body exceeds {max_bytes} bytes.")


def too_large_body(detail: str) -> bytes:
    return json.dumps({"type": TYPE_BASE + "payload-too-large", "title": "Request body too large",
                       "status": 413, "detail": detail}).encode()


class NotModified(Exception):
    """Answer 304 with this ETag: raised by a dependency, before the endpoint's own parameters
    are even parsed."""

    def __init__(self, etag: str) -> None:
        super().__init__(etag)
        self.etag = etag


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API is answered."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


PROBLEM_STATUSES = {400: "Bad request", 401: "Missing or invalid API key",
                    403: "Not allowed for this key's role", 404: "Not found",
                    409: "Conflict", 413: "Request body too large", 422: "Invalid request",
                    429: "Too many requests", 500: "Internal error",
                    503: "Service temporarily unavailable"}


def problem_responses() -> dict[int | str, dict[str, Any]]:
    """Documented on every route: each error comes as application/problem+json."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    schema["properties"]["errors"] = {"anyOf": [
        {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
        {"type": "null"}]}
    return {code: {"description": title, "content": {PROBLEM: {"schema": schema}}}
            for code, title in PROBLEM_STATUSES.items()}


def problem(status: int, type_: str, title: str, detail: str, *,
            errors: list[dict[str, str]] | None = None, extra: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + type_, "title": title, "status": status,
                            "detail": detail}
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        loc = err.get("loc", ())
        field = _field_name(loc)
        message = str(err.get("msg", "invalid"))
        if loc and loc[0] in ("query", "header", "path"):
            field = ".".join(str(p) for p in loc[1:]) or str(loc[0])
        elif err.get("type") == "json_invalid":  # loc is ("body", offset): not a field
            field, message = "body", f"{message} at character {loc[-1]}"
        out.append({"field": field, "message": message})
    return out


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotModified)
    async def _not_modified(_: Request, exc: NotModified) -> Response:
        return Response(status_code=304, headers={"ETag": exc.etag})

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return problem(exc.status, exc.type_, exc.title, exc.detail, errors=exc.errors,
                       extra=exc.extra, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(422, "validation-error", "Invalid request", detail, errors=errors)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_: Request, exc: BodyTooLarge) -> Response:
        return Response(too_large_body(exc.detail), status_code=413, media_type=PROBLEM)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed"}
        return problem(exc.status_code, "http-error", titles.get(exc.status_code, "HTTP error"),
                       str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(psycopg.OperationalError)  # the read pool's, past SQLAlchemy
    @app.exception_handler(psycopg_pool.PoolTimeout)
    async def _db_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return problem(503, "service-unavailable", "Service temporarily unavailable",
                       "The database cannot be reached; retry later.",
                       headers={"Retry-After": "5"})

    @app.exception_handler(DBAPIError)
    async def _db_error(_: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return problem(503, "service-unavailable", "Service temporarily unavailable",
                           "The database connection was lost; retry later.",
                           headers={"Retry-After": "5"})
        log.error("database error: %s", type(exc.orig).__name__)
        return problem(500, "internal-error", "Internal error", "An internal error occurred.")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # A bug is a 500 with no stack trace in the body; the log has the type only.
        # The message is left out: driver errors quote SQL parameters, i.e. personal data.
        log.error("unhandled error: %s\n%s", type(exc).__name__,
                  "".join(traceback.format_tb(exc.__traceback__)))
        return problem(500, "internal-error", "Internal error", "An internal error occurred.")
