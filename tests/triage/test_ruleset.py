"""The rule files: every rule of DOMAIN.md has a rule id, and a broken file is refused."""

import re
import shutil
from pathlib import Path

import pytest

from app.triage.ruleset import RULES_DIR, active, load

DOMAIN_MD = Path(__file__).resolve().parents[2].parent / "shared/DOMAIN.md"

# Every step and bullet of "Deciding the level" and every primary-category convention.
REQUIRED_IDS = [
    "R1.non_routed_contact", "R2.operator_override",
    "R3.violence_now", "R3.weapon_threat_now", "R3.confined_now", "R3.abduction_in_progress",
    "R3.serious_harm_recent", "R3.sexual_abuse_recent", "R3.sexual_abuse_by_household",
    "R3.serious_harm_by_caregiver", "R3.suicide_plan", "R3.suicide_attempt",
    "R3.missing_child", "R3.trafficking_in_progress", "R3.young_child_without_care_now",
    "R3.indicator_immediate_danger", "R3.indicator_serious_injury", "R3.indicator_suicide_risk",
    "R4.sexual_abuse_past", "R4.serious_harm_no_access", "R4.visible_injury", "R4.group_assault",
    "R4.suicidal_thoughts", "R4.trafficking_suspected", "R4.child_marriage_brokering",
    "R4.hazardous_labour", "R4.organised_begging", "R4.sextortion", "R4.intimate_images",
    "R4.pregnancy_under_16",
    "R5.physical_violence", "R5.chronic_neglect", "R5.emotional_abuse", "R5.controlling_partner",
    "R5.bullying", "R5.child_labour", "R5.dropping_out", "R5.online_grooming", "R5.distress",
    "R5.family_conflict", "R5.pregnancy_16_17", "R5.no_signal",
    "R6.special_circumstances", "R6.legal_question", "R6.minor_accident", "R6.school_discipline",
    "R6.child_in_conflict_with_law", "R7.young_child_bump", "R8.negation",
    "C.primary_is_level_setter", "C.tie_order", "C.feelings_belong_to_event",
    "C.student_violence_offline_is_school_violence", "C.online_bullying_is_online_harm",
    "C.adult_bullying_is_emotional_violence", "C.sextortion_is_online_harm",
    "C.intimate_images_are_sexual_exploitation", "C.tying_or_confining_is_physical_violence",
    "C.young_child_locked_alone_is_neglect", "C.forced_poisoning_is_physical_violence",
    "C.medicine_overdose_is_suicide_attempt", "C.child_marriage_brokering_is_trafficking",
    "C.school_discipline_and_dropout_are_education",
]


def _norm(text: str) -> str:
    """Compare DOMAIN.md's words with the rules' `domain` texts: no markdown, no examples."""
    text = re.sub(r"\([^()]*\)", "", text.replace("**", "").replace("`", ""))
    return " ".join(text.split()).replace(" ,", ",").strip(" .;:,").lower()


def _clauses(md: str) -> list[str]:
    """Each numbered step of "Deciding the level", split into its clauses, and each clause of
    "Primary category" (its first paragraph and its bullets)."""
    level = md.split("### Deciding the level", 1)[1].split("Missing an emergency", 1)[0]
    out: list[str] = []
    for item in re.split(r"\n(?=\d\. )", level.split("\n", 1)[1]):
        body = _norm(re.sub(r"^\d\. ", "", item.strip()).replace(" Stop.", ""))
        if ":" in body and re.match(r"^(critical|high|medium|low)\b", body):
            body = body.split(":", 1)[1]
            parts = [p for b in body.split(" - ") for p in b.split(";")]
            last = parts.pop().split(". ", 1)
            parts += last
            out += [_norm(p) for p in parts if _norm(p)]
        elif body:
            out.append(body)
    primary = md.split("### Primary category", 1)[1].split("## Contact types", 1)[0]
    paragraph, _, bullets = primary.partition("These conventions come before the tie order:")
    out += [_norm(p.split(". ", 1)[0]) for p in paragraph.split(";")[:2]]
    out += [_norm(p) for b in bullets.split("\n- ") for p in b.split(";") if _norm(p)]
    return out


def _domain_texts() -> set[str]:
    rs = active()
    return {_norm(r.domain) for r in rs.rules} | {_norm(c.domain) for c in rs.conventions}


def test_every_required_rule_id_exists_with_its_domain_text() -> None:
    rs = active()
    known = {r.id: r.domain for r in rs.rules} | {c.id: c.domain for c in rs.conventions}
    missing = [rid for rid in REQUIRED_IDS if rid not in known]
    assert not missing
    assert all(known[rid] for rid in REQUIRED_IDS)


