"""The GitHub REST calls Hallway makes, through gidgethub over aiohttp.

Every GET goes through gidgethub's cache, so a repeated read sends ``If-None-Match`` and an
unchanged issue comes back as a 304, which GitHub doesn't count against the rate limit. The
rate-limit headers of every response (304s included) are kept in ``rate_limit``. GitHub's
answers are turned into a few typed errors the poll knows how to wait out or report.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
import gidgethub
from gidgethub import sansio
from gidgethub.aiohttp import GitHubAPI

from services.time.clock import Clock

T = TypeVar("T")
REQUESTER = "hallway-discord-bot"
TIMEOUT_SECONDS = 30


class GitHubError(Exception):
    """GitHub said no, or could not be reached; the message is for an advocate."""


class GitHubUnauthorized(GitHubError):
    """401: the token is wrong, expired or revoked."""


class GitHubForbidden(GitHubError):
    """403 without a rate limit: the token lacks a permission."""


class GitHubNotFound(GitHubError):
    """404 or 410: no such repository or issue, or the token can't see it."""


class GitHubUnavailable(GitHubError):
    """5xx, a timeout or no connection: try again later."""


class GitHubRateLimited(GitHubError):
    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


@dataclass(frozen=True)
class Issue:
    owner: str
    name: str
    number: int
    title: str
    html_url: str
    state: str  # open | closed
    state_reason: str | None  # completed | not_planned | duplicate | reopened | None
    assigned: bool
    is_pull: bool
    merged: bool
    closed_at: datetime | None


@dataclass(frozen=True)
class Release:
    name: str
    html_url: str
    published_at: datetime


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _repo_of(url: str) -> tuple[str, str]:
    """owner and name from a repository_url such as https://api.github.com/repos/o/r."""
    parts = url.rstrip("/").split("/")
    return parts[-2], parts[-1]


def issue_from_json(data: Mapping[str, Any]) -> Issue:
    owner, name = _repo_of(str(data.get("repository_url", "")))
    pull = data.get("pull_request") or None
    return Issue(
        owner=owner,
        name=name,
        number=int(data["number"]),
        title=str(data.get("title") or ""),
        html_url=str(data.get("html_url") or ""),
        state=str(data.get("state") or "open"),
        state_reason=data.get("state_reason"),
        assigned=bool(data.get("assignees") or data.get("assignee")),
        is_pull=pull is not None,
        merged=bool(pull and pull.get("merged_at")),
        closed_at=_time(data.get("closed_at")),
    )


CacheEntry = tuple[str | None, str | None, Any, str | None]


class ConditionalCache(dict[str, CacheEntry]):
    """gidgethub's cache, remembering which URLs got a new answer since ``take_changed``."""

    def __init__(self) -> None:
        super().__init__()
        self._changed: set[str] = set()

    def __setitem__(self, url: str, entry: CacheEntry) -> None:
        super().__setitem__(url, entry)
        self._changed.add(url)

    def load(self, entries: Mapping[str, CacheEntry]) -> None:
        """Entries read back from the database: not changed."""
        for url, entry in entries.items():
            super().__setitem__(url, entry)

    def take_changed(self) -> dict[str, CacheEntry]:
        changed = {url: self[url] for url in self._changed if url in self}
        self._changed.clear()
        return changed


class _API(GitHubAPI):
    """gidgethub's aiohttp client, also keeping what the last response said."""

    def __init__(self, session: aiohttp.ClientSession, **kwargs: Any) -> None:
        super().__init__(session, REQUESTER, **kwargs)
        self.last_status = 0
        self.last_headers: Mapping[str, str] = {}

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        status, response_headers, data = await super()._request(method, url, headers, body)
        self.last_status = status
        self.last_headers = response_headers
        # gidgethub counts a request down before sending it, 304s too; GitHub's own
        # headers say what is really left.
        limit = sansio.RateLimit.from_http(response_headers)
        if limit is not None:
            self.rate_limit = limit
        return status, response_headers, data


