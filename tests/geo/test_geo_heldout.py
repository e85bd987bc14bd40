"""Generated held-out-like addresses (seeded): today's and legacy wards rendered as callers
write them. Expected codes come from the packages' data, not from the resolver."""

import random
from collections import Counter

import pytest

from app.geo import resolve_address
from tests.geo import addresses_gen as gen

SEED = 20250701


def _correct(case: gen.Case) -> bool:
    loc = resolve_address(case.address)
    if (loc.province_code, loc.ward_code) != (case.province_code, case.ward_code):
        return False
    if case.form == "legacy_split":  # the official default, the others as candidates
        return loc.ambiguous and tuple(c.ward_code for c in loc.candidates) == case.candidates
    return True


def _score(cases: list[gen.Case]) -> tuple[float, list[gen.Case]]:
    wrong = [c for c in cases if not _correct(c)]
    return 1 - len(wrong) / len(cases), wrong


def test_generated_mixed_forms_at_least_99_5_percent() -> None:
    cases = gen.mixed(SEED, n_current=1500, n_legacy=1500)
    assert len(cases) > 3500
    assert Counter(c.form for c in cases).keys() >= {
        "current",
        "legacy",
        "legacy_numbered",
        "legacy_split",
        "province_only",
        "unresolved",
    }
    rate, wrong = _score(cases)
    assert rate >= 0.995, [(c.address, c.ward_code) for c in wrong[:20]]


@pytest.mark.parametrize("form", ["current", "legacy", "legacy_numbered", "legacy_split"])
def test_each_form_at_least_99_percent(form: str) -> None:
    rng = random.Random(SEED + 1)
    cases = {
        "current": lambda: gen.current_cases(rng, 400),
        "legacy": lambda: gen.legacy_cases(rng, 400),
        "legacy_numbered": lambda: gen.legacy_cases(rng, 200, numbered=True),
        "legacy_split": lambda: gen.legacy_cases(rng, 200, divided=True),
    }[form]()
    rate, wrong = _score(cases)
    assert rate >= 0.99, [(c.address, c.ward_code) for c in wrong[:10]]


def test_one_letter_typos_mostly_resolved_never_wrong_province() -> None:
    cases = gen.typo_cases(random.Random(SEED + 2), 300)
    rate, wrong = _score(cases)
    assert rate >= 0.95, [(c.address, c.ward_code) for c in wrong[:10]]
    # a typo we cannot place is still found in its province, never elsewhere
    assert all(resolve_address(c.address).province_code == c.province_code for c in wrong)
