"""Behaviour of the engine beyond single cases: overrides, indicators, operator categories,
age, pregnancy, robustness against long, mixed and hostile input."""

import json
import time
import unicodedata

import pytest

from app.triage import RULESET_VERSION, ruleset, triage
from app.triage.types import Child, Indicators, Override, TriageInput
from app.vocab import CATEGORIES, CONTACT_TYPES, ROUTED_CONTACT_TYPES

VIOLENCE_NOW = "Bố đang đánh em bằng gậy, em bị chảy máu đầu"


def report(text: str, *ages: int, **kw: object) -> TriageInput:
    return TriageInput(description=text, children=tuple(Child(age=a) for a in ages), **kw)  # type: ignore[arg-type]


def test_override_keeps_both_levels() -> None:
    override = Override(level="low", reason="đã xác minh: trò đùa")
    result = triage(report(VIOLENCE_NOW, 11, override=override))
    assert result.level == "low"
    assert result.computed_level == "critical"
    assert result.reasons[0].startswith("R2.operator_override: đã xác minh: trò đùa")
    assert "R2.operator_override" in result.rule_ids
    assert result.primary_category == "physical_violence"


def test_override_can_raise_the_level() -> None:
    override = Override("critical", "giọng hoảng loạn")
    result = triage(report("Con tôi bị các bạn trêu chọc", 10, override=override))
    assert (result.level, result.computed_level) == ("critical", "medium")


@pytest.mark.parametrize(("name", "category"), [("immediate_danger", "other"),
                                              ("serious_injury", "other"),
                                              ("suicide_risk", "mental_health")])
def test_an_indicator_alone_is_critical(name: str, category: str) -> None:
    """Danger and injury name no category of their own (routed reports always carry one:
    other); a suicide risk is mental_health by definition."""
    result = triage(report("", indicators=Indicators(**{name: True})))
    assert result.level == "critical"
    assert result.primary_category == category
    assert f"R3.indicator_{name}" in result.rule_ids


def test_false_indicators_change_nothing() -> None:
    result = triage(report("Con tôi bị các bạn trêu chọc", 10,
                           indicators=Indicators(immediate_danger=False, suicide_risk=False)))
    assert result.level == "medium"


def test_indicator_level_with_text_category() -> None:
    result = triage(report("Em muốn chết", 15, indicators=Indicators(suicide_risk=True)))
    assert (result.level, result.primary_category) == ("critical", "mental_health")


def test_caregiver_indicator_feeds_the_caregiver_rule() -> None:
    text = "Năm ngoái cháu bị đánh gãy tay"
    assert triage(report(text, 9)).level == "high"
    with_caregiver = triage(report(text, 9, indicators=Indicators(perpetrator_is_caregiver=True)))
    assert with_caregiver.level == "critical"


def test_access_indicator_feeds_the_access_rules() -> None:
    text = "Tháng trước cháu bị xâm hại tình dục"
    assert triage(report(text, 12)).level == "high"
    with_access = report(text, 12, indicators=Indicators(perpetrator_has_access=True))
    assert triage(with_access).level == "critical"


@pytest.mark.parametrize("contact_type", sorted(set(CONTACT_TYPES) - ROUTED_CONTACT_TYPES))
def test_non_routed_contacts_are_none_whatever_the_text(contact_type: str) -> None:
    result = triage(report(VIOLENCE_NOW, 11, contact_type=contact_type,
                           categories=("physical_violence",)))
    assert (result.level, result.computed_level, result.primary_category) == ("none", "none", None)
    assert result.categories == ("physical_violence",)
    assert result.rule_ids == ("R1.non_routed_contact",)


def test_follow_up_is_triaged() -> None:
    assert triage(report(VIOLENCE_NOW, 11, contact_type="follow_up")).level == "critical"


