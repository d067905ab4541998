"""What a GitHub issue's state means for a feedback item: pure rules, no I/O.

- closed as completed (or a merged pull request): ``shipped`` with ship-on close; with
  ship-on release, ``in-progress`` "fixed, waiting for release", then ``shipped`` when the
  first release published after the close appears;
- closed as not planned: ``declined``;
- closed as duplicate: follows the issue it duplicates, when the timeline names one;
- reopened: back to ``in-progress``;
- an assignee or a linked pull request: ``in-progress`` if the item was new, acknowledged or
  planned.

The poll acts only when what it sees differs from what it saw last time (``fingerprint``), so an
advocate's manual status stands until the issue changes again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from services.errors import InvalidInput
from services.github.client import Issue, Release

EARLY_STATUSES = ("new", "acknowledged", "planned")
SHIP_ON = ("close", "release")
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_PATH = re.compile(r"^/([^/]+)/([^/]+)/(issues|pull)/(\d{1,9})/?$")
LABEL_COLOUR = "c5def5"


@dataclass(frozen=True)
class IssueRef:
    owner: str
    name: str
    number: int
    kind: str  # issue | pull
    url: str | None = None  # its web page, when GitHub said it

    @property
    def ref(self) -> str:
        return f"{self.owner}/{self.name}#{self.number}"


def parse_repo(raw: str) -> tuple[str, str]:
    """``owner/name`` as GitHub spells it, or InvalidInput saying what is wrong."""
    text = raw.strip().removeprefix("https://github.com/").strip("/")
    if text.endswith(".git"):
        text = text[:-4]
    parts = text.split("/")
    if len(parts) != 2 or not _NAME.match(parts[0]) or not _REPO.match(parts[1]):
        raise InvalidInput(
            f"`{raw[:60]}` isn't a GitHub repository. Write it as owner/name, "
            "for example `acme/sdk-python`."
        )
    if parts[1] in (".", ".."):
        raise InvalidInput("That repository name isn't valid. Write it as owner/name.")
    return parts[0], parts[1]


def github_host(api_url: str) -> str:
    """The web host for an API URL: api.github.com → github.com, GHES keeps its host."""
    host = (urlsplit(api_url).hostname or "").lower()
    return "github.com" if host in ("api.github.com", "github.com") else host


def web_hosts(api_url: str) -> set[str]:
    # github.com links are recognised everywhere (a GitHub Enterprise server, or the local
    # fake in tests, says itself whether the issue exists).
    return {"github.com", github_host(api_url)}


def parse_issue_url(url: str, api_url: str) -> IssueRef | None:
    """An issue or pull request URL on this GitHub, or None for any other link."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.scheme not in ("http", "https") or host not in web_hosts(api_url):
        return None
    match = _PATH.match(parts.path)
    if match is None:
        return None
    owner, name, kind, number = match.groups()
    try:
        parse_repo(f"{owner}/{name}")
    except InvalidInput:
        return None
    return IssueRef(owner, name, int(number), "pull" if kind == "pull" else "issue")


