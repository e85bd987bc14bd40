"""The development set (shared/eval) and the project's own adversarial set, case by case."""

from typing import Any

import pytest

from app.triage import triage
from tests.triage.helpers import ADVERSARIAL_SET, DEV_SET, load_cases, to_input

_DEV = load_cases(DEV_SET) if DEV_SET.exists() else []
_ADVERSARIAL = load_cases(ADVERSARIAL_SET)


def _check(case: dict[str, Any]) -> None:
    result = triage(to_input(case))
    want = case["expected"]
    assert (result.level, result.primary_category) == (want["urgency"], want["category"]), (
        case["description"], result.reasons)


@pytest.mark.skipif(not _DEV, reason="shared/eval/triage_dev.jsonl is not beside the project")
@pytest.mark.parametrize("case", _DEV, ids=[c["id"] for c in _DEV])
def test_dev_case(case: dict[str, Any]) -> None:
    _check(case)


@pytest.mark.parametrize("case", _ADVERSARIAL, ids=[c["id"] for c in _ADVERSARIAL])
def test_adversarial_case(case: dict[str, Any]) -> None:
    _check(case)


def test_adversarial_set_is_well_formed() -> None:
    ids = [c["id"] for c in _ADVERSARIAL]
    assert len(ids) == len(set(ids)) and len(ids) >= 200
    for case in _ADVERSARIAL:
        assert {"id", "rule", "description", "expected"} <= set(case)
        assert set(case["expected"]) == {"urgency", "category"}
