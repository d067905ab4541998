from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from services.chart import ChartData, DayPoint, TagPoint, render_chart
from services.digest.build import DigestService, ScheduledRun, Wait, parse_post_time
from services.digest.period import Period
from services.digest.render import EMBED_DESCRIPTION, EMBED_TOTAL, change, is_spike
from services.errors import InvalidInput
from services.guild_settings import GuildSettingsService
from services.time.clock import FixedClock
from storage.activity import ActivityRepository
from storage.database import Database
from storage.digest import DigestRepository
from storage.guild_settings import GuildSettingsRepository

G = 42
OTHER = 43
# Monday 12 January 2026, 09:00 UTC: the digest covers Mon 5 – Sun 11 January.
NOW = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


class FakeOfficeHours:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def digest_figures(self, guild_id, start, end):
        self.calls.append((guild_id, start, end))
        return SimpleNamespace(
            sessions_held=2,
            asked=9,
            answered=6,
            skipped=1,
            carried_over=2,
            median_wait_seconds=330.0,
            unique_askers=5,
            host_ids=[501, 502],
        )

    async def upcoming_between(self, guild_id, start, end):
        return [SimpleNamespace(title="Ask me *anything*", starts_at=NOW + timedelta(days=2))]


class FakeFeedback:
    def __init__(self, **overrides) -> None:
        self.calls: list[tuple] = []
        self.figures = dict(
            new_items=12,
            tag_counts={"auth": 6, "docs": 4, "billing": 2},
            prev_tag_counts={"auth": 2, "docs": 5, "sdk": 1},
            top_open=[
                (12, "Login loops", 14),
                (9, "Docs search", 7),
                (3, "SDK typo", 1),
                (4, "x", 0),
            ],
            shipped=[(7, "Dark mode", ["Alice", "Bob"])],
        )
        self.figures.update(overrides)

    async def digest_figures(self, guild_id, start, end, prev_start):
        self.calls.append((guild_id, start, end, prev_start))
        return SimpleNamespace(**self.figures)


class FakeAnnouncements:
    async def digest_figures(self, guild_id, start, end):
        return SimpleNamespace(
            sent=3,
            best=[
                (1, "Launch week", 23, "https://discord.com/channels/1/2/3"),
                (2, "Tips", 1, None),
            ],
        )

    async def upcoming_between(self, guild_id, start, end):
        return [(5, "v2 release notes", NOW + timedelta(days=3))]


class Broken:
    async def digest_figures(self, *args):
        raise RuntimeError("feature bug")

    async def upcoming_between(self, *args):
        raise RuntimeError("feature bug")


async def make_service(db, clock, zone="UTC", **providers) -> DigestService:
    settings = GuildSettingsService(GuildSettingsRepository(db), clock, "UTC")
    if zone != "UTC":
        await settings.set_timezone(G, zone)
    return DigestService(DigestRepository(db), ActivityRepository(db), settings, clock, **providers)


async def seed_known_weeks(db) -> None:
    repo = ActivityRepository(db)
    await repo.add_counts(
        [
            # week before last (22-28 Dec)
            (G, "2025-12-23", 1, 2),
            # last week (29 Dec - 4 Jan)
            (G, "2025-12-30", 1, 8),
            # this week (5-11 Jan)
            (G, "2026-01-05", 1, 10),
            (G, "2026-01-07", 2, 5),
            (G, "2026-01-11", 1, 3),
            # today: after the week, not counted
            (G, "2026-01-12", 1, 100),
            # another guild, same days
            (OTHER, "2026-01-05", 1, 999),
        ],
        [
            (G, "2025-12-23", 1, 2),
            (G, "2025-12-30", 1, 3),
            (G, "2025-12-30", 3, 3),
            (G, "2025-12-30", 5, 2),
            (G, "2026-01-05", 1, 6),
            (G, "2026-01-05", 2, 4),
            (G, "2026-01-07", 3, 5),
            (G, "2026-01-11", 4, 2),
            (G, "2026-01-11", 1, 1),
            (G, "2026-01-12", 9, 100),
            (OTHER, "2026-01-05", 77, 999),
        ],
        [(G, "2026-01-02", 2, 0), (G, "2026-01-06", 3, 1), (OTHER, "2026-01-06", 50, 50)],
    )


