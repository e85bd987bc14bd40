"""`app.geo.cli.run`: JSON lines in, location objects (or errors) out, in order."""

import io
import json
import subprocess
import sys
from pathlib import Path

from app.geo.cli import run

ROOT = Path(__file__).resolve().parents[2]


def _run(text: str) -> tuple[int, list[dict[str, object]]]:
    out = io.StringIO()
    status = run(io.StringIO(text), out)
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def test_good_lines_in_order() -> None:
    lines = [
        {"address": "P.12, Q. Gò Vấp"},
        {"address": "Xã Kim Ngân, tỉnh Quảng Trị"},
        {"address": "khong biet"},
        {"address": "Hà Nội"},
        {"lat": 10.7733, "lon": 106.6992},
        {"address": "khong biet", "province_code": "11"},
        {"ward_code": "19318"},
    ]
    status, out = _run("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    assert status == 0
    assert [(o["resolution"], o["ward_code"]) for o in out] == [
        ("legacy_converted", "26882"),
        ("exact", "19318"),
        ("unresolved", None),
        ("province_only", None),
        ("coordinates", "26743"),
        ("province_only", None),
        ("exact", "19318"),
    ]
    assert set(out[0]) == {
        "resolution",
        "province_code",
        "province_name",
        "ward_code",
        "ward_name",
        "ambiguous",
        "candidates",
    }


def test_bad_lines_and_blank_lines_give_errors_in_place() -> None:
    text = (
        "\n".join(
            [
                '{"address": "Hà Nội"}',
                "not json",
                "",
                "   ",
                "[1, 2]",
                '"a string"',
                '{"address": 5}',
                '{"address": ["x"]}',
                '{"address": "Hà Nội", "lat": "x", "lon": 1}',
                '{"ward_code": 19318}',
                "[" * 100_000,
                '{"address": "Đà Nẵng"}',
            ]
        )
        + "\n"
    )
    status, out = _run(text)
    assert status == 0
    assert len(out) == 12  # one line out per line in: a client can zip them
    assert out[0]["province_code"] == "01" and out[-1]["province_code"] == "48"
    assert out[2] == out[3] == {"error": "empty line"}
    assert all(set(o) == {"error"} for o in out[1:-1])
    assert str(out[1]["error"]).startswith("invalid JSON")
    assert out[6]["error"] == "address is not a string"


def test_output_keeps_vietnamese_letters() -> None:
    out = io.StringIO()
    run(io.StringIO('{"address": "Xã Kim Ngân, tỉnh Quảng Trị"}\n'), out)
    assert "Xã Kim Ngân" in out.getvalue()


def test_whole_process_with_invalid_utf8_and_no_heavy_imports() -> None:
    code = (
        "import sys; from app.geo.cli import run; s = run(sys.stdin, sys.stdout); "
        "heavy = {'fastapi', 'sqlalchemy', 'pydantic', 'geopy', 'shapely', 'vietnamadminunits', "
        "'vietnam_provinces', 'sqlite3', 'logging'} "
        "& set(sys.modules); "
        "print(sorted(heavy), file=sys.stderr); sys.exit(s)"
    )
    data = b'{"address": "H\xe0 N\xff\xfei"}\n{"address": "\xc4\x90\xc3\xa0 N\xe1\xba\xb5ng"}\n'
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=data,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in done.stdout.decode("utf-8").splitlines()]
    assert len(lines) == 2 and lines[1]["province_code"] == "48"
    assert done.stderr.decode().strip().endswith("[]")


def test_direct_encoding_equals_the_json_encoder() -> None:
    """`encode_location` writes what `json` would, byte for byte (names with quotes and
    non-ascii, None fields, candidates or none)."""
    from app.geo import resolve
    from app.geo.cli import _encode, encode_location
    from app.geo.types import UNRESOLVED, Candidate, Location

    locations = [
        UNRESOLVED,
        resolve(address="Hà Nội"),
        resolve(address="Xã Kim Ngân, tỉnh Quảng Trị"),
        resolve(address="P.12, Q. Gò Vấp"),
        resolve(lat=10.7733, lon=106.6992),
        Location(
            "exact",
            "01",
            'Thành phố "Hà" \\ Nội\n',
            "00070",
            "Phường\tA\u2028",
            True,
            (Candidate("00001", "B"), Candidate("00002", "C\x00")),
        ),
    ]
    for location in locations:
        assert encode_location(location) == _encode(location.to_dict())


def test_run_leaves_the_collector_as_it_found_it() -> None:
    import gc

    assert gc.isenabled() and gc.get_freeze_count() == 0
    _run('{"address": "Xã Kim Ngân, tỉnh Quảng Trị"}\n')
    assert gc.isenabled() and gc.get_freeze_count() == 0
