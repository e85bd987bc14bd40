"""Importing an agency directory from CSV (a deployment loads its own directory).

Columns: code,name,kind,level,unit_code and optionally coverage (unit codes separated by
spaces or semicolons) and active (true/false). Existing codes are updated, new ones created;
the whole file is one transaction, so a file with any bad row changes nothing.
"""

import csv
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.admin import service
from app.admin.schemas import AgencyIn
from app.config import get_settings
from app.errors import DomainError, NotFound
from app.models import utcnow

REQUIRED = ("code", "name", "kind", "level", "unit_code")


def _row_to_agency(row: dict[str, str]) -> AgencyIn:
    coverage = [c for c in (row.get("coverage") or "").replace(";", " ").split() if c]
    return AgencyIn(code=row["code"].strip(), name=row["name"].strip(),
                    kind=row["kind"].strip(), level=row["level"].strip(),
                    unit_code=(row.get("unit_code") or "").strip() or None, coverage=coverage)


def import_csv(session: Session, stream: TextIO, *, actor: str) -> dict[str, Any]:
    reader = csv.DictReader(stream)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        return {"created": 0, "updated": 0, "errors": [f"missing columns: {missing}"]}
    created = updated = 0
    errors: list[str] = []
    for line, row in enumerate(reader, start=2):
        try:
            created, updated = _apply_row(session, row, actor, created, updated)
        except (ValidationError, DomainError, KeyError) as exc:
            errors.append(f"line {line}: {_describe(exc)}")
    if errors:
        session.rollback()
        return {"created": 0, "updated": 0, "errors": errors}
    return {"created": created, "updated": updated, "errors": []}


def _apply_row(session: Session, row: dict[str, str], actor: str, created: int, updated: int
               ) -> tuple[int, int]:
    spec = _row_to_agency(row)
    try:
        agency = service.agency_by_code(session, spec.code)
    except NotFound:
        service.create_agency(session, code=spec.code, name=spec.name, kind=spec.kind,
                              level=spec.level, unit_code=spec.unit_code,
                              coverage=spec.coverage, actor=actor)
        return created + 1, updated
    service.update_agency(session, agency=agency, name=spec.name, coverage=spec.coverage,
                          actor=actor)
    active = (row.get("active") or "").strip().lower()
    if active in ("false", "0", "no") and agency.active:
        # the same path as the admin API: its open cases are re-routed, audited
        service.deactivate_agency(session, agency=agency, reason="directory import",
                                  actor=actor, now=utcnow(), settings=get_settings())
    elif active in ("true", "1", "yes"):
        agency.active = True
    return created, updated + 1


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, DomainError):
        return exc.detail
    return f"missing value {exc}"
