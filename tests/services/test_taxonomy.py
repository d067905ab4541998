from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from services.tagging.tagger import Tagger
from services.tagging.taxonomy import DEFAULT_TAXONOMY_PATH, load_taxonomy

REPO = Path(__file__).resolve().parents[2]
EXPECTED_TAGS = {
    "docs",
    "onboarding",
    "api-sdk",
    "errors",
    "performance",
    "auth",
    "pricing",
    "integrations",
    "tooling",
    "ai",
    "feature-request",
}


def test_default_taxonomy_has_exactly_the_eleven_tags() -> None:
    taxonomy = load_taxonomy()
    assert set(taxonomy.names) == EXPECTED_TAGS
    assert len(taxonomy.names) == 11


def test_every_tag_has_description_phrases_and_patterns() -> None:
    for spec in load_taxonomy().tags:
        assert spec.description.strip(), spec.name
        assert spec.phrases, spec.name
        assert spec.patterns, spec.name
        assert all(isinstance(w, float) for _, w in spec.phrases)
        assert all(p.regex and p.prefilter for p in spec.patterns), spec.name


def test_default_path_is_the_repo_config_file() -> None:
    assert DEFAULT_TAXONOMY_PATH == REPO / "config" / "pain_points.toml"
    assert load_taxonomy() == load_taxonomy(DEFAULT_TAXONOMY_PATH)
    assert 0 < load_taxonomy().threshold < 1


def test_taxonomy_is_frozen() -> None:
    taxonomy = load_taxonomy()
    with pytest.raises(AttributeError):
        taxonomy.threshold = 0.9  # type: ignore[misc]


PATTERNS_LINE = """patterns = [{ regex = 'docs\\.', weight = 1.0, prefilter = ["docs."] }]"""
MINIMAL = """
[scoring]
threshold = 0.5

[tags.docs]
description = "Docs."
patterns = [{ regex = 'docs\\.', weight = 1.0, prefilter = ["docs."] }]

[tags.docs.phrases]
"docs" = 1.0
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "taxonomy.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_minimal_taxonomy_loads(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(write(tmp_path, MINIMAL))
    assert taxonomy.names == ("docs",)
    assert Tagger(taxonomy).tag("the docs are wrong").tags == ["docs"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('description = "Docs."\n', "", "missing 'description'"),
        ('"docs" = 1.0', '"docs" = "heavy"', "must be a number"),
        ('"docs" = 1.0', '"docs" = 1.0\n"doc" = 0.5', "matches the same words"),
        ('"docs" = 1.0', '"docs" = 0', "weight 0"),
        ("regex = 'docs\\.'", "regex = 'docs('", "invalid regex"),
        ("weight = 1.0, prefilter", "weight = 1.0, colour = 1, prefilter", "unknown key"),
        ("threshold = 0.5", "threshold = 1.5", "threshold"),
        ("[tags.docs]", "[tags.Docs]", "tag names"),
        (PATTERNS_LINE, "", "missing 'patterns'"),
        ("[scoring]", "[scoring]\nnegation_window = -1", "negation_window"),
    ],
)
def test_malformed_taxonomy_names_the_problem(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in MINIMAL
    with pytest.raises(ValueError, match=message):
        load_taxonomy(write(tmp_path, MINIMAL.replace(old, new)))


def test_invalid_toml_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not valid TOML"):
        load_taxonomy(write(tmp_path, "[tags.docs\n"))


def test_taxonomy_without_tags_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        load_taxonomy(write(tmp_path, "[scoring]\nthreshold = 0.5\n"))


def test_default_file_parses_as_plain_toml() -> None:
    data = tomllib.loads(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8"))
    assert set(data["tags"]) == EXPECTED_TAGS
