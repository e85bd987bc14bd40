"""The precomputed index file (`app/geo/index.marshal`) against the installed packages' data,
and the scanner's shortcuts against the plain tokenizer."""

import marshal
import subprocess
import sys
from pathlib import Path

import pytest

from app.geo import build, index
from app.geo.mentions import find, scan
from app.geo.text import segment_tokens, tokenize

ROOT = Path(__file__).resolve().parents[2]


def test_index_file_is_current_with_the_installed_packages() -> None:
    """Fails when the packages' data (or the build) changed and the file was not rebuilt:
    run `python -m app.geo.build` and commit app/geo/index.marshal."""
    stored = build.comparable(index.read_file())
    assert stored is not None, "app/geo/index.marshal missing or unreadable"
    fresh = build.comparable(build.contents())
    assert fresh is not None
    assert stored["source_sha256"] == fresh["source_sha256"], "packages' data changed"
    assert stored["source_sizes"] == fresh["source_sizes"]
    assert stored["tables"] == fresh["tables"], "index.marshal is stale: python -m app.geo.build"


def test_loaded_index_equals_the_one_built_from_the_packages() -> None:
    loaded = index.get()
    built = index.from_tables(build.tables_from_packages())
    for field in index.Index._fields:
        if field != "old_wards":
            assert getattr(loaded, field) == getattr(built, field), field
    assert loaded.old_wards.all() == built.old_wards.all()


def test_missing_or_stale_file_falls_back_to_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index, "FILE", str(tmp_path / "absent.marshal"))
    assert index._stored_tables() is None
    (tmp_path / "bad.marshal").write_bytes(b"not marshal")
    monkeypatch.setattr(index, "FILE", str(tmp_path / "bad.marshal"))
    assert index._stored_tables() is None
    data = build.contents()
    data["source_sizes"] = [size + 1 for size in data["source_sizes"]]  # other data installed

    (tmp_path / "other.marshal").write_bytes(marshal.dumps(data))
    monkeypatch.setattr(index, "FILE", str(tmp_path / "other.marshal"))
    assert index._stored_tables() is None


def test_build_check_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.geo.build", "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "text",
    [
        "Xã Kim Ngân, tỉnh Quảng Trị",
        "XÃ THẠNH THỚI AN, CẦN THƠ",
        "İSTANBUL, ΟΔΟΣ.ABC, Σ, ǅ, ẞ, ﬁ, Ⅻ",
        "p12 - Q.3 - TP.HCM",
        "x" * 700 + ", Xã Kim Ngân",
        ", ".join(["Xã A B C D E F G H"] * 12),
    ],
)
def test_scan_matches_tokenize_and_find(text: str) -> None:
    ix = index.get()
    for head in (False, True):
        tokens = tokenize(text, head)
        assert scan(text, head) == (
            tokens,
            find(tokens, ix.names, ix.max_words),
        )


def test_lower_case_segments_give_the_same_tokens() -> None:
    """`scan` caches segments lower-cased (unless lower() grows a character or is "Σ")."""
    ranges = [range(0x20, 0x250), range(0x370, 0x530), range(0x1E00, 0x2000), range(0x2160, 0x2190)]
    for r in ranges:
        for cp in r:
            part = f"A{chr(cp)}b {chr(cp)} X{chr(cp)}"
            lower = part.lower()
            if len(lower) == len(part) and "Σ" not in part:
                assert segment_tokens(lower, 0) == segment_tokens(part, 0), hex(cp)


def test_words_split_without_the_regex_as_with_it() -> None:
    """`text._raw_words` splits plain text (alphanumerics, dots, spaces) itself: it gives
    what the word regex gives, for any text."""
    import random

    from app.geo import text

    rng = random.Random(7)
    alphabet = "ab xyz.Đđăâêôơư_-19 ,\t\u00a0\u2009\u0301²½ⅫＡ٣०\u200b\u3000ǅ" + "".join(
        chr(rng.randrange(32, 0x3000)) for _ in range(200)
    )
    samples = ["", " ", ".", "x. thạnh thới an", "tp.hcm", "p12", "a_b", "Xã\u00a0Kim Ngân"]
    samples += [
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(15))) for _ in range(20000)
    ]
    for sample in samples:
        assert text._raw_words(sample) == text._WORD.findall(sample), repr(sample)


def test_precomputed_words_and_names_are_what_text_works_out() -> None:
    from app.geo import text

    index.get()
    assert len(text._known_words) > 1000
    for word, pairs in text._known_words.items():
        assert pairs == text.word_pairs(word), word
    names = text._known_names
    assert len(names) > 1000
    for name, accents in names.items():
        assert accents == text.accent_words_of(name) == text.name_accents(name), name