@pytest.mark.skipif(not DOMAIN_MD.exists(), reason="shared/DOMAIN.md is not beside the project")
def test_every_domain_clause_maps_to_a_rule_id() -> None:
    clauses = _clauses(DOMAIN_MD.read_text(encoding="utf-8"))
    assert len(clauses) >= 40
    texts = _domain_texts()
    uncovered = [c for c in clauses if not any(c in t for t in texts)]
    assert not uncovered


def test_every_signal_fires_some_rule_and_ids_are_unique() -> None:
    rs = active()
    ids = [r.id for r in rs.rules] + [c.id for c in rs.conventions]
    assert len(ids) == len(set(ids))
    assert rs.version and rs.lexicon.phrase_count > 1000


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def test_a_rule_naming_an_unknown_signal_is_refused(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "ruleset.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "signals: [violence, group_assault, weapon, threat_kill], time: now",
        "signals: [violense], time: now"), encoding="utf-8")
    with pytest.raises(ValueError, match="violense"):
        load(rules)


def test_a_bad_level_or_time_is_refused(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "ruleset.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("time: now,", "time: soon,", 1), encoding="utf-8")
    with pytest.raises(ValueError, match="bad time"):
        load(rules)


def test_a_copy_of_the_rules_loads_to_the_same_digest(tmp_path: Path) -> None:
    assert load(_copy_rules(tmp_path)).digest == active().digest


def test_relations_come_from_the_lexicon_files_folded() -> None:
    rel = active().lexicon.relations
    assert {"em", "no", "cua", "de", "ay", "do"} <= rel.not_a_person  # "nó", "của", "đẻ", "ấy"
    assert rel.person("ba") == rel.person("cha") == rel.person("tia") == "bo"
    assert rel.person("ma") == "me"
    assert rel.person("em") is None
    assert rel.person("duong") == "duong"


def test_an_unquoted_yaml_boolean_in_relations_is_refused(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "lexicon" / "_common.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("not_a_person: [em,", "not_a_person: [no, em,"), encoding="utf-8")
    with pytest.raises(ValueError, match="not a word"):
        load(rules)


def test_a_negator_scoped_to_an_unknown_group_is_refused(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "lexicon" / "markers.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("negates: [accident, accident_marker]", "negates: [acident]"),
                    encoding="utf-8")
    with pytest.raises(ValueError, match="acident"):
        load(rules)


def test_a_phrase_listed_twice_in_a_group_is_refused(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "lexicon" / "markers.yaml"
    text = path.read_text(encoding="utf-8")
    load(rules)  # the copy loads: what follows is refused for the phrase listed twice
    repeated = '  a_repeated_marker:\n    en: ["left alone", "home alone", "left alone"]\n'
    path.write_text(text + repeated, encoding="utf-8")
    with pytest.raises(ValueError, match="'left alone' twice in 'en'"):
        load(rules)


def test_a_key_given_twice_in_a_group_is_refused(tmp_path: Path) -> None:
    # YAML keeps the last of two equal keys: a second `vi_only:` would drop the first list
    rules = _copy_rules(tmp_path)
    path = rules / "lexicon" / "violence.yaml"
    text = path.read_text(encoding="utf-8")
    head = "  serious_harm:\n    category: injury_accident"
    assert text.count(head) == 1
    path.write_text(text.replace(head, head + '\n    vi_only: ["gãy"]'), encoding="utf-8")
    with pytest.raises(ValueError, match="key 'vi_only' given twice"):
        load(rules)


def test_rules_of_one_list_may_repeat_their_keys() -> None:
    # every rule has `step`, `level`, `when`: keys of separate list items are no repeat
    rules = {r.id: r for r in active().rules}
    assert rules["R3.violence_now"].step == rules["R3.weapon_threat_now"].step == 3


@pytest.mark.parametrize(("file", "line", "typo", "message"), [
    ("markers.yaml", "    reach: sentence\n", "    reach: sentense\n", "bad reach 'sentense'"),
    ("markers.yaml", "    until: [xong, ", "    until: [sau đó, xong, ", "bad until"),
    ("mental_health.yaml", "    shadows: false", "    shadows: true", "bad shadows"),
])
def test_a_bad_group_attribute_is_refused(
    tmp_path: Path, file: str, line: str, typo: str, message: str
) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "lexicon" / file
    text = path.read_text(encoding="utf-8")
    assert text.count(line) == 1
    path.write_text(text.replace(line, typo), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load(rules)
