"""Evaluation cases as TriageInput, built the way shared/eval/run_eval.py builds a request."""

import json
from pathlib import Path
from typing import Any

from app.triage.types import Child, Indicators, TriageInput

HERE = Path(__file__).resolve().parent
DEV_SET = Path(__file__).resolve().parents[2].parent / "shared/eval/triage_dev.jsonl"
ADVERSARIAL_SET = HERE / "adversarial.jsonl"


def load_cases(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def to_input(case: dict[str, Any]) -> TriageInput:
    children: tuple[Child, ...] = ()
    if "child_age" in case:
        children = (Child(age=case["child_age"]),)
    elif "children" in case:
        children = tuple(Child(age=c.get("age"), sex=c.get("sex", "unknown"))
                         for c in case["children"])
    indicators = Indicators(**case["indicators"]) if "indicators" in case else None
    return TriageInput(
        contact_type=case.get("contact_type", "report"),
        description=case.get("description", ""),
        children=children,
        categories=tuple(case.get("categories", ())),
        indicators=indicators,
    )
