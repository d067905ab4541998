"""GitHub follow-up: a guild's repository, issues made from feedback, links, and the poll.

The poll is an alarm job (``github:poll``) whose next run is kept in the database, so a
restart picks it up and a run missed while the bot was down happens once at start-up. Status
changes go through feedback's own status path, handed in from bot.py as ``apply_status``
(history, DMs to reporters and voters, the forum post, the digest); problems reach advocates
through ``tell_advocates``, each one once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from services.errors import Conflict, HallwayError, InvalidInput, NotFound
from services.github.client import (
    GitHubClient,
    GitHubError,
    GitHubForbidden,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubUnauthorized,
    GitHubUnavailable,
    Issue,
)
from services.github.rules import (
    LABEL_COLOUR,
    SHIP_ON,
    Facts,
    IssueRef,
    decide,
    first_release_after,
    github_host,
    looks_like_github,
    parse_issue_url,
    parse_repo,
    release_note,
    timeline_facts,
)
from services.time.alarm import Alarm
from services.time.clock import Clock
from storage.github import GitHubRepository, IssueLink, RepoConfig

if TYPE_CHECKING:
    from services.feedback.capture import ItemCard
    from storage.feedback.items import FeedbackItem

log = logging.getLogger(__name__)

JOB = "github:poll"
# Below this many requests left, the poll waits for the rate limit to reset.
LOW_REMAINING = 50
MAX_TITLE = 256
NO_TOKEN = (
    "GitHub isn't connected: put a fine-grained token in GITHUB_TOKEN in `.env` and restart "
    "Hallway (see the GitHub guide for its permissions)."
)
_MENTION = re.compile(r"<(@[!&]?|#)\d{15,21}>")

CardLookup = Callable[[int, int], Awaitable["ItemCard"]]
ItemLookup = Callable[[int, int], Awaitable["FeedbackItem"]]
LinkSetter = Callable[[int, int, str], Awaitable[Any]]
StatusApplier = Callable[[int, int, str, str], Awaitable[None]]
Notifier = Callable[[int, int | None, str], Awaitable[None]]


@dataclass(frozen=True)
class LinkResult:
    ref: IssueRef
    url: str
    title: str | None  # None when GitHub could not be asked
    following: bool  # False without a token
    shared_with: list[int]  # other items of the guild linked to the same issue


@dataclass
class PollReport:
    issues_read: int = 0
    changes: int = 0
    stopped: str | None = None  # paused | rate-limited | unavailable | no-token


def _scrub(text: str) -> str:
    """No member or role ids reach GitHub, not even inside a mention."""
    return _MENTION.sub(lambda m: "#channel" if m.group(1) == "#" else "@someone", text)


def issue_body(card: ItemCard, jump_url: str | None) -> str:
    item = card.item
    lines = [_scrub(item.details) if item.details else _scrub(item.summary), "", "---"]
    votes = f"{item.votes} vote{'s' if item.votes != 1 else ''}"
    count = len(card.reporters) or 1
    reporters = f"{count} reporter{'s' if count != 1 else ''}"
    lines.append(f"From Hallway feedback #{item.id} · {votes} · {reporters}")
    if item.tags:
        lines.append(f"Tags: {', '.join(item.tag_names)}")
    if item.product_area:
        lines.append(f"Product area: {_scrub(item.product_area)}")
    if jump_url:
        lines.append(f"Discord: {jump_url}")
    return "\n".join(lines)


class GitHubService:
    def __init__(
        self,
        repo: GitHubRepository,
        client: GitHubClient | None,
        clock: Clock,
        *,
        api_url: str,
        poll_minutes: int,
        card: CardLookup,
        item: ItemLookup,
        set_link: LinkSetter,
    ) -> None:
        self.repo = repo
        self.client = client
        self.clock = clock
        self.api_url = api_url
        self.interval = timedelta(minutes=poll_minutes)
        self._card = card
        self._item = item
        self._set_link = set_link
        # Set by the cog: feedback's status path, and the advocates' channel.
        self.apply_status: StatusApplier | None = None
        self.tell_advocates: Notifier | None = None
        self._alarm: Alarm | None = None
        # When the last poll was told to wait (Retry-After, or the rate limit's reset).
        self._retry_at: datetime | None = None

    # ------------------------------------------------------------------ set-up

    async def configure(
        self, guild_id: int, raw_repo: str, ship_on: str, channel_id: int | None
    ) -> tuple[RepoConfig, str | None]:
        """Set the guild's repository; returns it and a warning when it couldn't be checked."""
        if ship_on not in SHIP_ON:
            raise InvalidInput("ship-on is `close` or `release`.")
        owner, name = parse_repo(raw_repo)
        warning = None
        if self.client is None:
            warning = NO_TOKEN
        else:
            try:
                data = await self.client.repository(owner, name)
                owner, name = data.get("owner", {}).get("login", owner), data.get("name", name)
            except GitHubNotFound as exc:
                raise InvalidInput(
                    f"GitHub has no repository `{owner}/{name}`, or the token can't see it. "
                    "Check the spelling, and that the token was given access to it."
                ) from exc
            except GitHubError as exc:
                warning = self._problem(exc)
        await self.repo.set_repo(guild_id, owner, name, ship_on, channel_id, self.clock.now())
        config = await self.repo.repo(guild_id)
        assert config is not None
        return config, warning

    def _problem(self, exc: GitHubError) -> str:
        if isinstance(exc, GitHubUnauthorized):
            return "GitHub rejected GITHUB_TOKEN: make a new token and run `python bot.py --check`."
        if isinstance(exc, GitHubForbidden):
            return "The token lacks a permission here: give it Issues read and write."
        return f"GitHub couldn't be asked just now ({exc}); Hallway will try again."

    def _require_client(self) -> GitHubClient:
        if self.client is None:
            raise InvalidInput(NO_TOKEN)
        return self.client

    # ------------------------------------------------------------------ create and link

    async def create_issue(
        self, guild_id: int, item_id: int, jump_url: str | None
    ) -> tuple[Issue, FeedbackItem]:
        client = self._require_client()
        config = await self.repo.repo(guild_id)
        if config is None:
            raise InvalidInput(
                "This server has no GitHub repository yet. An advocate sets it with "
                "`/feedback github repo:owner/name ship-on:close`."
            )
        card = await self._card(guild_id, item_id)
        item = card.item
        if item.status == "duplicate":
            raise InvalidInput(
                f"#{item.id} is a duplicate of #{item.duplicate_of}; open the issue from "
                f"#{item.duplicate_of} instead."
            )
        existing = await self.repo.link(guild_id, item.id)
        if existing is not None:
            raise Conflict(
                f"#{item.id} already follows {existing.ref}. To point it elsewhere, use "
                "`/feedback link`."
            )
        try:
            known = {label.lower() for label in await client.labels(config.owner, config.name)}
            for tag in item.tag_names:
                if tag.lower() not in known:
                    await client.create_label(config.owner, config.name, tag, LABEL_COLOUR)
            issue = await client.create_issue(
                config.owner,
                config.name,
                _scrub(item.summary)[:MAX_TITLE],
                issue_body(card, jump_url),
                item.tag_names,
            )
        except GitHubError as exc:
            raise InvalidInput(f"The issue wasn't created: {self._problem(exc)}") from exc
        await self._set_link(guild_id, item.id, issue.html_url)
        await self.repo.set_link(
            guild_id, item.id, issue.owner, issue.name, issue.number, "issue", self.clock.now()
        )
        return issue, await self._item(guild_id, item.id)

    def is_github_url(self, url: str) -> bool:
        return looks_like_github(url, self.api_url)

    async def link(self, guild_id: int, item_id: int, url: str) -> LinkResult | None:
        """Follow a GitHub issue or pull request URL; None when the URL isn't on GitHub."""
        ref = parse_issue_url(url, self.api_url)
        if ref is None:
            if looks_like_github(url, self.api_url):
                raise InvalidInput(
                    "That GitHub link isn't an issue or a pull request. Paste one like "
                    "https://github.com/owner/repo/issues/12 or .../pull/34."
                )
            await self.repo.remove_link(guild_id, item_id)
            return None
        item = await self._item(guild_id, item_id)
        title = None
        if self.client is not None:
            try:
                issue = await self.client.issue(ref.owner, ref.name, ref.number)
                title = issue.title
                ref = IssueRef(issue.owner, issue.name, issue.number, ref.kind)
            except GitHubNotFound as exc:
                raise InvalidInput(
                    f"GitHub has no {ref.ref}, or the token can't see it. Check the link."
                ) from exc
            except GitHubError as exc:
                log.info("Linked %s without reading it: %s", ref.ref, exc)
        await self._set_link(guild_id, item.id, url.strip())
        await self.repo.set_link(
            guild_id, item.id, ref.owner, ref.name, ref.number, ref.kind, self.clock.now()
        )
        others = await self.repo.links_to_issue(guild_id, ref.owner, ref.name, ref.number)
        return LinkResult(
            ref,
            url.strip(),
            title,
            following=self.client is not None,
            shared_with=[o.item_id for o in others if o.item_id != item.id],
        )

    async def link_of(self, guild_id: int, item_id: int) -> IssueLink | None:
        return await self.repo.link(guild_id, item_id)

    # ------------------------------------------------------------------ the poll job

    async def start(self, alarm: Alarm) -> None:
        """Schedule the next poll from the database; one missed while offline runs now."""
        self._alarm = alarm
        if self.client is None:
            return
        # ETags from before the restart, so unchanged issues answer 304 at once.
        self.client.cache.load(await self.repo.load_etags())
        state = await self.repo.poll_state()
        now = self.clock.now()
        due = state.next_poll_at if state.next_poll_at and state.next_poll_at > now else now
        alarm.schedule(JOB, due, self.run_poll)

    async def run_poll(self) -> None:
        next_at = self.clock.now() + self.interval
        try:
            report = await self.poll_once()
            if report.stopped == "rate-limited" and self._retry_at is not None:
                next_at = max(next_at, self._retry_at)
        finally:
            # Whatever happened, the next poll is written down before it is scheduled.
            await self.repo.set_next_poll(next_at)
            await self._save_etags()
            if self._alarm is not None:
                self._alarm.schedule(JOB, next_at, self.run_poll)

    async def _save_etags(self) -> None:
        if self.client is None:
            return
        changed = {
            url: entry
            for url, entry in self.client.cache.take_changed().items()
            if "/timeline" not in url  # large, and only read while an issue is open
        }
        keep = set()
        for link in await self.repo.links_to_follow():
            keep.add(f"/repos/{link.owner}/{link.name}/issues/{link.number}")
            keep.add(f"/repos/{link.owner}/{link.name}/releases")
        # Cache keys are full URLs; keep those whose path is still followed.
        kept = {url for url in [*changed, *self.client.cache] if _path_of(url) in keep}
        await self.repo.save_etags(
            {u: e for u, e in changed.items() if u in kept}, kept, self.clock.now()
        )

    async def poll_once(self) -> PollReport:
        report = PollReport()
        self._retry_at = None
        if self.client is None:
            report.stopped = "no-token"
            return report
        if (await self.repo.poll_state()).paused_at is not None:
            report.stopped = "paused"
            return report
        links = await self.repo.links_to_follow()
        groups: dict[tuple[str, str, int], list[IssueLink]] = {}
        for link in links:
            groups.setdefault((link.owner, link.name, link.number), []).append(link)
        followed = set(groups)
        try:
            for key, group in groups.items():
                # Waiting and shipped issues are read too (a 304 when unchanged): a reopen
                # must stop a later release from shipping the item.
                report.changes += await self._poll_issue(key, group, followed)
                report.issues_read += 1
                self._check_remaining()
            report.changes += await self._poll_releases()
        except GitHubUnauthorized:
            await self._pause("GitHub rejected the token (401)")
            report.stopped = "paused"
        except GitHubRateLimited as exc:
            self._retry_at = exc.retry_at
            report.stopped = "rate-limited"
            log.info("GitHub poll backs off until %s: %s", exc.retry_at, exc)
        except GitHubUnavailable as exc:
            # Nothing was recorded for the issues not read: the next poll reads them.
            report.stopped = "unavailable"
            log.warning("GitHub poll stopped, trying again next time: %s", exc)
        return report

    def _check_remaining(self) -> None:
        limit = self.client.rate_limit if self.client is not None else None
        if limit is not None and limit.remaining < LOW_REMAINING:
            raise GitHubRateLimited(
                f"only {limit.remaining} GitHub requests left", limit.reset_datetime
            )

    async def _poll_issue(
        self, key: tuple[str, str, int], group: list[IssueLink], followed: set[Any]
    ) -> int:
        assert self.client is not None
        owner, name, number = key
        try:
            issue = await self.client.issue(owner, name, number)
            facts = await self._facts(issue, group, followed)
        except GitHubNotFound:
            for link in group:
                await self._gone(link)
            return 0
        except (GitHubUnauthorized, GitHubRateLimited, GitHubUnavailable):
            raise
        except GitHubError as exc:
            log.warning("GitHub refused %s/%s#%s: %s", owner, name, number, exc)
            return 0
        changes = 0
        moved = (issue.owner, issue.name, issue.number) != key
        for link in group:
            if moved:
                await self.repo.move_link(
                    link.guild_id, link.item_id, issue.owner, issue.name, issue.number
                )
                await self._set_link(link.guild_id, link.item_id, issue.html_url)
            try:
                changes += await self._apply(link, facts)
            except NotFound:
                log.info("Feedback #%s is gone; its GitHub link goes with it", link.item_id)
                await self.repo.remove_link(link.guild_id, link.item_id)
        return changes

    async def _facts(self, issue: Issue, group: list[IssueLink], followed: set[Any]) -> Facts:
        assert self.client is not None
        wants_pull = issue.state == "open" and not issue.assigned and not issue.is_pull
        if wants_pull or issue.state_reason == "duplicate":
            events = await self.client.timeline(issue.owner, issue.name, issue.number)
            linked_pull, duplicate_of = timeline_facts(events, issue, followed)
            return Facts(issue, linked_pull, duplicate_of)
        return Facts(issue)

    async def _apply(self, link: IssueLink, facts: Facts) -> int:
        fingerprint = facts.fingerprint()
        if link.observed == fingerprint:
            return 0  # unchanged since last time: a manual status stands
        item = await self._item(link.guild_id, link.item_id)
        if item.status == "duplicate":
            # Merged in Discord: the item it was merged into carries the news.
            await self.repo.record(
                link.guild_id,
                link.item_id,
                observed=fingerprint,
                phase="following",
                closed_at=None,
            )
            return 0
        config = await self.repo.repo(link.guild_id)
        ship_on = config.ship_on if config else "close"
        decision = decide(facts, item.status, ship_on, link.observed)
        if decision.follow is not None:
            target = decision.follow
            host = github_host(self.api_url)
            url = (
                target.url or f"https://{host}/{target.owner}/{target.name}/issues/{target.number}"
            )
            await self._set_link(link.guild_id, link.item_id, url)
            # Unobserved again, so the next poll applies the original issue's state.
            await self.repo.set_link(
                link.guild_id,
                link.item_id,
                target.owner,
                target.name,
                target.number,
                "issue",
                self.clock.now(),
            )
            return 0
        changed = 0
        if decision.status is not None and decision.status != item.status:
            changed = await self._status(link, decision.status, decision.note)
        await self.repo.record(
            link.guild_id,
            link.item_id,
            observed=fingerprint,
            phase=decision.phase,
            closed_at=facts.issue.closed_at,
        )
        return changed

    async def _status(self, link: IssueLink, status: str, note: str) -> int:
        if self.apply_status is None:
            return 0
        try:
            await self.apply_status(link.guild_id, link.item_id, status, note)
        except Conflict:
            return 0  # already there (a crash between the change and its record)
        except HallwayError as exc:
            log.warning("GitHub status for #%s not applied: %s", link.item_id, exc)
            return 0
        return 1

    async def _poll_releases(self) -> int:
        assert self.client is not None
        waiting: dict[tuple[str, str], list[IssueLink]] = {}
        for link in await self.repo.links_to_follow():
            if link.phase == "waiting-release" and link.closed_at is not None:
                waiting.setdefault((link.owner, link.name), []).append(link)
        changes = 0
        for (owner, name), group in waiting.items():
            try:
                releases = await self.client.releases(owner, name)
            except (GitHubUnauthorized, GitHubRateLimited, GitHubUnavailable):
                raise
            except GitHubError as exc:
                log.warning("Releases of %s/%s can't be read: %s", owner, name, exc)
                continue
            for link in group:
                assert link.closed_at is not None
                release = first_release_after(releases, link.closed_at)
                if release is None:
                    continue
                item = await self._item(link.guild_id, link.item_id)
                if item.status != "shipped":
                    changes += await self._status(link, "shipped", release_note(release))
                await self.repo.record(
                    link.guild_id,
                    link.item_id,
                    observed=link.observed or "",
                    phase="done",
                    closed_at=link.closed_at,
                )
            self._check_remaining()
        return changes

    # ------------------------------------------------------------------ failures

    async def _gone(self, link: IssueLink) -> None:
        if link.told_gone:
            return
        await self.repo.mark_gone(link.guild_id, link.item_id)
        await self._tell(
            link.guild_id,
            f"gone:{link.item_id}:{link.ref}",
            f"⚠️ GitHub no longer shows {link.ref}, linked to feedback #{link.item_id}: it was "
            "deleted, or the token lost access. Hallway stopped following it; link the item "
            "to another issue with `/feedback link`.",
        )

    async def _pause(self, reason: str) -> None:
        now = self.clock.now()
        if not await self.repo.pause(now, reason):
            return
        guilds = {c.guild_id for c in await self.repo.all_repos()}
        guilds |= {link.guild_id for link in await self.repo.links_to_follow()}
        for guild_id in sorted(guilds):
            await self._tell(
                guild_id,
                f"auth:{now.isoformat()}",
                "⚠️ GitHub rejected Hallway's token (401), so linked issues aren't followed "
                "for now. Put a new token in GITHUB_TOKEN and run `python bot.py --check`: "
                "following resumes once it passes.",
            )

    async def _tell(self, guild_id: int, key: str, text: str) -> None:
        if self.tell_advocates is None:
            return
        if not await self.repo.claim_notice(guild_id, key, self.clock.now()):
            return
        config = await self.repo.repo(guild_id)
        await self.tell_advocates(guild_id, config.notice_channel_id if config else None, text)

    # ------------------------------------------------------------------ python bot.py --check

    async def check(self) -> list[str]:
        """One line per problem with the token and each guild's repository; resumes a
        paused poll when everything passes."""
        client = self._require_client()
        try:
            await client.user()
        except GitHubUnauthorized:
            return [
                "GITHUB_TOKEN was rejected by GitHub (bad or revoked token): make a new "
                "fine-grained token and put it in .env"
            ]
        except GitHubError as exc:
            return [f"GitHub could not check GITHUB_TOKEN at {self.api_url}: {exc}"]
        problems: list[str] = []
        for config in await self.repo.all_repos():
            problems += await self._check_repo(client, config)
        if not problems:
            await self.repo.resume()
        return problems

    async def _check_repo(self, client: GitHubClient, config: RepoConfig) -> list[str]:
        full = config.full_name
        try:
            await client.repository(config.owner, config.name)
        except GitHubNotFound:
            return [
                f"GitHub repository {full} (server {config.guild_id}) is unknown, or "
                "GITHUB_TOKEN can't see it: check the name and the token's repository access"
            ]
        except GitHubError as exc:
            return [f"GitHub repository {full}: {exc}"]
        checks = [("issues", "Issues (read and write)")]
        if config.ship_on == "release":
            checks.append(("releases", "Contents (read)"))
        problems = []
        for path, permission in checks:
            try:
                await client.get(f"/repos/{config.owner}/{config.name}/{path}?per_page=1")
            except GitHubForbidden:
                problems.append(
                    f"GITHUB_TOKEN is missing a permission on {full}: give it {permission}"
                )
            except GitHubError as exc:
                problems.append(f"GitHub repository {full}: {exc}")
        return problems


def _path_of(url: str) -> str:
    """``/repos/o/r/issues/7`` from a full API URL, without the query."""
    path = urlsplit(url).path
    marker = path.find("/repos/")
    return path[marker:] if marker >= 0 else path
