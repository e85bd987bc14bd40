"""Ward codes: the official list versus the `vietnam-provinces` package (`app/geo/units.py`).

`vietnam-provinces` 2025.10.1 took its codes from the *draft* decision (its seed data's source is
the chinhphu.vn draft of the code list); `vietnamadminunits` and the evaluation sets use the
official codes. Names agree one to one, but 128 of the 3,321 wards carry a different code in the
package (e.g. Phường Bàn Cờ: official 27154, package 27160; Phường Phủ Lý: official 13285, while
the package gives 13285 to Phường Châu Sơn).

The resolver works on official codes internally. `OUTPUT_CODES` says which codes it returns (and
reads first from callers); names always come from `app/geo/units.py`, matched by name.
"""

from functools import cache
from typing import Final, Literal

from app.geo import index, units
from app.geo.text import accent_key_of
from app.geo.types import Ward

OUTPUT_CODES: Final[Literal["official", "package"]] = "official"


@cache
def _maps() -> tuple[dict[str, str], dict[str, str]]:
    """official -> package and package -> official, matched by province and name."""
    ix = index.get()
    package_wards = units.wards()
    to_package: dict[str, str] = {}
    for code, name in ix.ward_names.items():  # most wards: same code, same spelling
        same = package_wards.get(code)
        if same is not None and same.name == name:
            to_package[code] = code
    taken = set(to_package.values())
    by_name = {
        (w.province_code, accent_key_of(w.name)): w.code
        for w in package_wards.values()
        if w.code not in taken
    }
    for code, name in ix.ward_names.items():
        if code not in to_package:
            package = by_name.get((ix.ward_provinces[code], accent_key_of(name)))
            if package is not None:
                to_package[code] = package
    return to_package, {p: o for o, p in to_package.items()}


def to_package(official: str) -> str | None:
    return _maps()[0].get(official)


def to_official(package: str) -> str | None:
    return _maps()[1].get(package)


def output(official: str) -> str:
    """The code to hand out for a ward known by its official code."""
    if OUTPUT_CODES == "package":
        return to_package(official) or official
    return official


def read(code: str) -> str | None:
    """A caller's ward code as an official code (None if unknown): a code of the system we hand
    out is read as such first, so our own answers round-trip; the other system is accepted too."""
    official_ok = code in index.get().ward_names
    from_package = to_official(code)
    if OUTPUT_CODES == "package" and from_package:
        return from_package
    return code if official_ok else from_package


@cache
def official_wards() -> dict[str, Ward]:
    """Today's wards keyed by official code, with the names of `units.py`: the drop-in for
    `units.wards()` wherever codes meet the outside world (directory seed, input validation)."""
    ix = index.get()
    return {
        code: Ward(code=code, name=ward_name(code), province_code=ix.ward_provinces[code])
        for code in sorted(ix.ward_names)
    }


def ward_name(official: str) -> str:
    package = to_package(official)
    ward = units.ward(package) if package else None
    return ward.name if ward else index.get().ward_names[official]


def province_name(code: str) -> str | None:
    province = units.province(code)
    return province.name if province else None
