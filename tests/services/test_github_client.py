"""The GitHub client's answers turned into typed errors, over real HTTP to the fake."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from services.github.client import (
    GitHubClient,
    GitHubForbidden,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubUnauthorized,
    GitHubUnavailable,
)
from tests.fake_github import TOKEN, FakeGitHub


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeGitHub]:
    server = FakeGitHub()
    await server.start()
    server.add_issue("acme", "sdk", 1)
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: FakeGitHub) -> AsyncIterator[GitHubClient]:
    gh = GitHubClient(TOKEN, fake.url, Clock())
    yield gh
    await gh.close()


async def test_reads_an_issue_then_a_304(fake, client) -> None:
    issue = await client.issue("acme", "sdk", 1)
    assert (issue.owner, issue.name, issue.number, issue.state) == ("acme", "sdk", 1, "open")
    left = fake.remaining
    again = await client.issue("acme", "sdk", 1)
    assert again == issue and client.last_status == 304 and fake.remaining == left
    assert client.rate_limit is not None and client.rate_limit.remaining == left


@pytest.mark.parametrize(
    ("status", "headers", "error"),
    [
        (401, {}, GitHubUnauthorized),
        (403, {}, GitHubForbidden),
        (403, {"Retry-After": "120"}, GitHubRateLimited),
        (403, {"X-RateLimit-Remaining": "0"}, GitHubRateLimited),
        (429, {}, GitHubRateLimited),
        (410, {}, GitHubNotFound),
        (500, {}, GitHubUnavailable),
        (503, {}, GitHubUnavailable),
    ],
)
async def test_errors_are_typed(fake, client, status, headers, error) -> None:
    fake.fail_next.append((status, headers))
    with pytest.raises(error):
        await client.issue("acme", "sdk", 1)


async def test_retry_after_sets_when_to_come_back(fake, client) -> None:
    fake.fail_next.append((403, {"Retry-After": "120"}))
    with pytest.raises(GitHubRateLimited) as caught:
        await client.issue("acme", "sdk", 1)
    wait = (caught.value.retry_at - datetime.now(UTC)).total_seconds()
    assert 100 < wait <= 120


async def test_unreachable_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens on the port any more: the connection is refused.
    gh = GitHubClient(TOKEN, f"http://127.0.0.1:{port}", Clock())
    try:
        with pytest.raises(GitHubUnavailable):
            await gh.issue("acme", "sdk", 1)
    finally:
        await gh.close()
