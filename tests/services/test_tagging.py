from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.errors import InvalidInput
from services.tagging.tagger import (
    MAX_CHARS,
    Fields,
    Tagger,
    TagResult,
    combine,
    tag_lines,
)
from services.tagging.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parents[2]
DEV_SET = REPO / "tests" / "data" / "feedback_dev.jsonl"
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

# Measured on the dev set when these floors were set: micro-F1 0.896, macro-F1 0.908.
# A held-out set of 40 messages written separately scored micro 0.85 / macro 0.85, so the
# dev figures are optimistic: the taxonomy weights were tuned looking at dev-set errors.
MICRO_F1_FLOOR = 0.86
MACRO_F1_FLOOR = 0.87


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    """The rules alone: these tests pin down what each rule does. The learned model that
    reads the rules' evidence is tested in test_tagger_model.py."""
    return Tagger(load_taxonomy(), model=None)


def tags_of(tagger: Tagger, text: str) -> list[str]:
    return tagger.tag(text).tags


# --------------------------------------------------------------------------- result shape


def test_result_shape(tagger: Tagger) -> None:
    result = tagger.tag("The python SDK crashes and the docs don't mention it")
    assert isinstance(result, TagResult)
    assert isinstance(result.fields, Fields)
    assert result.tags == [t for t in result.scores if t in result.tags]
    assert all(0 < s <= 1 and round(s, 3) == s for s in result.scores.values())
    assert list(result.scores.values()) == sorted(result.scores.values(), reverse=True)
    assert all(result.scores[t] >= tagger.threshold for t in result.tags)
    assert all(s < tagger.threshold for t, s in result.scores.items() if t not in result.tags)
    assert {"errors", "api-sdk", "docs"} <= set(result.tags)


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "👍", "ok"])
def test_empty_or_contentless_text(tagger: Tagger, text: str) -> None:
    assert tagger.tag(text).tags == []


def test_very_long_input_is_truncated_not_fatal(tagger: Tagger) -> None:
    result = tagger.tag("the docs are slow " * (MAX_CHARS // 4))
    assert {"docs", "performance"} <= set(result.tags)


def test_to_dict_is_json_serialisable(tagger: Tagger) -> None:
    payload = tagger.tag("Got HTTP 401 from the v2.3.1 python sdk").to_dict()
    assert json.loads(json.dumps(payload)) == payload
    assert set(payload) == {"tags", "scores", "fields"}


# --------------------------------------------------------------------------- message shapes


def test_fenced_code_block_points_to_errors(tagger: Tagger) -> None:
    text = "Running this:\n```\nclient.sync(project)\n```\nany idea?"
    assert "errors" in tags_of(tagger, text)


def test_python_traceback_points_to_errors(tagger: Tagger) -> None:
    text = (
        "```\nTraceback (most recent call last):\n"
        '  File "sync.py", line 42, in <module>\n    run()\n'
        "KeyError: 'id'\n```"
    )
    result = tagger.tag(text)
    assert result.tags[0] == "errors"
    assert result.fields.language == "python"


def test_javascript_stack_frame_points_to_errors(tagger: Tagger) -> None:
    text = "    at Object.list (/app/node_modules/@acme/sdk/dist/charges.js:88:21)"
    assert "errors" in tags_of(tagger, text)


def test_exception_line_points_to_errors(tagger: Tagger) -> None:
    assert "errors" in tags_of(tagger, "java.lang.IllegalStateException: closed")
    assert "errors" in tags_of(tagger, "TypeError: x is not a function")


@pytest.mark.parametrize(
    "text",
    [
        "see https://docs.acme.dev/orders",
        "https://acme.dev/reference/orders",
        "the page at https://acme.dev/guides/webhooks-101",
        "www.acme.dev/docs/quickstart",
    ],
)
def test_docs_links_point_to_docs(tagger: Tagger, text: str) -> None:
    assert "docs" in tags_of(tagger, text)


def test_plain_links_are_not_docs(tagger: Tagger) -> None:
    assert "docs" not in tags_of(tagger, "status: https://status.acme.dev/incidents/42")


@pytest.mark.parametrize(
    "text",
    [
        "it would be great if exports had a date filter",
        "Would love a date filter on exports",
        "please add a date filter to exports",
        "can you add a date filter to exports?",
        "feature request: date filter on exports",
        "I wish exports had a date filter",
        "it'd be nice to filter exports by date",
        "Any plans to support filtering exports by date?",
    ],
)
def test_request_phrasings_point_to_feature_request(tagger: Tagger, text: str) -> None:
    assert "feature-request" in tags_of(tagger, text)


# --------------------------------------------------------------------------- negation


@pytest.mark.parametrize(
    ("negated", "plain", "tag"),
    [
        ("the API is not slow", "the API is slow", "performance"),
        ("no problems with auth", "problems with auth", "auth"),
        ("honestly it isn't confusing", "honestly it's confusing", "onboarding"),
        ("never had a crash", "we had a crash", "errors"),
    ],
)
def test_negator_before_a_phrase_cancels_it(
    tagger: Tagger, negated: str, plain: str, tag: str
) -> None:
    assert tag in tagger.tag(plain).scores
    assert tag not in tagger.tag(negated).scores


def test_negation_stops_at_clause_boundaries(tagger: Tagger) -> None:
    assert "performance" in tags_of(tagger, "not bad. but exports are slow")
    assert "performance" in tags_of(tagger, "no crashes, but it's slow")


def test_negation_window_is_limited(tagger: Tagger) -> None:
    # "not" is five words before "slow": too far to be about it.
    assert "performance" in tags_of(tagger, "I'm not sure why but the dashboard is slow")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("the retry header is not documented", "docs"),
        ("there are no docs for webhooks", "docs"),
        ("the sdk is not working since 2.0", "errors"),
        ("I can't log in", "auth"),
        ("webhook not firing", "errors"),
        ("never got the verification email after I signed up", "onboarding"),
    ],
)
def test_negations_that_report_a_problem_still_count(tagger: Tagger, text: str, tag: str) -> None:
    assert tag in tags_of(tagger, text)