def test_a_child_aged_0_to_5_moves_violence_and_neglect_up() -> None:
    text = "Bé hay bị mẹ đánh vào mông"
    assert triage(report(text, 8)).level == "medium"
    young = triage(report(text, 4))
    assert young.level == "high" and "R7.young_child_bump" in young.rule_ids
    assert triage(report("Bé thường bị bỏ đói", 2)).level == "high"
    assert triage(report("Bé bị các bạn trêu chọc", 4)).level == "medium"  # not bumped


def test_age_written_in_the_text_counts() -> None:
    assert triage(report("Bé 3 tuổi hay bị mẹ đánh vào mông")).level == "high"
    assert triage(report("A 2-year-old is often slapped by the nanny")).level == "high"


def test_pregnancy_under_16_adds_sexual_abuse() -> None:
    result = triage(report("Cháu có thai 3 tháng", 15))
    assert (result.level, result.primary_category) == ("high", "sexual_abuse")
    assert "reproductive_health" in result.categories
    older = triage(report("Cháu có thai 3 tháng", 16))
    assert (older.level, older.primary_category) == ("medium", "reproductive_health")
    assert "sexual_abuse" not in older.categories


def test_empty_description_is_medium_other() -> None:
    result = triage(report(""))
    assert (result.level, result.primary_category) == ("medium", "other")
    assert result.categories == ("other",)
    assert result.rule_ids == ("R5.no_signal",)


def test_operator_categories_are_kept_and_combined() -> None:
    result = triage(report("Con tôi bị các bạn trêu chọc", 10, categories=("family",)))
    assert (result.level, result.primary_category) == ("medium", "school_violence")
    assert result.categories == ("school_violence", "family")


def test_an_operator_category_alone_sets_a_conservative_floor() -> None:
    assert triage(report("", categories=("sexual_abuse",))).level == "high"
    both = triage(report("", categories=("trafficking", "missing")))
    assert both.primary_category == "trafficking"
    legal = triage(report("Tôi muốn hỏi một việc", categories=("legal",)))
    assert (legal.level, legal.primary_category) == ("low", "legal")


def test_an_operator_category_never_lowers_the_level() -> None:
    result = triage(report(VIOLENCE_NOW, 11, categories=("legal",)))
    assert (result.level, result.primary_category) == ("critical", "physical_violence")
    assert "legal" in result.categories


def test_an_operator_category_above_the_text_sets_level_and_primary() -> None:
    result = triage(report("Bố mẹ cháu hay cãi nhau", 12, categories=("sexual_abuse",)))
    assert (result.level, result.primary_category) == ("high", "sexual_abuse")
    assert "O.operator_category_floor" in result.rule_ids


def test_categories_are_primary_first_then_tie_order_without_duplicates() -> None:
    result = triage(report("Có kẻ dọa phát tán ảnh nóng của em lên mạng", 14))
    assert result.primary_category == "online_harm"
    assert result.categories == ("online_harm", "sexual_exploitation")


