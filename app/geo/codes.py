"""Ward codes: the official list versus the `vietnam-provinces` package (`app/geo/units.py`).

`vietnam-provinces` 2025.10.1 took its codes from the *draft* decision (its seed data's source is
the chinhphu.vn draft of the code list); `vietnamadminunits` and the evaluation sets use the
official codes. Names agree one to one, but 128 of the 3,321 wards carry a different code in the
package (e.g. Phường Bàn Cờ: official 27154, package 27160; Phường Phủ Lý: official 13285, while
the package gives 13285 to Phường Châu Sơn).

The resolver works on official codes internally. `OUTPUT_CODES` says which codes it returns (and
reads first from callers); names always come from `app/geo/units.py`, matched by name. The
matching is done when the index is built (`app.geo.build`), so answering never imports the
package.
"""

from functools import cache
from typing import Final, Literal

from app.geo import index
from app.geo.types import Ward

OUTPUT_CODES: Final[Literal["official", "package"]] = "official"


@cache
def _to_official() -> dict[str, str]:
    return {p: o for o, p in index.get().to_package.items()}


def to_package(official: str) -> str | None:
    return index.get().to_package.get(official)


def to_official(package: str) -> str | None:
    return _to_official().get(package)


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
    return index.get().display_wards[official]


def province_name(code: str) -> str | None:
    return index.get().display_provinces.get(code)