@pytest.mark.parametrize(
    ("text", "absent", "present"),
    [
        ("Pricing is fine, the docs are outdated", "pricing", "docs"),
        ("auth works, but the export endpoint returns a 502", "auth", "errors"),
        ("Performance isn't the problem, the SDK crashes", "performance", "errors"),
    ],
)
def test_phrase_ruled_out_by_a_verdict_does_not_count(
    tagger: Tagger, text: str, absent: str, present: str
) -> None:
    tags = tags_of(tagger, text)
    assert absent not in tags
    assert present in tags


# --------------------------------------------------------------------------- word forms


@pytest.mark.parametrize(
    ("texts", "tag"),
    [
        (["the app crashes", "the app crashed", "the app keeps crashing"], "errors"),
        (["see the documentation", "this is documented nowhere", "docs"], "docs"),
        (["authenticating fails", "authentication is broken", "auth"], "auth"),
        (["integrations", "we integrated it", "the integration"], "integrations"),
        (["pricing", "the price", "prices went up"], "pricing"),
        (["hallucinates", "the model hallucinated", "hallucinations"], "ai"),
    ],
)
def test_word_forms_match(tagger: Tagger, texts: list[str], tag: str) -> None:
    for text in texts:
        assert tag in tags_of(tagger, text), text


def test_words_in_code_count_less_than_prose(tagger: Tagger) -> None:
    prose = tagger.tag("docs").scores["docs"]
    inline = tagger.tag("the `docs` variable").scores.get("docs", 0.0)
    assert 0 < inline < prose


def test_unbalanced_backtick_does_not_turn_prose_into_code(tagger: Tagger) -> None:
    assert tagger.tag("it's ` really slow").scores == tagger.tag("it's really slow").scores


# --------------------------------------------------------------------------- fields


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("the python client hangs", "python"),
        ("using TypeScript on node 20", "typescript"),
        ("our nodejs service", "javascript"),
        ("written in go, we call the API from a worker", "go"),
        ("let's go with the default", None),
        ("in C# the types are wrong", "c#"),
        ("```rust\nlet x = 1;\n```", "rust"),
        ("at handler (/srv/app/index.js:10:5)", "javascript"),
        ("the kotlin sdk", "kotlin"),
        ("no language here", None),
    ],
)
def test_language_field(tagger: Tagger, text: str, language: str | None) -> None:
    assert tagger.tag(text).fields.language == language


