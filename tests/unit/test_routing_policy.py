"""The routing policy as a pure function over a small directory."""

from app.routing.policy import (
    AgencyKey,
    AgencyRef,
    RoutingDecision,
    RoutingInput,
    load_policy,
    route,
    with_required_notices,
)


def ref(code: str, kind: str, level: str, unit: str | None, reachable: bool = True
        ) -> AgencyRef:
    return AgencyRef(code=code, name=code, kind=kind, level=level, unit_code=unit,
                     reachable=reachable)


def directory(reachable: bool = True) -> dict[AgencyKey, AgencyRef]:
    agencies = [
        ref("UBND-00070", "commune_committee", "commune", "00070", reachable),
        ref("CA-00070", "commune_police", "commune", "00070", reachable),
        ref("SYT-01", "province_health", "province", "01", reachable),
        ref("CAT-01", "province_police", "province", "01", reachable),
        ref("NAT-111", "national_desk", "national", None, True),
    ]
    return {(a.kind, None if a.level == "national" else a.unit_code): a for a in agencies}


def inp(level: str = "medium", categories: tuple[str, ...] = ("neglect",),
        province: str | None = "01", ward: str | None = "00070",
        excluded: frozenset[str] = frozenset()) -> RoutingInput:
    return RoutingInput(level=level, categories=categories, province_code=province,
                        ward_code=ward, excluded=excluded)


def codes(decision: object) -> tuple[str, set[str]]:
    return decision.primary.code, {a.code for a in decision.notified}  # type: ignore[attr-defined]


def test_medium_goes_to_the_commune_alone() -> None:
    d = route(inp(), directory())
    assert codes(d) == ("UBND-00070", set())
    assert d.status == "routed"
    assert d.policy_version == load_policy().version


def test_critical_brings_commune_police_and_province_health() -> None:
    assert codes(route(inp(level="critical"), directory())) == (
        "UBND-00070", {"CA-00070", "SYT-01"})


def test_any_police_category_brings_police_even_when_not_primary() -> None:
    d = route(inp(level="high", categories=("physical_violence", "sexual_abuse")), directory())
    assert codes(d) == ("UBND-00070", {"CA-00070"})


def test_province_only_uses_province_health_and_province_police() -> None:
    d = route(inp(level="critical", ward=None), directory())
    assert codes(d) == ("SYT-01", {"CAT-01"})


def test_nothing_resolved_goes_to_the_national_desk() -> None:
    d = route(inp(level="critical", ward=None, province=None), directory())
    assert codes(d) == ("NAT-111", set())
    assert d.status == "needs_manual_routing"


def test_excluded_commune_falls_to_the_province() -> None:
    d = route(inp(excluded=frozenset({"UBND-00070"})), directory())
    assert d.primary.code == "SYT-01"


def test_unreachable_primary_notifies_the_levels_above_at_once() -> None:
    d = route(inp(), directory(reachable=False))
    # the province health unit is unreachable too, so the national desk hears of it
    assert codes(d) == ("UBND-00070", {"SYT-01", "NAT-111"})
    assert any("unreachable" in r for r in d.reasons)


def test_an_unreachable_primary_is_named_even_when_the_level_above_is_notified_anyway() -> None:
    d = route(inp(level="critical"), directory(reachable=False))
    assert codes(d) == ("UBND-00070", {"CA-00070", "SYT-01", "NAT-111"})
    assert "notified: SYT-01 (level critical)" in d.reasons
    assert any(r.startswith("notified: SYT-01 (UBND-00070 is unreachable") for r in d.reasons)


def test_required_notices_join_a_decision_made_otherwise() -> None:
    follow_up = RoutingDecision(status="routed", primary=directory()[("commune_committee",
                                                                        "00070")],
                                notified=(), reasons=("follow-up",), policy_version="x")
    d = with_required_notices(follow_up, inp(level="high", categories=("sexual_abuse",)),
                              directory())
    assert codes(d) == ("UBND-00070", {"CA-00070"})
    assert d.reasons[0] == "follow-up" and d.policy_version == "x"
    assert with_required_notices(follow_up, inp(), directory()) == follow_up


def test_escalation_ladder() -> None:
    policy = load_policy()
    assert policy.next_level("commune_committee") == "province_health"
    assert policy.next_level("province_health") == "national_desk"
    assert policy.next_level("national_desk") is None
