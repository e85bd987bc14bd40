"""Triage: a report's urgency level and categories from DOMAIN.md's rules (pure, in memory).

    triage(TriageInput) -> TriageResult
    RULESET_VERSION      the version of the rules in force (app/triage/rules/ruleset.yaml)
    ruleset()            those rules and lexicons, JSON-serialisable (GET /v1/triage/ruleset)
"""

from typing import Any

from app.triage.engine import triage
from app.triage.ruleset import active, describe

RULESET_VERSION: str = active().version


def ruleset() -> dict[str, Any]:
    """The active version, its rules, conventions and lexicons (a copy: safe to modify)."""
    return describe()


__all__ = ["RULESET_VERSION", "ruleset", "triage"]