@pytest.mark.parametrize(
    ("text", "sdk"),
    [
        ("the Python SDK times out", "python-sdk"),
        ("node sdk 3.2 broke", "node-sdk"),
        ("installed acme-sdk yesterday", "acme-sdk"),
        ("npm i @acme/sdk and it fails", "@acme/sdk"),
        ("we use @acme/node-client", "@acme/node-client"),
        ("pip install acme-python fails on windows", "acme-python"),
        ("email bob@acme.com/help", None),
        ("the sdk is fine", None),
    ],
)
def test_sdk_field(tagger: Tagger, text: str, sdk: str | None) -> None:
    assert tagger.tag(text).fields.sdk == sdk


@pytest.mark.parametrize(
    ("text", "versions"),
    [
        ("upgraded from v2.3.1 to 1.4", ["v2.3.1", "1.4"]),
        ("python 3.11 and node 18.2.0-beta.1", ["3.11", "18.2.0-beta.1"]),
        ("the v2 endpoint", ["v2"]),
        ("it takes 2.5 seconds", []),
        ("costs $1.40 per call", []),
        ("from 10.0.0.1 only", []),
        ("a 1.5x slowdown", []),
    ],
)
def test_versions_field(tagger: Tagger, text: str, versions: list[str]) -> None:
    assert tagger.tag(text).fields.versions == versions


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("got a 401 Unauthorized", ["HTTP 401"]),
        ("429 Too Many Requests then HTTP 500", ["HTTP 429", "HTTP 500"]),
        ("status code: 503", ["HTTP 503"]),
        ("the reference page 404s", ["HTTP 404"]),
        ("error E1234 on save", ["E1234"]),
        ("connect ECONNREFUSED 127.0.0.1:8787", ["ECONNREFUSED"]),
        ("fails with ERR_REQUIRE_ESM", ["ERR_REQUIRE_ESM"]),
        ("grpc says deadline_exceeded", ["DEADLINE_EXCEEDED"]),
        ("we have 500 users", []),
        ("timeout after 500ms", []),
        ("costs $400 a month", []),
    ],
)
def test_error_codes_field(tagger: Tagger, text: str, codes: list[str]) -> None:
    assert tagger.tag(text).fields.error_codes == codes


def test_fields_of_a_realistic_report(tagger: Tagger) -> None:
    text = (
        "After upgrading the node sdk to v5.0.1 every call fails with HTTP 401 "
        "and the logs show ERR_INVALID_TOKEN"
    )
    fields = tagger.tag(text).fields
    assert fields == Fields(
        language="javascript",
        sdk="node-sdk",
        versions=["v5.0.1"],
        error_codes=["HTTP 401", "ERR_INVALID_TOKEN"],
    )


# --------------------------------------------------------------------------- custom tags


def test_custom_tag_is_added() -> None:
    tagger = Tagger(load_taxonomy(), {"billing-portal": ["billing portal", "customer portal"]})
    assert "billing-portal" in tagger.tag_names
    result = tagger.tag("The billing portals won't load")
    assert "billing-portal" in result.tags
    assert "billing-portal" not in tagger.tag("the docs are fine").scores


@pytest.mark.parametrize("model", ["default", None])
def test_custom_keywords_extend_a_builtin_tag(model) -> None:
    base = Tagger(load_taxonomy(), model=model)
    extended = Tagger(load_taxonomy(), {"integrations": ["Frobnicator"]}, model=model)
    text = "the frobnicator is purple today"
    assert "integrations" not in base.tag(text).tags
    assert "integrations" in extended.tag(text).tags
    assert extended.tag_names == base.tag_names


def test_custom_keywords_respect_negation() -> None:
    tagger = Tagger(load_taxonomy(), {"launch": ["launch week"]})
    assert "launch" in tagger.tag("launch week broke us").tags
    assert "launch" not in tagger.tag("no launch week problems").scores


