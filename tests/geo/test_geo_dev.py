"""Every case of the shared development set (skipped only when the file is absent)."""

import json
from pathlib import Path
from typing import Any

import pytest

from app.geo import resolve_address

DEV = Path(__file__).resolve().parents[2].parent / "shared/eval/addresses_dev.jsonl"


def _cases() -> list[dict[str, Any]]:
    if not DEV.exists():
        return []
    with DEV.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


CASES = _cases()


@pytest.mark.skipif(not DEV.exists(), reason=f"{DEV} not present")
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_dev_case(case: dict[str, Any]) -> None:
    loc = resolve_address(case["address"])
    expected = case["expected"]
    assert (loc.province_code, loc.ward_code) == (expected["province_code"], expected["ward_code"])
    if expected["ward_code"] is None:
        assert loc.resolution == ("province_only" if expected["province_code"] else "unresolved")
    elif case["form"].startswith("legacy"):
        assert loc.resolution == "legacy_converted"
    else:
        assert loc.resolution == "exact"
