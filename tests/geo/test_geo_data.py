"""The index and code tables against the packages' data; text normalisation; bad input."""

import random
import time

import pytest

from app.geo import codes, index, resolve, resolve_address, units
from app.geo.edits import closest, distance
from app.geo.text import accent_key_of, fold, key_of, tokenize
from app.geo.types import Location


def test_every_official_ward_has_a_package_ward_of_the_same_name() -> None:
    ix = index.get()
    assert len(ix.ward_names) == len(units.wards()) == 3321
    mapped = {codes.to_package(c) for c in ix.ward_names}
    assert None not in mapped and len(mapped) == 3321  # one to one
    for official, name in ix.ward_names.items():
        package = units.ward(codes.to_package(official) or "")
        assert package is not None and accent_key_of(package.name) == accent_key_of(name)
        assert package.province_code == ix.ward_provinces[official]


def test_official_wards_are_the_package_wards_renumbered() -> None:
    official = codes.official_wards()
    assert official["27154"].name == "Phường Bàn Cờ" == units.ward("27160").name  # type: ignore[union-attr]
    assert {w.name for w in official.values()} == {w.name for w in units.wards().values()}


def test_every_legacy_ward_converts_to_a_ward_of_today() -> None:
    ix = index.get()
    wards = [w for table in ix.old_wards.all().values() for ws in table.values() for w in ws]
    assert len({(w.district, w.short, w.targets) for w in wards}) > 10_000
    assert all(w.targets and all(t in ix.ward_names for t in w.targets) for w in wards)
    assert all(ix.ward_provinces[t] == w.province_code for w in wards for t in w.targets)
    assert set(ix.island_targets.values()) <= set(ix.ward_names)


def test_provinces_and_their_legacy_provinces() -> None:
    ix = index.get()
    assert sorted(ix.old_provinces) == sorted(units.provinces())
    assert sum(len(v) for v in ix.old_provinces.values()) == 63


def test_text_normalisation() -> None:
    assert fold("Đắk Lắk") == "dak lak"
    assert key_of("Xã Chân Mây - Lăng Cô") == "xachanmaylangco"
    assert accent_key_of("Hoà Bình") == accent_key_of("Hòa Bình") != accent_key_of("Hoa Bình")
    assert [t.plain for t in tokenize("P.12, Q3, TP.HCM")] == ["p", "12", "q", "3", "tp", "hcm"]
    assert [t.plain for t in tokenize("Phường 05")] == ["phuong", "5"]
    assert len(tokenize("a " * 10_000)) <= 64


def test_bounded_edit_distance() -> None:
    assert distance("donghai", "donghia", 1) == 1  # transposition
    assert distance("donghai", "dongha", 2) == 1
    assert distance("abcdef", "uvwxyz", 1) == 2  # stops early: limit + 1
    assert closest("thanhthoina", ["thanhthoian", "thanhthoi"]) == "thanhthoian"
    assert closest("banhxa", ["binhxa", "bachxa"]) is None  # a tie is not a guess
    assert closest("abc", ["abd"]) is None  # too short to guess


def _hostile() -> list[str]:
    rng = random.Random(5)
    words = ["xa", "phuong", "huyen", "quan", "tinh", "p", "q", "12", "dong", "hai", "thanh", ","]
    return [
        "a" * 10_000,
        "xa " * 3_000,
        ", " * 5_000,
        "😀" * 5_000,
        "1" * 10_000,
        "\x00\x07" * 5_000,
        "a\u0301" * 5_000,
        "\ud800" * 100,
        bytes(rng.randrange(256) for _ in range(10_000)).decode("latin-1"),
        " ".join(rng.choice(words) for _ in range(3_000)),
        "x" * 9_900 + ", Xã Kim Ngân, tỉnh Quảng Trị",
    ]


@pytest.mark.parametrize("text", _hostile())
def test_hostile_input_is_fast_and_never_raises(text: str) -> None:
    resolve_address("warm up")
    start = time.perf_counter()
    loc = resolve_address(text)
    assert time.perf_counter() - start < 0.1
    assert isinstance(loc, Location)


def test_long_input_still_reads_its_units() -> None:
    assert resolve_address("x" * 9_900 + ", Xã Kim Ngân, tỉnh Quảng Trị").ward_code == "19318"
    assert (
        resolve_address("Xã Kim Ngân, tỉnh Quảng Trị, " + "ghi chú " * 2_000).ward_code == "19318"
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"address": None},
        {"ward_code": "99999"},
        {"ward_code": ""},
        {"province_code": "00"},
        {"lat": 91.0, "lon": 0.0},
        {"lat": 1e308, "lon": -1e308},
        {"lat": float("inf"), "lon": 0.0},
        {"lat": 10.0},
        {"address": 123},
        {"ward_code": 19318},
    ],
)
def test_bad_arguments_are_unresolved(kwargs: dict[str, object]) -> None:
    start = time.perf_counter()
    assert resolve(**kwargs) == Location(resolution="unresolved")  # type: ignore[arg-type]
    assert time.perf_counter() - start < 1