async def test_every_figure_of_a_known_week(tmp_path) -> None:
    clock = FixedClock(NOW)
    office, feedback = FakeOfficeHours(), FakeFeedback()
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        await seed_known_weeks(db)
        service = await make_service(
            db, clock, office_hours=office, feedback=feedback, announcements=FakeAnnouncements()
        )
        digest = await service.build_week(G, await service.last_whole_week(G), chart=False)

    assert digest.period == Period(date(2026, 1, 5), date(2026, 1, 12), ZoneInfo("UTC"))
    start, end = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC)
    assert office.calls == [(G, start, end)]
    assert feedback.calls == [(G, start, end, datetime(2025, 12, 29, tzinfo=UTC))]
    assert digest.header() == "📬 **Weekly digest** · Mon 05 Jan – Sun 11 Jan 2026 (UTC)"
    assert not digest.is_empty

    embeds = {e.title: e.description for e in digest.embeds()}
    assert list(embeds) == [
        "Community health",
        "🎙️ Office hours",
        "🧭 Pain points",
        "🚢 You asked, we shipped",
        "📣 Content",
        "🗓️ Coming up",
    ]
    assert embeds["Community health"] == (
        "👥 Active members: **4** ▲ 33% (last week: 3)\n"
        "🆕 New members: **3** ▲ 50% (last week: 2)\n"
        "🔁 Returning members: **2** ▲ 100% (last week: 1)\n"
        "💬 Messages: **18** ▲ 125% (last week: 8)\n"
        "👋 Left: **1** ▲ new (last week: 0)"
    )
    assert embeds["🎙️ Office hours"] == (
        "Sessions held: **2**\n"
        "Questions: **9** asked · **6** answered · **1** skipped · **2** carried over\n"
        "Median wait: **6 min**\n"
        "Unique askers: **5**\n"
        "Hosts:\n<@501>\n<@502>"
    )
    assert embeds["🧭 Pain points"] == (
        "New feedback items: **12**\n"
        "🔺 **Spike:** `auth` 6 vs 2 last week\n"
        "**By tag** (last week in brackets):\n"
        "`auth` 6 ▲ 200% (last week: 2)\n"
        "`docs` 4 ▼ 20% (last week: 5)\n"
        "`billing` 2 ▲ new (last week: 0)\n"
        "`sdk` 0 ▼ 100% (last week: 1)\n"
        "**Most-voted open items** (votes this period):\n"
        "#12 Login loops — 14 votes\n"
        "#9 Docs search — 7 votes\n"
        "#3 SDK typo — 1 vote"
    )
    assert embeds["🚢 You asked, we shipped"] == "✅ #7 Dark mode — thanks Alice and Bob"
    assert embeds["📣 Content"] == (
        "Announcements sent: **3**\n"
        "**Best by reactions:**\n"
        "[Launch week](https://discord.com/channels/1/2/3) — 23 reactions\n"
        "Tips — 1 reaction"
    )
    two_days = int((NOW + timedelta(days=2)).timestamp())
    three_days = int((NOW + timedelta(days=3)).timestamp())
    assert embeds["🗓️ Coming up"] == (
        f"<t:{two_days}:f> · 🎙️ Office hours: **Ask me \\*anything\\***\n"
        f"<t:{three_days}:f> · 📣 v2 release notes"
    )
    assert digest.embeds()[-1].footer == "Hallway · weekly digest · 2026-01-05"

    # The chart's series: 14 local days, then tags this week vs last.
    days = {p.day: (p.active_members, p.messages) for p in digest.chart.days}
    assert len(digest.chart.days) == 14
    assert days[date(2026, 1, 5)] == (2, 10)
    assert days[date(2025, 12, 30)] == (3, 8)
    assert days[date(2026, 1, 6)] == (0, 0)
    assert [(t.tag, t.this_period, t.last_period) for t in digest.chart.tags] == [
        ("auth", 6, 2),
        ("docs", 4, 5),
        ("billing", 2, 0),
        ("sdk", 0, 1),
    ]


