"""The domain's fixed vocabularies (DOMAIN.md, API-CONTRACT.md), shared by schemas and
pure modules."""

from typing import Final, Literal

Level = Literal["none", "low", "medium", "high", "critical"]
# Lowest first: LEVELS.index(a) < LEVELS.index(b) means a is less urgent than b.
LEVELS: Final[tuple[Level, ...]] = ("none", "low", "medium", "high", "critical")

ContactType = Literal[
    "report", "follow_up", "counselling", "information", "silent", "hang_up", "prank",
    "wrong_number", "thanks",
]
CONTACT_TYPES: Final[tuple[str, ...]] = (
    "report", "follow_up", "counselling", "information", "silent", "hang_up", "prank",
    "wrong_number", "thanks",
)
ROUTED_CONTACT_TYPES: Final[frozenset[str]] = frozenset({"report", "follow_up"})

Channel = Literal["call", "app", "zalo", "web", "other"]

Category = Literal[
    "physical_violence", "emotional_violence", "school_violence", "sexual_abuse",
    "sexual_exploitation", "labour_exploitation", "trafficking", "neglect", "online_harm",
    "mental_health", "injury_accident", "missing", "special_circumstances", "legal",
    "child_in_conflict_with_law", "family", "peer", "education", "reproductive_health", "other",
]
# The table's order in DOMAIN.md.
CATEGORIES: Final[tuple[str, ...]] = (
    "physical_violence", "emotional_violence", "school_violence", "sexual_abuse",
    "sexual_exploitation", "labour_exploitation", "trafficking", "neglect", "online_harm",
    "mental_health", "injury_accident", "missing", "special_circumstances", "legal",
    "child_in_conflict_with_law", "family", "peer", "education", "reproductive_health", "other",
)
# Tie order for the primary category (DOMAIN.md "Primary category"), then the table's order.
_TIE_HEAD: Final[tuple[str, ...]] = (
    "trafficking", "sexual_abuse", "sexual_exploitation", "physical_violence", "neglect",
    "missing", "mental_health", "injury_accident", "labour_exploitation", "online_harm",
    "school_violence", "emotional_violence",
)
CATEGORY_TIE_ORDER: Final[tuple[str, ...]] = (
    *_TIE_HEAD, *(c for c in CATEGORIES if c not in _TIE_HEAD)
)
# Categories whose presence (any position) brings in the police.
POLICE_CATEGORIES: Final[frozenset[str]] = frozenset(
    {"sexual_abuse", "sexual_exploitation", "trafficking"}
)

Sex = Literal["female", "male", "unknown"]

Resolution = Literal["exact", "legacy_converted", "coordinates", "province_only", "unresolved"]
