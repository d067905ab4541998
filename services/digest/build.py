"""The weekly digest service: figures from each feature, periods, and the weekly schedule.

Periods are whole local days in the guild's zone (services/digest/period.py); other
features' figures are asked for with exact UTC instants.

Each section comes from a small provider protocol, so the digest works (minus
that section) when a feature isn't installed or its provider fails. Turning the
figures into sections and embeds is services/digest/render.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from services.chart import ChartData, DayPoint, TagPoint, render_chart
from services.digest.period import WEEK, Period, Span, Window, week_before
from services.digest.render import (
    Digest,
    Health,
    Section,
    calls_section,
    clean,
    coming_up_section,
    content_section,
    hallway_section,
    health_section,
    metrics_section,
    office_hours_section,
    pain_section,
    shipped_section,
    surveys_section,
    tag_order,
)
from services.errors import InvalidInput
from services.guild_settings import GuildSettingsService
from services.time.clock import Clock
from services.time.recurrence import next_after, parse_repeat
from services.time.timezones import resolve_zone
from services.worker_process import InThread, Worker, WorkerError
from storage.activity import ActivityRepository
from storage.digest import DigestConfig, DigestRepository, DigestRun
from storage.timeutil import STORED_TIME_STEP

log = logging.getLogger(__name__)

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Posting later than this after the scheduled time (e.g. the bot was offline) skips the week.
LATE_LIMIT = timedelta(hours=24)
RETRY_AFTER = timedelta(minutes=15)

_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")


# --------------------------------------------------------------------------- providers


class OfficeHoursProvider(Protocol):
    async def digest_figures(self, guild_id: int, start: datetime, end: datetime) -> Any: ...
    async def upcoming_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> Sequence[Any]: ...


class FeedbackProvider(Protocol):
    async def digest_figures(
        self, guild_id: int, start: datetime, end: datetime, prev_start: datetime
    ) -> Any: ...


class HallwayProvider(Protocol):
    async def digest_figures(self, guild_id: int, start: datetime, end: datetime) -> Any: ...


class AnnouncementsProvider(Protocol):
    async def digest_figures(self, guild_id: int, start: datetime, end: datetime) -> Any: ...
    async def upcoming_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> Sequence[Any]: ...


class SurveysProvider(Protocol):
    async def digest_figures(self, guild_id: int, start: datetime, end: datetime) -> Any: ...


class MetricsProvider(Protocol):
    async def digest_figures(self, guild_id: int, start: datetime, end: datetime) -> Any: ...


class CallsProvider(Protocol):
    async def upcoming_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> Sequence[Any]: ...

    async def digest_figures(self, guild_id: int, start: datetime, end: datetime) -> Any: ...


# --------------------------------------------------------------------------- input


def parse_post_time(text: str) -> str:
    """'9:00', '09:00', '9am', '5:30 pm' -> 'HH:MM' (24-hour)."""
    match = _TIME.match(text.strip().lower())
    bad = InvalidInput(
        f"`{clean(text, 20)}` isn't a time of day. Use 24-hour HH:MM, such as 09:00 or 17:30."
    )
    if not match:
        raise bad
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = match.group(3)
    if suffix:
        if not 1 <= hour <= 12:
            raise bad
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise bad
    return f"{hour:02d}:{minute:02d}"


# --------------------------------------------------------------------------- schedule view


@dataclass(frozen=True)
class DigestSettings:
    config: DigestConfig
    zone_name: str
    channel_id: int | None  # the config's channel, or the guild's digest channel

    @property
    def day_name(self) -> str:
        return DAYS[self.config.weekday]

    def describe(self) -> str:
        return f"every {self.day_name.capitalize()} at {self.config.post_time} ({self.zone_name})"


@dataclass(frozen=True)
class ScheduledRun:
    run: DigestRun
    period: Period
    # True when a claim without a recorded message was found: an earlier process
    # may have sent it before dying, so the caller checks the channel first.
    recovering: bool


@dataclass(frozen=True)
class Wait:
    until: datetime


# --------------------------------------------------------------------------- the service


class DigestService:
    def __init__(
        self,
        repo: DigestRepository,
        activity: ActivityRepository,
        guild_settings: GuildSettingsService,
        clock: Clock,
        *,
        office_hours: OfficeHoursProvider | None = None,
        feedback: FeedbackProvider | None = None,
        announcements: AnnouncementsProvider | None = None,
        hallway: HallwayProvider | None = None,
        surveys: SurveysProvider | None = None,
        calls: CallsProvider | None = None,
        metrics: MetricsProvider | None = None,
        before_build: Callable[[], Awaitable[object]] | None = None,
        charts: Worker | None = None,
    ) -> None:
        self._repo = repo
        self._activity = activity
        self._guild_settings = guild_settings
        self._clock = clock
        self.office_hours = office_hours
        self.feedback = feedback
        self.announcements = announcements
        self.hallway = hallway
        self.surveys = surveys
        self.calls = calls
        self.metrics = metrics
        # Called before figures are read (the activity recorder's flush), so the
        # digest includes the last few seconds of counters.
        self._before_build = before_build
        # The bot draws in a worker process (services/worker_process.py), so it never holds
        # matplotlib; built on its own (tests, tools) the service draws in a thread.
        self.charts = charts or InThread()

    # ----------------------------------------------------------------- settings

    async def _zone_name(self, config: DigestConfig) -> str:
        return config.timezone or await self._guild_settings.zone_name(config.guild_id)

    async def settings(self, guild_id: int) -> DigestSettings:
        config = await self._repo.get_config(guild_id)
        return await self._view(config)

    async def _view(self, config: DigestConfig) -> DigestSettings:
        guild = await self._guild_settings.config(config.guild_id)
        return DigestSettings(
            config, await self._zone_name(config), config.channel_id or guild.digest_channel_id
        )

    async def configure(
        self,
        guild_id: int,
        *,
        channel_id: int | None = None,
        day: str | None = None,
        post_time: str | None = None,
        timezone: str | None = None,
        enabled: bool | None = None,
        skip_empty: bool | None = None,
        pin: bool | None = None,
    ) -> DigestSettings:
        """Change any of the settings (None keeps one) and reschedule the next post."""
        config = await self._repo.get_config(guild_id)
        changes: dict[str, Any] = {}
        if channel_id is not None:
            changes["channel_id"] = channel_id
        if day is not None:
            key = day.strip().lower()
            matches = [d for d in DAYS if d.startswith(key[:3])] if len(key) >= 3 else []
            if len(matches) != 1:
                raise InvalidInput(
                    f"`{clean(day, 20)}` isn't a day of the week. Use monday … sunday."
                )
            changes["weekday"] = DAYS.index(matches[0])
        if post_time is not None:
            changes["post_time"] = parse_post_time(post_time)
        if timezone is not None:
            changes["timezone"] = resolve_zone(timezone).key
        if enabled is not None:
            changes["enabled"] = enabled
        if skip_empty is not None:
            changes["skip_empty"] = skip_empty
        if pin is not None:
            changes["pin"] = pin
        config = replace(config, **changes)
        zone = ZoneInfo(await self._zone_name(config))
        next_run = self.next_fire(config, zone, self._clock.now()) if config.enabled else None
        config = replace(config, next_run_at=next_run, stored=True)
        await self._repo.save_config(config, self._clock.now())
        return await self._view(config)

    @staticmethod
    def next_fire(config: DigestConfig, zone: ZoneInfo, after: datetime) -> datetime:
        """The first scheduled post strictly after ``after`` (DST-correct, in the zone)."""
        hour, minute = (int(p) for p in config.post_time.split(":"))
        # Any past date on the configured weekday anchors the weekly rule's wall time.
        anchor_day = date(2024, 1, 1) + timedelta(days=config.weekday)  # 2024-01-01 is a Monday
        anchor = datetime.combine(anchor_day, time(hour, minute), zone).astimezone(UTC)
        found = next_after(parse_repeat("weekly"), anchor=anchor, zone=zone, after=after)
        assert found is not None  # a weekly rule always has a next occurrence
        return found

    async def scheduled(self) -> list[tuple[int, datetime]]:
        return await self._repo.scheduled()

    # ----------------------------------------------------------------- scheduled runs

    async def begin_scheduled(self, guild_id: int) -> ScheduledRun | Wait | None:
        """Claim this week's post if it is due. None: nothing to post (advance the schedule)."""
        config = await self._repo.get_config(guild_id)
        if not config.stored or not config.enabled or config.next_run_at is None:
            return None
        now = self._clock.now()
        due = config.next_run_at
        if due > now:
            return Wait(due)
        if now - due > LATE_LIMIT:
            log.warning(
                "Skipping the digest for guild %s due %s: more than %s late",
                guild_id,
                due.isoformat(),
                LATE_LIMIT,
            )
            return None
        zone = ZoneInfo(await self._zone_name(config))
        period = week_before(due.astimezone(zone).date(), zone)
        run, created = await self._repo.claim_run(guild_id, period.start, now)
        if not created and run.status != "claimed":
            return None  # this week is already posted or skipped
        return ScheduledRun(run, period, recovering=not created)

    async def finish_posted(self, run: DigestRun, channel_id: int, message_id: int) -> None:
        await self._repo.finish_run(
            run.guild_id, run.id, "posted", channel_id, message_id, self._clock.now()
        )

    async def finish_skipped(self, run: DigestRun) -> None:
        await self._repo.finish_run(run.guild_id, run.id, "skipped", None, None, self._clock.now())

    async def release(self, run: DigestRun) -> None:
        await self._repo.release_run(run.guild_id, run.id)

    async def advance_schedule(self, guild_id: int) -> datetime | None:
        """Move the stored next run past now; returns it (None when disabled)."""
        config = await self._repo.get_config(guild_id)
        if not config.stored:
            return None
        now = self._clock.now()
        next_run = None
        if config.enabled:
            next_run = self.next_fire(config, ZoneInfo(await self._zone_name(config)), now)
        await self._repo.set_next_run(guild_id, next_run, now)
        return next_run

    def retry_time(self) -> datetime:
        return self._clock.now() + RETRY_AFTER

    async def runs(self, guild_id: int) -> list[DigestRun]:
        return await self._repo.runs(guild_id)

    async def record_pinned(self, guild_id: int, channel_id: int, message_id: int) -> None:
        await self._repo.set_pinned(guild_id, channel_id, message_id, self._clock.now())

    # ----------------------------------------------------------------- building

    async def last_whole_week(self, guild_id: int) -> Period:
        """The 7 whole local days before today: the week a post due today covers."""
        settings = await self.settings(guild_id)
        zone = ZoneInfo(settings.zone_name)
        return week_before(self._clock.now().astimezone(zone).date(), zone)

    async def current_window(self, guild_id: int) -> Window:
        """The last 7×24 hours up to now: a digest built by hand (preview, post)."""
        settings = await self.settings(guild_id)
        # "Up to now" includes now: the window's end is exclusive, and something stamped at
        # this very instant (a virtual clock that stands still, as the sandbox's does) must
        # count. One microsecond is the smallest step of a stored time (storage/timeutil).
        return Window(self._clock.now() + STORED_TIME_STEP, ZoneInfo(settings.zone_name))

    async def build_week(
        self, guild_id: int, period: Span | None = None, *, chart: bool = True
    ) -> Digest:
        """The weekly digest for ``period``: the scheduled week, or by default the
        last 7×24 hours up to now (``/digest preview`` and ``/digest post``)."""
        if period is None:
            period = await self.current_window(guild_id)
        now = self._clock.now()
        digest = await self._build(
            guild_id,
            period,
            title="Weekly digest",
            versus="last week",
            upcoming=(now, now + timedelta(days=WEEK)),
        )
        if chart and digest.chart.has_data:
            try:
                digest.chart_png = await self.charts.run(render_chart, digest.chart)
            except WorkerError:
                # The digest goes out without its picture rather than not at all.
                log.exception("The digest chart of guild %s could not be drawn", guild_id)
        return digest

    async def build_window(self, guild_id: int, days: int) -> Digest:
        """/stats summary: the last ``days`` local days including today, against the days before."""
        if not 1 <= days <= 90:
            raise InvalidInput("`days` must be between 1 and 90.")
        settings = await self.settings(guild_id)
        zone = ZoneInfo(settings.zone_name)
        today = self._clock.now().astimezone(zone).date()
        period = Period(today - timedelta(days=days - 1), today + timedelta(days=1), zone)
        noun = "day" if days == 1 else f"{days} days"
        return await self._build(
            guild_id,
            period,
            title=f"Stats for the last {noun}",
            versus=f"previous {noun}",
            upcoming=None,
        )

    async def _build(
        self,
        guild_id: int,
        period: Span,
        *,
        title: str,
        versus: str,
        upcoming: tuple[datetime, datetime] | None,
    ) -> Digest:
        if self._before_build is not None:
            await self._before_build()
        health = await self.health(guild_id, period)
        sections: list[Section] = []
        if health.any_at_all:
            sections.append(health_section(health, versus))
        oh = await self._call(
            "office hours",
            self.office_hours,
            "digest_figures",
            guild_id,
            period.start_utc,
            period.end_utc,
        )
        if oh is not None:
            section = office_hours_section(oh)
            if section:
                sections.append(section)
        fb = await self._call(
            "feedback",
            self.feedback,
            "digest_figures",
            guild_id,
            period.start_utc,
            period.end_utc,
            period.previous().start_utc,
        )
        tags: list[TagPoint] = []
        if fb is not None:
            pain = pain_section(fb, versus)
            if pain:
                sections.append(pain)
            shipped = shipped_section(fb)
            if shipped:
                sections.append(shipped)
            this_counts: dict[str, int] = dict(getattr(fb, "tag_counts", {}) or {})
            last_counts: dict[str, int] = dict(getattr(fb, "prev_tag_counts", {}) or {})
            tags = [
                TagPoint(tag, this_counts.get(tag, 0), last_counts.get(tag, 0))
                for tag in tag_order(this_counts, last_counts)
            ]
        # Features that give one section from their figures for the period, in this order.
        for name, provider, render in (
            ("announcements", self.announcements, content_section),
            ("hallway", self.hallway, hallway_section),
            ("surveys", self.surveys, surveys_section),
            ("calls", self.calls, calls_section),
            ("metrics", self.metrics, metrics_section),
        ):
            figures = await self._call(
                name, provider, "digest_figures", guild_id, period.start_utc, period.end_utc
            )
            if figures is not None:
                section = render(figures)
                if section:
                    sections.append(section)
        if upcoming is not None:
            section = await self._coming_up_section(guild_id, *upcoming)
            if section:
                sections.append(section)
        daily = await self.daily(guild_id, period.with_previous())
        versus_label = versus[0].upper() + versus[1:]
        chart = ChartData(
            daily,
            tags,
            this_label="This period" if upcoming is None else "This week",
            last_label=versus_label,
        )
        return Digest(
            guild_id=guild_id,
            period=period,
            title=title,
            sections=sections,
            health=health,
            chart=chart,
            marker=f"Hallway · {title.lower()} · {period.start.isoformat()}",
        )

    async def _call(self, what: str, provider: object, method: str, *args: Any) -> Any:
        """One provider call; a missing or failing provider leaves its section out."""
        if provider is None:
            return None
        try:
            return await getattr(provider, method)(*args)
        except Exception:
            # The digest must still go out when one feature breaks; the log says which.
            log.exception("The %s figures for the digest failed; leaving that section out", what)
            return None

    async def health(self, guild_id: int, period: Span) -> Health:
        prev = period.previous()
        first, last = period.utc_days()
        prev_first, prev_last = prev.utc_days()
        before_first, before_last = prev.previous().utc_days()
        now = await self._activity.window_totals(guild_id, first, last)
        then = await self._activity.window_totals(guild_id, prev_first, prev_last)
        returning = await self._activity.returning_members(
            guild_id, first, last, prev_first, prev_last
        )
        prev_returning = await self._activity.returning_members(
            guild_id, prev_first, prev_last, before_first, before_last
        )
        return Health(
            active=now.active_members,
            prev_active=then.active_members,
            new=now.joins,
            prev_new=then.joins,
            returning=returning,
            prev_returning=prev_returning,
            messages=now.messages,
            prev_messages=then.messages,
            left=now.leaves,
            prev_left=then.leaves,
        )

    async def daily(self, guild_id: int, period: Span) -> list[DayPoint]:
        first, last = period.utc_days()
        totals = await self._activity.daily(guild_id, first, last)
        points = []
        for local_day in period.local_days():
            found = totals.get(period.utc_day_for(local_day))
            points.append(
                DayPoint(
                    local_day,
                    found.active_members if found else 0,
                    found.messages if found else 0,
                )
            )
        return points

    # ----------------------------------------------------------------- coming up

    async def _coming_up_section(
        self, guild_id: int, start: datetime, end: datetime
    ) -> Section | None:
        sessions = await self._call(
            "upcoming office hours", self.office_hours, "upcoming_between", guild_id, start, end
        )
        posts = await self._call(
            "upcoming announcements", self.announcements, "upcoming_between", guild_id, start, end
        )
        calls = await self._call(
            "upcoming calls", self.calls, "upcoming_between", guild_id, start, end
        )
        return coming_up_section(sessions or [], posts or [], calls or [])