class GitHubClient:
    """One aiohttp session and gidgethub client for the bot's token."""

    def __init__(self, token: str, api_url: str, clock: Clock) -> None:
        self._token = token
        self._api_url = api_url.rstrip("/")
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._gh: _API | None = None
        # gidgethub's conditional-request cache: URL -> (etag, last-modified, data, next).
        self.cache = ConditionalCache()

    def _api(self) -> _API:
        if self._gh is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
            )
            self._gh = _API(
                self._session, oauth_token=self._token, cache=self.cache, base_url=self._api_url
            )
        return self._gh

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None
        self._gh = None

    @property
    def rate_limit(self) -> sansio.RateLimit | None:
        return self._gh.rate_limit if self._gh is not None else None

    @property
    def last_status(self) -> int:
        return self._gh.last_status if self._gh is not None else 0

    # ------------------------------------------------------------------ calls

    async def _call(self, request: Awaitable[T]) -> T:
        try:
            return await request
        except gidgethub.RateLimitExceeded as exc:
            reset = exc.rate_limit.reset_datetime if exc.rate_limit else None
            raise GitHubRateLimited(
                "GitHub's rate limit is used up", reset or self._retry_at(exc)
            ) from exc
        except gidgethub.GitHubBroken as exc:
            raise GitHubUnavailable(f"GitHub answered {exc.status_code}") from exc
        except gidgethub.BadRequest as exc:
            raise self._bad_request(exc) from exc
        except gidgethub.HTTPException as exc:
            raise GitHubError(f"GitHub answered {exc.status_code}") from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise GitHubUnavailable(f"GitHub could not be reached ({type(exc).__name__})") from exc

    def _retry_at(self, exc: gidgethub.HTTPException) -> datetime:
        headers = getattr(exc, "headers", None) or {}
        raw = headers.get("retry-after")
        seconds = int(raw) if raw and str(raw).isdigit() else 60
        return self._clock.now() + timedelta(seconds=seconds)

    def _bad_request(self, exc: gidgethub.BadRequest) -> GitHubError:
        status = int(exc.status_code)
        headers = getattr(exc, "headers", None) or {}
        message = str(exc) or f"HTTP {status}"
        if status == 401:
            return GitHubUnauthorized("GitHub rejected the token (401)")
        if status in (403, 429) and ("retry-after" in headers or status == 429):
            return GitHubRateLimited(
                "GitHub asked Hallway to slow down (secondary rate limit)", self._retry_at(exc)
            )
        if status == 403:
            return GitHubForbidden(message)
        if status in (404, 410):
            return GitHubNotFound(message)
        return GitHubError(f"GitHub answered {status}: {message}")

    async def get(self, path: str) -> Any:
        return await self._call(self._api().getitem(path))

    async def issue(self, owner: str, name: str, number: int) -> Issue:
        """The issue (a pull request is an issue too); a redirect for a transferred issue
        is followed, so ``owner``/``name``/``number`` of the result may differ."""
        data = await self.get(f"/repos/{_q(owner)}/{_q(name)}/issues/{number}")
        return issue_from_json(data)

    async def timeline(self, owner: str, name: str, number: int) -> list[dict[str, Any]]:
        path = f"/repos/{_q(owner)}/{_q(name)}/issues/{number}/timeline?per_page=100"
        data = await self.get(path)
        return list(data) if isinstance(data, list) else []

    async def releases(self, owner: str, name: str) -> list[Release]:
        data = await self.get(f"/repos/{_q(owner)}/{_q(name)}/releases?per_page=30")
        out = []
        for r in data if isinstance(data, list) else []:
            published = _time(r.get("published_at"))
            if r.get("draft") or r.get("prerelease") or published is None:
                continue
            out.append(
                Release(str(r.get("name") or r.get("tag_name") or ""), r["html_url"], published)
            )
        return out

    async def repository(self, owner: str, name: str) -> dict[str, Any]:
        return dict(await self.get(f"/repos/{_q(owner)}/{_q(name)}"))

    async def user(self) -> dict[str, Any]:
        return dict(await self.get("/user"))

    async def labels(self, owner: str, name: str) -> list[str]:
        data = await self.get(f"/repos/{_q(owner)}/{_q(name)}/labels?per_page=100")
        return [str(label["name"]) for label in data] if isinstance(data, list) else []

    async def create_label(self, owner: str, name: str, label: str, colour: str) -> None:
        try:
            await self._call(
                self._api().post(
                    f"/repos/{_q(owner)}/{_q(name)}/labels",
                    data={"name": label, "color": colour},
                )
            )
        except GitHubError as exc:
            # 422 "already_exists": someone made it meanwhile, which is all we wanted.
            cause = exc.__cause__
            if not (isinstance(cause, gidgethub.BadRequest) and cause.status_code == 422):
                raise

    async def create_issue(
        self, owner: str, name: str, title: str, body: str, labels: list[str]
    ) -> Issue:
        data = await self._call(
            self._api().post(
                f"/repos/{_q(owner)}/{_q(name)}/issues",
                data={"title": title, "body": body, "labels": labels},
            )
        )
        return issue_from_json(data)


def _q(part: str) -> str:
    return quote(part, safe="")
