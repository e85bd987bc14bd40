"""The agency directory: the default seed from the official units, and routing look-ups."""

from sqlalchemy import ColumnElement, String, bindparam, exists, insert, or_, select, text, union
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from app.geo import units
from app.models import Agency, AgencyCoverage, ApiKey, Webhook
from app.routing.policy import KIND_LEVEL, AgencyKey, AgencyRef

NATIONAL_DESK_CODE = "NAT-111"


def default_directory() -> list[dict[str, str | None]]:
    """One agency of each kind for every official unit (codes from API-CONTRACT.md)."""
    rows: list[dict[str, str | None]] = [{
        "code": NATIONAL_DESK_CODE, "name": "Tổng đài quốc gia bảo vệ trẻ em 111",
        "kind": "national_desk", "unit_code": None, "province_code": None,
    }]
    provinces = units.provinces()
    for p in provinces.values():
        rows.append({"code": f"SYT-{p.code}", "name": f"Sở Y tế {p.name} (bảo vệ trẻ em)",
                     "kind": "province_health", "unit_code": p.code, "province_code": p.code})
        rows.append({"code": f"CAT-{p.code}", "name": f"Công an {p.name}",
                     "kind": "province_police", "unit_code": p.code, "province_code": p.code})
    for w in units.official_wards().values():
        where = f"{w.name}, {provinces[w.province_code].name}"
        rows.append({"code": f"UBND-{w.code}", "name": f"UBND {where}",
                     "kind": "commune_committee", "unit_code": w.code,
                     "province_code": w.province_code})
        rows.append({"code": f"CA-{w.code}", "name": f"Công an {where}",
                     "kind": "commune_police", "unit_code": w.code,
                     "province_code": w.province_code})
    for row in rows:
        row["level"] = KIND_LEVEL[str(row["kind"])]
    return rows


def seed_default_directory(session: Session) -> int:
    """Insert the default agencies that are missing; returns how many were added. Idempotent."""
    existing = set(session.scalars(select(Agency.code)))
    missing = [row for row in default_directory() if row["code"] not in existing]
    if missing:
        session.execute(insert(Agency), missing)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE agencies"))  # plan routing look-ups on real counts
    session.flush()
    return len(missing)


def is_empty(session: Session) -> bool:
    return session.execute(select(Agency.id).limit(1)).first() is None


def webhook_clause() -> ColumnElement[bool]:
    return exists().where(Webhook.agency_id == Agency.id, Webhook.disabled_at.is_(None))


def reachable_clause() -> ColumnElement[bool]:
    """An agency can learn of a case: it has an active key or a live webhook."""
    return or_(exists().where(ApiKey.agency_id == Agency.id, ApiKey.revoked_at.is_(None)),
               webhook_clause())


def _candidates_query() -> Executable:
    """The active agencies of a place's commune and province (`:ward`, `:province`, either may
    be NULL) and the national desk: a union of three index look-ups (an OR of them would scan
    the whole directory). Built once; its SQL is the same for every place, so the driver
    prepares it once per connection."""
    units = [bindparam("ward", type_=String), bindparam("province", type_=String)]
    ids = union(select(Agency.id).where(Agency.unit_code.in_(units)),
                select(Agency.id).where(Agency.kind == "national_desk"),
                select(AgencyCoverage.agency_id).where(AgencyCoverage.unit_code.in_(units)))
    return (select(Agency.id, Agency.code, Agency.name, Agency.kind, Agency.level,
                   Agency.unit_code, reachable_clause().label("reachable"),
                   webhook_clause().label("hooked"))
            .where(Agency.active.is_(True), Agency.id.in_(ids))
            .order_by(Agency.id))


_CANDIDATES = _candidates_query()


def routing_candidates(session: Session, *, province_code: str | None,
                       ward_code: str | None) -> dict[AgencyKey, AgencyRef]:
    """The active agencies that could serve this place, keyed for the routing policy.
    One indexed query (the directory has nothing pending in the session: no flush)."""
    place = {lvl: unit for lvl, unit in (("commune", ward_code), ("province", province_code))
             if unit}
    rows = session.connection().execute(_CANDIDATES, {"ward": ward_code,
                                                      "province": province_code}).all()
    out: dict[AgencyKey, AgencyRef] = {}
    for r in rows:
        if r.level != "national" and r.level not in place:
            continue
        key = (r.kind, place.get(r.level))
        # Several agencies of one kind for one unit: the first registered serves.
        out.setdefault(key, AgencyRef(code=r.code, name=r.name, kind=r.kind, level=r.level,
                                      unit_code=r.unit_code, reachable=bool(r.reachable),
                                      agency_id=r.id, has_webhook=bool(r.hooked)))
    return out


def agency_ref(agency: Agency, *, reachable: bool = True) -> AgencyRef:
    return AgencyRef(code=agency.code, name=agency.name, kind=agency.kind, level=agency.level,
                     unit_code=agency.unit_code, reachable=reachable, agency_id=agency.id)