def looks_like_github(url: str, api_url: str) -> bool:
    """A link on GitHub's host that isn't an issue or pull request (to explain the refusal)."""
    try:
        host = (urlsplit(url.strip()).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return False
    return host in web_hosts(api_url)


@dataclass(frozen=True)
class Facts:
    """What the poll read about one issue."""

    issue: Issue
    linked_pull: bool = False
    # The issue this one was closed as a duplicate of, if the timeline names one.
    duplicate_of: IssueRef | None = None

    def fingerprint(self) -> str:
        i = self.issue
        closed = i.closed_at.isoformat() if i.closed_at else ""
        dup = self.duplicate_of.ref if self.duplicate_of else ""
        return "|".join(
            [
                i.state,
                i.state_reason or "",
                "assigned" if i.assigned else "",
                "pr" if self.linked_pull else "",
                "merged" if i.merged else "",
                closed,
                dup,
            ]
        )


@dataclass(frozen=True)
class Decision:
    status: str | None  # the item's new status, or None for no change
    phase: str  # following | waiting-release | done
    note: str
    follow: IssueRef | None = None  # closed as a duplicate: follow this issue instead


def was_closed(fingerprint: str | None) -> bool:
    return fingerprint is not None and fingerprint.startswith("closed|")


def decide(facts: Facts, item_status: str, ship_on: str, previous: str | None) -> Decision:
    """The mapping table above, for one item linked to the issue ``facts`` describe."""
    issue = facts.issue
    url = issue.html_url
    if issue.state == "closed":
        if issue.is_pull and not issue.merged:
            return Decision(None, "following", "")
        reason = issue.state_reason or "completed"
        if issue.is_pull:
            reason = "completed"
        if reason == "not_planned":
            return Decision("declined", "done", f"Closed as not planned on GitHub: {url}")
        if reason == "duplicate":
            if facts.duplicate_of is not None:
                return Decision(None, "following", "", follow=facts.duplicate_of)
            return Decision(None, "following", "")
        if ship_on == "release":
            status = None if item_status == "in-progress" else "in-progress"
            return Decision(status, "waiting-release", f"Fixed, waiting for release: {url}")
        return Decision("shipped", "done", f"Closed as completed on GitHub: {url}")
    # Open.
    if issue.state_reason == "reopened" or was_closed(previous):
        status = None if item_status == "in-progress" else "in-progress"
        return Decision(status, "following", f"Reopened on GitHub: {url}")
    started = issue.is_pull or issue.assigned or facts.linked_pull
    if started and item_status in EARLY_STATUSES:
        pull = issue.is_pull or facts.linked_pull
        why = "a pull request is open" if pull else "someone is assigned"
        return Decision("in-progress", "following", f"Work started on GitHub ({why}): {url}")
    return Decision(None, "following", "")


def first_release_after(releases: list[Release], closed_at: datetime) -> Release | None:
    after = [r for r in releases if r.published_at > closed_at]
    return min(after, key=lambda r: r.published_at) if after else None


def release_note(release: Release) -> str:
    return f"Released in {release.name}: {release.html_url}"


def timeline_facts(
    events: list[dict[str, object]], issue: Issue, followed: set[tuple[str, str, int]]
) -> tuple[bool, IssueRef | None]:
    """(a pull request is linked, the issue this duplicates) from an issue's timeline.

    A duplicate's original is the issue the timeline cross-references that Hallway already
    follows, else the first other issue it cross-references in the same repository.
    """
    linked_pull = False
    candidates: list[IssueRef] = []
    for event in events:
        kind = event.get("event")
        if kind == "connected":
            linked_pull = True
        if kind != "cross-referenced":
            continue
        source = event.get("source")
        other = source.get("issue") if isinstance(source, dict) else None
        if not isinstance(other, dict):
            continue
        if other.get("pull_request"):
            if other.get("state") == "open" or (other.get("pull_request") or {}).get("merged_at"):
                linked_pull = True
            continue
        ref = _ref_from_api(other)
        if ref is not None and (ref.owner, ref.name, ref.number) != (
            issue.owner,
            issue.name,
            issue.number,
        ):
            candidates.append(ref)
    duplicate_of = None
    if issue.state_reason == "duplicate" and candidates:
        known = [c for c in candidates if (c.owner, c.name, c.number) in followed]
        same_repo = [c for c in candidates if (c.owner, c.name) == (issue.owner, issue.name)]
        pick = known or same_repo
        duplicate_of = pick[0] if pick else None
    return linked_pull, duplicate_of


def _ref_from_api(data: dict[str, object]) -> IssueRef | None:
    repo_url = str(data.get("repository_url") or "")
    number = data.get("number")
    parts = repo_url.rstrip("/").split("/")
    if len(parts) < 2 or not isinstance(number, int):
        return None
    html = data.get("html_url")
    return IssueRef(parts[-2], parts[-1], number, "issue", html if isinstance(html, str) else None)