async def test_week_boundary_in_auckland_counts_the_local_days(tmp_path) -> None:
    # Monday 12 Jan 09:00 in Auckland (UTC+13) is Sunday 11 Jan 20:00 UTC.
    clock = FixedClock(datetime(2026, 1, 11, 20, 0, tzinfo=UTC))
    feedback = FakeFeedback()
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        await ActivityRepository(db).add_counts(
            [
                (G, "2026-01-03", 1, 1),  # mostly local Sunday 4 Jan: last week
                (G, "2026-01-04", 1, 2),  # mostly local Monday 5 Jan: this week
                (G, "2026-01-10", 1, 3),  # mostly local Sunday 11 Jan: this week
                (G, "2026-01-11", 1, 4),  # mostly local Monday 12 Jan: next week
            ],
            [(G, "2026-01-03", 1, 1), (G, "2026-01-04", 2, 2), (G, "2026-01-10", 3, 3),
             (G, "2026-01-11", 4, 4)],
            [],
        )  # fmt: skip
        service = await make_service(db, clock, zone="Pacific/Auckland", feedback=feedback)
        digest = await service.build_week(G, await service.last_whole_week(G), chart=False)

    period = digest.period
    assert (period.start, period.end) == (date(2026, 1, 5), date(2026, 1, 12))
    assert period.start_utc == datetime(2026, 1, 4, 11, 0, tzinfo=UTC)
    assert period.end_utc == datetime(2026, 1, 11, 11, 0, tzinfo=UTC)
    assert feedback.calls[0][1:3] == (period.start_utc, period.end_utc)
    assert period.utc_days() == (date(2026, 1, 4), date(2026, 1, 10))
    health = digest.health
    assert (health.messages, health.active, health.prev_messages, health.prev_active) == (
        5,
        2,
        1,
        1,
    )
    days = {p.day: p.messages for p in digest.chart.days}
    assert days[date(2026, 1, 5)] == 2
    assert days[date(2026, 1, 11)] == 3
    assert days[date(2026, 1, 4)] == 1


async def test_an_empty_week_is_empty_and_standing_info_is_not_news(tmp_path) -> None:
    clock = FixedClock(NOW)
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        bare = await make_service(db, clock)
        digest = await bare.build_week(G, await bare.last_whole_week(G), chart=False)
        assert digest.is_empty and digest.sections == []
        assert [(e.title, e.description) for e in digest.embeds()] == [
            ("A quiet week", "Nothing to report this time.")
        ]
        quiet = FakeFeedback(new_items=0, tag_counts={}, prev_tag_counts={}, shipped=[])
        service = await make_service(
            db, clock, feedback=quiet, announcements=FakeAnnouncements(), office_hours=None
        )
        service.announcements = SimpleNamespace(
            digest_figures=FakeAnnouncements().digest_figures,
            upcoming_between=FakeAnnouncements().upcoming_between,
        )
        digest = await service.build_week(G, await service.last_whole_week(G), chart=False)
        assert not digest.is_empty  # 3 announcements were sent
        service.announcements = None
        digest = await service.build_week(G, await service.last_whole_week(G), chart=False)
        # Open items alone are standing information: the week counts as empty.
        assert [s.key for s in digest.sections] == ["pain_points"]
        assert digest.is_empty


async def test_a_broken_provider_only_loses_its_own_section(tmp_path) -> None:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        await seed_known_weeks(db)
        service = await make_service(
            db, FixedClock(NOW), office_hours=Broken(), feedback=FakeFeedback(),
            announcements=Broken(),
        )  # fmt: skip
        digest = await service.build_week(G, await service.last_whole_week(G), chart=False)
    assert [s.key for s in digest.sections] == ["health", "pain_points", "shipped"]


