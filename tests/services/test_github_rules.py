"""The GitHub state mapping and the URL and repository parsing, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.errors import InvalidInput
from services.github.client import Issue, Release
from services.github.rules import (
    Facts,
    decide,
    first_release_after,
    parse_issue_url,
    parse_repo,
)

API = "https://api.github.com"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def issue(state="open", reason=None, *, assigned=False, pull=False, merged=False) -> Issue:
    return Issue(
        "acme",
        "sdk",
        7,
        "Bug",
        "https://github.com/acme/sdk/issues/7",
        state,
        reason,
        assigned,
        pull,
        merged,
        T0 if state == "closed" else None,
    )


@pytest.mark.parametrize(
    ("facts", "item", "ship_on", "previous", "status", "phase"),
    [
        (Facts(issue("closed", "completed")), "new", "close", None, "shipped", "done"),
        (Facts(issue("closed", None)), "planned", "close", None, "shipped", "done"),
        (
            Facts(issue("closed", "completed")),
            "new",
            "release",
            None,
            "in-progress",
            "waiting-release",
        ),
        (
            Facts(issue("closed", "completed")),
            "in-progress",
            "release",
            None,
            None,
            "waiting-release",
        ),
        (Facts(issue("closed", "not_planned")), "planned", "close", None, "declined", "done"),
        (Facts(issue("open", "reopened")), "shipped", "close", None, "in-progress", "following"),
        (
            Facts(issue("open")),
            "declined",
            "close",
            "closed|not_planned||||x|",
            "in-progress",
            "following",
        ),
        (
            Facts(issue("open", assigned=True)),
            "acknowledged",
            "close",
            None,
            "in-progress",
            "following",
        ),
        (Facts(issue("open"), linked_pull=True), "new", "close", None, "in-progress", "following"),
        # Work on GitHub doesn't pull back an item that is further along.
        (Facts(issue("open", assigned=True)), "shipped", "close", None, None, "following"),
        (Facts(issue("open")), "new", "close", None, None, "following"),
        (Facts(issue("closed", pull=True, merged=True)), "new", "close", None, "shipped", "done"),
        (Facts(issue("closed", pull=True)), "in-progress", "close", None, None, "following"),
    ],
)
def test_mapping(facts, item, ship_on, previous, status, phase) -> None:
    decision = decide(facts, item, ship_on, previous)
    assert (decision.status, decision.phase) == (status, phase)


def test_fingerprint_changes_with_what_matters() -> None:
    base = Facts(issue("open")).fingerprint()
    assert Facts(issue("open")).fingerprint() == base
    assert Facts(issue("open", assigned=True)).fingerprint() != base
    assert Facts(issue("closed", "completed")).fingerprint() != base


def test_first_release_after_the_close() -> None:
    before = Release("v1", "https://x/v1", datetime(2026, 2, 1, tzinfo=UTC))
    first = Release("v2", "https://x/v2", datetime(2026, 3, 2, tzinfo=UTC))
    later = Release("v3", "https://x/v3", datetime(2026, 3, 9, tzinfo=UTC))
    assert first_release_after([later, first, before], T0) == first
    assert first_release_after([before], T0) is None


def test_issue_and_pull_urls() -> None:
    ref = parse_issue_url("https://github.com/acme/sdk/issues/12", API)
    assert ref is not None and (ref.owner, ref.name, ref.number, ref.kind) == (
        "acme",
        "sdk",
        12,
        "issue",
    )
    pull = parse_issue_url("https://github.com/acme/sdk/pull/3/", API)
    assert pull is not None and pull.kind == "pull"
    ghes = parse_issue_url("https://ghe.corp/acme/sdk/issues/4", "https://ghe.corp/api/v3")
    assert ghes is not None and ghes.number == 4
    for url in (
        "https://gitlab.com/acme/sdk/issues/12",
        "https://github.com/acme/sdk",
        "https://github.com/acme/sdk/issues/abc",
        "javascript:alert(1)",
    ):
        assert parse_issue_url(url, API) is None


def test_repository_names() -> None:
    assert parse_repo(" acme/sdk-python ") == ("acme", "sdk-python")
    assert parse_repo("https://github.com/acme/sdk.git") == ("acme", "sdk")
    for bad in ("acme", "acme/sdk/extra", "not a repo", "-acme/sdk", "acme/..", ""):
        with pytest.raises(InvalidInput):
            parse_repo(bad)