@pytest.mark.parametrize(
    ("custom", "message"),
    [
        ({"Bad Name!": ["x"]}, "not allowed"),
        ({"ok-name": []}, "at least one keyword"),
        ({"ok-name": ["   "]}, "empty keyword"),
        ({"ok-name": ["!!!"]}, "no letters or digits"),
        ({"ok-name": ["x" * 65]}, "too long"),
        ({f"tag-{i}": ["x"] for i in range(51)}, "at most"),
    ],
)
def test_bad_custom_tags_raise_invalid_input(custom: dict[str, list[str]], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Tagger(load_taxonomy(), custom)


def test_custom_keyword_given_as_bare_string() -> None:
    tagger = Tagger(load_taxonomy(), {"sso-setup": "okta scim"})  # type: ignore[dict-item]
    assert "sso-setup" in tagger.tag("okta scim provisioning fails").tags


# --------------------------------------------------------------------------- blending


def test_combine_blends_only_tags_the_model_knows() -> None:
    out = combine({"docs": 0.8, "errors": 0.6}, {"docs": 0.0, "auth": 0.9}, 0.5)
    assert out == {"errors": 0.6, "auth": 0.45, "docs": 0.4}
    assert list(out) == ["errors", "auth", "docs"]


@pytest.mark.parametrize("weight", [-0.1, 1.1, float("nan")])
def test_combine_rejects_bad_weight(weight: float) -> None:
    with pytest.raises(ValueError):
        combine({"docs": 0.8}, {"docs": 0.1}, weight)


def test_tag_with_model_can_remove_and_add_tags(tagger: Tagger) -> None:
    text = "the stripe webhook retries are slow"
    assert "performance" in tagger.tag(text).tags
    blended = tagger.tag_with_model(text, {"performance": 0.02, "pricing": 0.95}, 0.6)
    assert "performance" not in blended.tags
    assert "pricing" in blended.tags
    assert blended.fields == tagger.tag(text).fields


def test_tag_with_model_without_model_is_plain_tag(tagger: Tagger) -> None:
    text = "the docs are outdated"
    assert tagger.tag_with_model(text, {}, 0.5) == tagger.tag(text)


# --------------------------------------------------------------------------- CLI helper


def test_tag_lines_yields_one_dict_per_message(tagger: Tagger) -> None:
    lines = ["the docs are outdated\n", "\n", "   \n", "SDK crashes on start\r\n"]
    out = list(tag_lines(lines, tagger))
    assert [row["text"] for row in out] == ["the docs are outdated", "SDK crashes on start"]
    assert out[0]["tags"] == ["docs"]
    assert "errors" in out[1]["tags"]
    assert all(set(row) == {"text", "tags", "scores"} for row in out)


def test_tag_lines_is_lazy(tagger: Tagger) -> None:
    def endless() -> Iterator[str]:
        while True:
            yield "slow"

    first = next(iter(tag_lines(endless(), tagger)))
    assert first["tags"] == ["performance"]


# --------------------------------------------------------------------------- dev set F1


def load_dev_set() -> list[dict[str, object]]:
    with DEV_SET.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_dev_set_is_well_formed() -> None:
    rows = load_dev_set()
    assert len(rows) >= 160
    texts = [row["text"] for row in rows]
    assert len(set(texts)) == len(texts), "duplicate messages in the dev set"
    for row in rows:
        assert set(row) == {"text", "tags"}
        assert isinstance(row["text"], str) and row["text"].strip()
        assert isinstance(row["tags"], list)
        assert set(row["tags"]) <= EXPECTED_TAGS, row
    used = {t for row in rows for t in row["tags"]}  # type: ignore[attr-defined]
    assert used == EXPECTED_TAGS
    assert sum(1 for row in rows if not row["tags"]) >= 10


def test_dev_set_f1(tagger: Tagger) -> None:
    rows = load_dev_set()
    tp = dict.fromkeys(EXPECTED_TAGS, 0)
    fp = dict.fromkeys(EXPECTED_TAGS, 0)
    fn = dict.fromkeys(EXPECTED_TAGS, 0)
    for row in rows:
        gold = set(row["tags"])  # type: ignore[arg-type]
        pred = set(tagger.tag(row["text"]).tags)  # type: ignore[arg-type]
        for tag in EXPECTED_TAGS:
            if tag in gold and tag in pred:
                tp[tag] += 1
            elif tag in pred:
                fp[tag] += 1
            elif tag in gold:
                fn[tag] += 1

    def f1(t: int, p: int, n: int) -> float:
        return 2 * t / (2 * t + p + n) if t + p + n else 1.0

    micro = f1(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    per_tag = {tag: round(f1(tp[tag], fp[tag], fn[tag]), 3) for tag in sorted(EXPECTED_TAGS)}
    macro = sum(per_tag.values()) / len(per_tag)
    summary = f"micro-F1={micro:.3f} macro-F1={macro:.3f} per tag={per_tag}"
    print(summary)
    assert micro >= MICRO_F1_FLOOR, summary
    assert macro >= MACRO_F1_FLOOR, summary