async def test_long_lists_are_cut_to_fit_discord_and_say_how_many_more(tmp_path) -> None:
    shipped = [(i, "A very long summary " * 10, [f"Reporter {i}"] * 8) for i in range(300)]
    tags = {f"tag-{i}": 30 - i % 30 for i in range(60)}
    feedback = FakeFeedback(shipped=shipped, tag_counts=tags)
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        await seed_known_weeks(db)
        service = await make_service(
            db, FixedClock(NOW), office_hours=FakeOfficeHours(), feedback=feedback,
            announcements=FakeAnnouncements(),
        )  # fmt: skip
        digest = await service.build_week(G, await service.last_whole_week(G), chart=False)
    embeds = digest.embeds()
    total = sum(len(e.title) + len(e.description) + len(e.footer or "") for e in embeds)
    assert total <= EMBED_TOTAL
    assert all(len(e.description) <= EMBED_DESCRIPTION for e in embeds)
    shipped_text = next(e.description for e in embeds if e.title.startswith("🚢")).splitlines()
    more = shipped_text[-1]
    assert more.startswith("…and ") and more.endswith(" more")
    assert len(shipped_text) - 1 + int(more.split()[1]) == 300
    assert (
        "Reporter 0, Reporter 0, Reporter 0, Reporter 0, Reporter 0 and 3 more" in (shipped_text[0])
    )
    # Short sections are never cut to make room.
    health = next(e.description for e in embeds if e.title == "Community health")
    assert health.count("\n") == 4


def test_change_and_spike_rules() -> None:
    assert change(3, 2) == "▲ 50%"
    assert change(1, 2) == "▼ 50%"
    assert change(2, 2) == "±0%"
    assert change(0, 0) == "–"
    assert change(5, 0) == "▲ new"
    assert change(0, 4) == "▼ 100%"
    assert is_spike(5, 2) and is_spike(10, 5) and is_spike(5, 0)
    assert not is_spike(4, 0) and not is_spike(9, 5)


def test_post_times() -> None:
    assert parse_post_time("9:00") == "09:00"
    assert parse_post_time("17:30") == "17:30"
    assert parse_post_time("5:30 pm") == "17:30"
    assert parse_post_time("12am") == "00:00"
    for bad in ("25:00", "9:75", "noon", "13pm"):
        with pytest.raises(InvalidInput, match="HH:MM"):
            parse_post_time(bad)


async def test_schedule_claims_each_week_once_and_respects_the_late_limit(tmp_path) -> None:
    clock = FixedClock(NOW)
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        service = await make_service(db, clock)
        assert await service.begin_scheduled(G) is None  # never configured
        settings = await service.configure(
            G, day="friday", post_time="17:00", timezone="America/New_York"
        )
        due = datetime(2026, 1, 16, 22, 0, tzinfo=UTC)  # Friday 17:00 EST
        assert settings.config.next_run_at == due
        assert settings.describe() == "every Friday at 17:00 (America/New_York)"
        assert await service.scheduled() == [(G, due)]
        assert await service.begin_scheduled(G) == Wait(due)

        clock.set(due + timedelta(minutes=1))
        first = await service.begin_scheduled(G)
        assert isinstance(first, ScheduledRun) and not first.recovering
        assert (first.period.start, first.period.end) == (date(2026, 1, 9), date(2026, 1, 16))
        # A second process start before the post was recorded: the claim is found again.
        again = await service.begin_scheduled(G)
        assert isinstance(again, ScheduledRun) and again.recovering
        assert again.run.id == first.run.id
        await service.finish_posted(first.run, 1, 2)
        assert await service.begin_scheduled(G) is None
        assert await service.advance_schedule(G) == due + timedelta(days=7)

        # More than 24 h late: that week is skipped.
        clock.set(due + timedelta(days=8, hours=1))
        assert await service.begin_scheduled(G) is None
        assert await service.advance_schedule(G) == due + timedelta(days=14)

        settings = await service.configure(G, enabled=False)
        assert settings.config.next_run_at is None
        assert await service.scheduled() == []


async def test_schedule_keeps_the_wall_time_across_dst(tmp_path) -> None:
    clock = FixedClock(datetime(2026, 3, 23, 12, 0, tzinfo=UTC))
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        service = await make_service(db, clock, zone="Europe/Berlin")
        settings = await service.configure(G)
        # Monday 30 March 09:00 CEST (clocks went forward on the 29th).
        assert settings.config.next_run_at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
        assert settings.zone_name == "Europe/Berlin"


async def test_bad_settings_are_refused(tmp_path) -> None:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        service = await make_service(db, FixedClock(NOW))
        with pytest.raises(InvalidInput, match="day of the week"):
            await service.configure(G, day="someday")
        with pytest.raises(InvalidInput, match="time zone"):
            await service.configure(G, timezone="Mars/Olympus")
        with pytest.raises(InvalidInput, match="between 1 and 90"):
            await service.build_window(G, 91)
        assert not (await service.settings(G)).config.stored


