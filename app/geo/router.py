"""GET /v1/geo/resolve: the location object for an address and/or coordinates."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.errors import InvalidField
from app.geo import resolve, units
from app.reports.schemas import LocationOut
from app.security import Principal, allow

router = APIRouter(prefix="/v1/geo", tags=["geo"])


@router.get("/resolve", response_model=LocationOut)
def geo_resolve(
    _: Annotated[Principal, allow("callcentre", "app", "agency", "admin")],
    address: Annotated[str | None, Query(max_length=10_000)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    ward_code: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
) -> Any:
    if (lat is None) != (lon is None):
        raise InvalidField("lat" if lat is None else "lon", "lat and lon go together")
    if province_code is not None and units.province(province_code) is None:
        raise InvalidField("province_code", "not an official province code")
    if ward_code is not None and units.official_ward(ward_code) is None:
        raise InvalidField("ward_code", "not an official ward code")
    return resolve(address=address, lat=lat, lon=lon, province_code=province_code,
                   ward_code=ward_code).to_dict()
