from __future__ import annotations

import pytest

from services import text
from services.text import BOUNDARIES, STOP_WORDS, content_tokens, normalize, stem, tokenize, words


def test_normalize_lowercases_and_applies_nfkc() -> None:
    # Fullwidth letters and the "ﬁ" ligature fold to plain ASCII under NFKC.
    assert normalize("ＤＯＣＳ are ﬁne") == "docs are fine"


def test_normalize_strips_zero_width_characters_and_unifies_quotes() -> None:
    assert normalize("doc\u200bs isn\u2019t\ufeff up\u200d to date") == "docs isn't up to date"


def test_tokenize_keeps_contractions_and_splits_identifiers() -> None:
    assert tokenize("The SDK isn't working: auth_token=abc!") == [
        "the",
        "sdk",
        "isn't",
        "working",
        "auth",
        "token",
        "abc",
    ]


def test_words_can_keep_clause_boundaries() -> None:
    toks = words(normalize("not slow. auth broken"), boundaries=True)
    assert toks == ["not", "slow", ".", "auth", "broken"]
    assert "." in BOUNDARIES and "but" in BOUNDARIES


@pytest.mark.parametrize(
    ("forms", "expected"),
    [
        (["crash", "crashes", "crashed", "crashing"], "crash"),
        (["document", "documents", "documented", "documentation"], "document"),
        (["integrate", "integrated", "integrating", "integration", "integrations"], "integr"),
        (["authenticate", "authenticated", "authentication"], "authentic"),
        (["slow", "slower", "slowly", "slowness"], "slow"),
        (["retry", "retries", "retried"], "retri"),
        (["time", "times", "timed", "timing"], "tim"),
        (["stop", "stopped", "stopping"], "stop"),
        (["install", "installed", "installing", "installation"], "install"),
        (["embed", "embedding", "embeddings"], "embed"),
    ],
)
def test_stem_collapses_word_forms(forms: list[str], expected: str) -> None:
    assert {stem(f) for f in forms} == {expected}


def test_docs_and_documentation_meet_after_synonyms() -> None:
    # The stemmer keeps "doc" and "document" apart, content_tokens unifies them so that
    # duplicate search and the learned model see one term.
    assert stem("docs") == "doc"
    assert content_tokens("docs") == content_tokens("documentation") == ["document"]


@pytest.mark.parametrize("token", ["v2", "oauth2", "e1234", "401", "api", "sdk", "ai", "cli"])
def test_stem_leaves_short_and_alphanumeric_tokens_alone(token: str) -> None:
    assert stem(token) == token


def test_stem_handles_irregular_plurals_and_possessives() -> None:
    assert stem("apis") == "api"
    assert stem("sdks") == "sdk"
    assert stem("sdk's") == "sdk"
    assert stem("status") == "status"


def test_stem_is_memoised() -> None:
    stem("hallucinating")
    assert text._STEM_CACHE["hallucinating"] == "hallucin"


def test_stop_words_cover_function_words_not_domain_words() -> None:
    assert {"the", "and", "is", "isn't", "please"} <= STOP_WORDS
    assert not {"api", "sdk", "auth", "docs", "slow", "error"} & STOP_WORDS


def test_content_tokens_drop_stop_words_and_join_compounds() -> None:
    assert content_tokens("The upload timed out and I couldn't sign in") == [
        "upload",
        "timeout",
        "login",
    ]


def test_content_tokens_match_across_word_forms() -> None:
    a = content_tokens("SDK times out when uploading big files")
    b = content_tokens("upload times out in the python sdk for large files")
    assert {"sdk", "timeout", "upload", "larg", "fil"} <= set(a) & set(b)


def test_content_tokens_of_empty_text() -> None:
    assert content_tokens("") == []
    assert content_tokens("  ... !!! ") == []