async def test_stats_window_counts_today_and_compares_with_the_days_before(tmp_path) -> None:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        await seed_known_weeks(db)
        service = await make_service(db, FixedClock(NOW))
        digest = await service.build_window(G, 2)  # 11 and 12 January
    assert (digest.period.start, digest.period.end) == (date(2026, 1, 11), date(2026, 1, 13))
    h = digest.health
    assert (h.messages, h.active, h.prev_messages, h.prev_active) == (103, 3, 0, 0)
    assert digest.title == "Stats for the last 2 days"
    assert "💬 Messages: **103** ▲ new (previous 2 days: 0)" in digest.embeds()[0].description


def test_chart_is_a_png_of_sensible_size() -> None:
    days = [DayPoint(date(2026, 1, 1) + timedelta(days=i), i % 5, (i * 7) % 23) for i in range(14)]
    tags = [TagPoint("auth", 6, 2), TagPoint("$docs$", 4, 5)]
    data = ChartData(days, tags)
    assert data.has_data
    png = render_chart(data)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.size == (800, 600)
    assert 5_000 < len(png) < 500_000
    no_tags = Image.open(io.BytesIO(render_chart(ChartData(days, []))))
    assert no_tags.size == (800, 300)


def test_chart_leaves_out_an_empty_activity_panel_and_counts_start_at_zero() -> None:
    from services.chart import build_figure

    start = date(2026, 1, 1)
    quiet = [DayPoint(start + timedelta(days=i), 0, 0) for i in range(14)]
    tags = [TagPoint("auth", 2, 1)]
    figure = build_figure(ChartData(quiet, tags))
    labels = [axis.get_ylabel() for axis in figure.axes]
    assert "Messages" not in labels and len(figure.axes) == 1
    assert figure.axes[0].get_ylim()[0] == 0
    assert Image.open(io.BytesIO(render_chart(ChartData(quiet, tags)))).size == (800, 300)

    # Members were active but nobody wrote a message: the Messages axis still starts at 0.
    members_only = [DayPoint(start + timedelta(days=i), i % 3, 0) for i in range(14)]
    for axis in build_figure(ChartData(members_only, [])).axes:
        low, high = axis.get_ylim()
        assert low == 0 and high >= 1


async def test_a_digest_built_by_hand_covers_the_7x24_hours_up_to_now(tmp_path) -> None:
    """The bug of issue 18: by hand, today's events and counters are in the digest."""
    clock = FixedClock(NOW)  # Monday 12 January 09:00 UTC
    office, feedback = FakeOfficeHours(), FakeFeedback()
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        await seed_known_weeks(db)
        service = await make_service(db, clock, office_hours=office, feedback=feedback)
        digest = await service.build_week(G, chart=False)  # no period: /digest preview, post

    step = timedelta(microseconds=1)
    week_ago = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    # Every event figure is asked for the same instants: just after 5 Jan 09:00 up to
    # and including now (a half-open range shifted by the smallest stored step, so
    # something stamped at this very instant counts and the weeks don't overlap).
    assert office.calls == [(G, week_ago + step, NOW + step)]
    assert feedback.calls == [
        (G, week_ago + step, NOW + step, datetime(2025, 12, 29, 9, 0, tzinfo=UTC) + step)
    ]
    assert digest.period.utc_days() == (date(2026, 1, 6), date(2026, 1, 12))
    assert (
        digest.header() == "📬 **Weekly digest** · Mon 05 Jan 09:00 – Mon 12 Jan 2026 09:00 (UTC)"
    )
    h = digest.health
    # UTC days 6-12 Jan, today included: messages 5 (7th) + 3 (11th) + 100 (today);
    # active 3, 4, 1 and 9 (today). Before: 30 Dec - 5 Jan, messages 8 + 10, active 1, 2, 3, 5.
    assert (h.messages, h.prev_messages) == (108, 18)
    assert (h.active, h.prev_active, h.returning) == (4, 4, 2)  # 1 and 3 came back
    assert (h.new, h.left, h.prev_new) == (3, 1, 2)
    assert [p.day for p in digest.chart.days][-1] == date(2026, 1, 12)
    assert len(digest.chart.days) == 14