def test_reasons_name_rule_and_phrase() -> None:
    result = triage(report(VIOLENCE_NOW, 11))
    assert any(r.startswith("R3.violence_now: '") for r in result.reasons)
    assert result.ruleset_version == RULESET_VERSION
    assert all(rid.split(".")[0] in {"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "C", "O"}
               for rid in result.rule_ids)


def test_negation_is_reported() -> None:
    result = triage(report("Em không bị đánh", 12))
    assert "R8.negation" in result.rule_ids
    assert result.primary_category == "other"


def test_triage_is_deterministic() -> None:
    inp = report(VIOLENCE_NOW + ". Mẹ em bỏ đi rồi, em buồn lắm", 11)
    assert triage(inp) == triage(inp)


def test_ten_thousand_characters_of_repeated_keywords_is_bounded() -> None:
    unit = "đang đánh đập không bị hiếp dâm tự tử từ từ danh dap bi danh bỏng 🔥 kill myself "
    text = (unit * (10_000 // len(unit) + 1))[:10_000]
    start = time.perf_counter()
    result = triage(report(text, 10))
    assert time.perf_counter() - start < 1.0
    assert result.level == "critical"
    assert len(result.reasons) <= 20


def test_ten_thousand_characters_without_spaces_or_punctuation() -> None:
    for text in ("a" * 10_000, "đ" * 10_000, "<" * 10_000, "<b>" * 3_000, "." * 10_000):
        start = time.perf_counter()
        triage(report(text))
        assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("text, level, category", [
    ("<p>Bố <b>đang</b> đánh em &amp; em bị chảy máu</p>", "critical", "physical_violence"),
    ("😭😭 bố đang đánh em 😭 help me!!!", "critical", "physical_violence"),
    ("Em bị bạn bè bắt nạt at school, they call me stupid 😢", "medium", "school_violence"),
    ("BỐ ĐANG ĐÁNH EM", "critical", "physical_violence"),
    ("Con bé bị ép uống thuốc trừ sâu\u200b", "critical", "physical_violence"),
    (unicodedata.normalize("NFD", "Bố đang đánh em"), "critical", "physical_violence"),
    ("Mẹ hoà với bố rồi, không còn cãi nhau", "medium", "other"),
    ("\x00\x01 <script>alert(1)</script> ???", "medium", "other"),
])
def test_mixed_scripts_html_emoji_and_case(text: str, level: str, category: str) -> None:
    result = triage(report(text, 10))
    assert (result.level, result.primary_category) == (level, category), result.reasons


def test_ruleset_is_json_serialisable_and_a_copy() -> None:
    doc = ruleset()
    assert doc["version"] == RULESET_VERSION
    assert len(doc["digest"]) == 64
    json.dumps(doc, ensure_ascii=False)
    doc["rules"].clear()
    assert ruleset()["rules"]


def test_every_category_code_is_known() -> None:
    for case in ("Bố đang đánh em", "Em muốn chết", "Bé bị bán sang Trung Quốc", ""):
        assert set(triage(report(case, 10)).categories) <= set(CATEGORIES)


@pytest.mark.parametrize(("text", "age", "rule"), [
    ("Cứu cháu với, dượng cháu lấy chổi quật cháu, cháu trốn trong nhà tắm", 9,
     "SN.violence_cry_for_help"),
    ("Bố hay cầm dao dọa giết em mỗi khi say", 13, "SN.weapon_threat_by_household"),
    ("Năm ngoái em bị xâm hại. Người đó là chú ruột em.", 12,
     "SN.sexual_abuse_family_in_text"),
    ("Con tôi đi học thêm, đến giờ vẫn chưa về, cô nói cháu đã về từ lâu", 9, "SN.missing_now"),
    ("Con gái 14 tuổi nhà hàng xóm có thai, nghi là do bố dượng", 14,
     "SN.pregnancy_cause_household"),
])
def test_safety_net_floors_are_critical_and_named(text: str, age: int, rule: str) -> None:
    result = triage(report(text, age))
    assert result.level == "critical" and rule in result.rule_ids, result.reasons


def test_safety_net_keeps_past_and_gone_perpetrators_below_critical() -> None:
    assert triage(report("Năm ngoái bố từng cầm dao dọa em, giờ bố đã cai rượu", 15)).level != (
        "critical")
    assert triage(report("Hai năm trước cháu bị anh họ xâm hại, anh ấy đã đi lính", 13)).level == (
        "high")
    assert triage(report("Em 15 tuổi có thai, nghi là do bố dượng, nhưng ông ấy đã bỏ đi", 15)
                  ).level == "high"


@pytest.mark.parametrize("text", [
    "Con sợ đến trường dù không có ai bắt nạt hay trêu chọc gì",
    "con so den truong du khong co ai bat nat hay treu choc gi",
])
def test_negation_reaches_along_a_list_of_signals(text: str) -> None:
    result = triage(report(text, 12))
    assert "school_violence" not in result.categories
    assert sum(r.startswith("R8.negation") for r in result.reasons) == 2


def test_a_list_word_does_not_carry_negation_into_the_next_clause() -> None:
    result = triage(report("Con không bị đánh, nhưng bị bạn trêu chọc suốt", 12))
    assert result.primary_category == "school_violence"
