"""A small GitHub REST API on 127.0.0.1 for tests: real HTTP, ETags and rate-limit headers.

It answers the routes Hallway uses. A 304 (If-None-Match matched) costs no rate limit, like
GitHub's. Tests change issues directly (``fake.issue(...)``) and inject failures with
``fake.fail_next``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import discord
from aiohttp import web
from aiohttp.test_utils import TestServer

TOKEN = "github_pat_test_token_0123456789"


@dataclass
class FakeRepo:
    owner: str
    name: str
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    timelines: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    releases: list[dict[str, Any]] = field(default_factory=list)
    # Paths under the repo the token may not read (a missing permission): "issues", "releases".
    forbidden: set[str] = field(default_factory=set)


class FakeGitHub:
    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], FakeRepo] = {}
        self.token = TOKEN
        self.limit = 5000
        self.remaining = 5000
        self.requests: list[tuple[str, str, int]] = []
        self.fail_next: list[tuple[int, dict[str, str]]] = []
        # (owner, name, number) -> (owner, name, number): a transferred issue.
        self.moved: dict[tuple[str, str, int], tuple[str, str, int]] = {}
        self.gone: set[tuple[str, str, int]] = set()
        self._server: TestServer | None = None

    # ------------------------------------------------------------------ arranging

    @property
    def url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("")).rstrip("/")

    def repo(self, owner: str, name: str) -> FakeRepo:
        key = (owner, name)
        if key not in self.repos:
            self.repos[key] = FakeRepo(owner, name)
        return self.repos[key]

    def add_issue(self, owner: str, name: str, number: int, title: str = "A bug") -> dict:
        repo = self.repo(owner, name)
        issue = {
            "number": number,
            "title": title,
            "body": "",
            "state": "open",
            "state_reason": None,
            "assignee": None,
            "assignees": [],
            "labels": [],
            "closed_at": None,
            "html_url": f"https://github.com/{owner}/{name}/issues/{number}",
            "repository_url": f"{self.url}/repos/{owner}/{name}",
        }
        repo.issues[number] = issue
        repo.timelines.setdefault(number, [])
        return issue

    def close(self, owner: str, name: str, number: int, reason: str = "completed") -> None:
        issue = self.repo(owner, name).issues[number]
        issue.update(state="closed", state_reason=reason, closed_at=_now())

    def reopen(self, owner: str, name: str, number: int) -> None:
        issue = self.repo(owner, name).issues[number]
        issue.update(state="open", state_reason="reopened", closed_at=None)

    def assign(self, owner: str, name: str, number: int, login: str = "dev") -> None:
        issue = self.repo(owner, name).issues[number]
        issue.update(assignee={"login": login}, assignees=[{"login": login}])

    def cross_reference(self, owner: str, name: str, number: int, source: dict) -> None:
        self.repo(owner, name).timelines[number].append(
            {"event": "cross-referenced", "source": {"type": "issue", "issue": source}}
        )

    def publish_release(self, owner: str, name: str, tag: str) -> dict:
        release = {
            "name": tag,
            "tag_name": tag,
            "draft": False,
            "prerelease": False,
            "published_at": _now(),
            "html_url": f"https://github.com/{owner}/{name}/releases/tag/{tag}",
        }
        self.repo(owner, name).releases.insert(0, release)
        return release

    def hits(self, fragment: str = "") -> list[tuple[str, str, int]]:
        return [r for r in self.requests if fragment in r[1]]

    # ------------------------------------------------------------------ serving

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_get("/user", self._user)
        r.add_get("/repos/{owner}/{name}", self._repo)
        r.add_get("/repos/{owner}/{name}/issues", self._list_issues)
        r.add_post("/repos/{owner}/{name}/issues", self._create_issue)
        r.add_get("/repos/{owner}/{name}/issues/{number}", self._issue)
        r.add_get("/repos/{owner}/{name}/issues/{number}/timeline", self._timeline)
        r.add_get("/repos/{owner}/{name}/labels", self._labels)
        r.add_post("/repos/{owner}/{name}/labels", self._create_label)
        r.add_get("/repos/{owner}/{name}/releases", self._releases)
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server()

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.close()

    def _rate_headers(self) -> dict[str, str]:
        reset = int(discord.utils.utcnow().timestamp()) + 3600
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Used": str(self.limit - self.remaining),
            "X-RateLimit-Resource": "core",
        }

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response = await self._answer(request, handler)
        self.requests.append((request.method, request.path_qs, response.status))
        return response

    async def _answer(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"token {self.token}":
            self.remaining -= 1
            return self._json({"message": "Bad credentials"}, 401)
        if self.fail_next:
            status, headers = self.fail_next.pop(0)
            if status < 500:
                self.remaining -= 1
            response = self._json({"message": f"injected {status}"}, status)
            response.headers.update(headers)
            return response
        try:
            return await handler(request)
        except web.HTTPException as exc:
            self.remaining -= 1
            return self._json({"message": exc.reason}, exc.status)

    def _json(self, data: Any, status: int = 200) -> web.Response:
        response = web.json_response(data, status=status)
        response.headers.update(self._rate_headers())
        return response

    def _conditional(self, request: web.Request, data: Any) -> web.Response:
        body = json.dumps(data, sort_keys=True)
        etag = f'W/"{hashlib.sha1(body.encode()).hexdigest()}"'
        if request.headers.get("If-None-Match") == etag:
            # GitHub doesn't count a 304 against the rate limit.
            response = web.Response(status=304)
            response.headers.update(self._rate_headers())
            response.headers["ETag"] = etag
            return response
        self.remaining -= 1
        response = self._json(data)
        response.headers["ETag"] = etag
        return response

    def _repo_or_404(self, request: web.Request) -> FakeRepo:
        key = (request.match_info["owner"], request.match_info["name"])
        if key not in self.repos:
            raise web.HTTPNotFound(reason="Not Found")
        return self.repos[key]

    def _forbid(self, repo: FakeRepo, part: str) -> None:
        if part in repo.forbidden:
            raise web.HTTPForbidden(reason="Resource not accessible by personal access token")

    async def _user(self, request: web.Request) -> web.Response:
        return self._conditional(request, {"login": "hallway-bot"})

    async def _repo(self, request: web.Request) -> web.Response:
        repo = self._repo_or_404(request)
        return self._conditional(
            request, {"name": repo.name, "owner": {"login": repo.owner}, "has_issues": True}
        )

    async def _list_issues(self, request: web.Request) -> web.Response:
        repo = self._repo_or_404(request)
        self._forbid(repo, "issues")
        return self._conditional(request, list(repo.issues.values())[:1])

    async def _issue(self, request: web.Request) -> web.StreamResponse:
        owner, name = request.match_info["owner"], request.match_info["name"]
        number = int(request.match_info["number"])
        if (owner, name, number) in self.gone:
            raise web.HTTPGone(reason="This issue was deleted")
        if (owner, name, number) in self.moved:
            o, n, num = self.moved[(owner, name, number)]
            self.remaining -= 1
            response = self._json({"message": "Moved Permanently"}, 301)
            response.headers["Location"] = f"/repos/{o}/{n}/issues/{num}"
            return response
        repo = self._repo_or_404(request)
        self._forbid(repo, "issues")
        if number not in repo.issues:
            raise web.HTTPNotFound(reason="Not Found")
        return self._conditional(request, repo.issues[number])

    async def _timeline(self, request: web.Request) -> web.Response:
        repo = self._repo_or_404(request)
        number = int(request.match_info["number"])
        return self._conditional(request, repo.timelines.get(number, []))

    async def _create_issue(self, request: web.Request) -> web.Response:
        repo = self._repo_or_404(request)
        self._forbid(repo, "issues")
        data = await request.json()
        number = max(repo.issues, default=0) + 1
        issue = self.add_issue(repo.owner, repo.name, number, data["title"])
        issue["body"] = data.get("body", "")
        for label in data.get("labels", []):
            repo.labels.setdefault(label, {"name": label, "color": "ededed"})
        issue["labels"] = [repo.labels[label] for label in data.get("labels", [])]
        self.remaining -= 1
        return self._json(issue, 201)

    async def _labels(self, request: web.Request) -> web.Response:
        repo = self._repo_or_404(request)
        return self._conditional(request, list(repo.labels.values()))

    async def _create_label(self, request: web.Request) -> web.Response:
        repo = self._repo_or_404(request)
        data = await request.json()
        self.remaining -= 1
        if data["name"] in repo.labels:
            return self._json(
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": "Label", "code": "already_exists", "field": "name"}],
                },
                422,
            )
        repo.labels[data["name"]] = {"name": data["name"], "color": data.get("color")}
        return self._json(repo.labels[data["name"]], 201)

    async def _releases(self, request: web.Request) -> web.Response:
        repo = self._repo_or_404(request)
        self._forbid(repo, "releases")
        return self._conditional(request, repo.releases)


def _now() -> str:
    return discord.utils.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
