"""/stats: community figures for advocates, only to them. ``/stats summary`` is the
digest's (handed in from bot.py); the funnel, responsiveness, retention and loop
closure are metrics' own."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import NO_PINGS, advocate_only
from services.errors import InvalidInput
from services.metrics.figures import (
    FUNNEL_STEPS,
    Funnel,
    LoopClosure,
    Responsiveness,
    RetentionRow,
    duration,
    percent,
)
from services.metrics.levels import Movement
from services.metrics.report import MonthlyReport, change_text, number
from services.metrics.service import MAX_DAYS, MAX_WEEKS, MetricsService
from services.plural import plural
from services.worker_process import WorkerError

COLOUR = discord.Colour(0x5B8DEF)
RETENTION_PNG = "retention.png"
RETENTION_CSV = "retention.csv"
NO_HELP_POSTS = (
    "-# No help-channel posts in this window (mark help channels with `/setup channel kind:help`)."
)
# The digest's /stats summary reply: (guild_id, days) -> send_message keyword arguments.
Summary = Callable[[int, int], Awaitable[dict[str, Any]]]


def funnel_embed(result: Funnel, weeks: int) -> discord.Embed:
    header = f"{'Join week':<10}{'Joined':>7}{'Msg':>5}{'Ask':>5}{'Ans':>5}{'Wk 2':>6}"
    lines = [header]
    for week in result.weeks:
        c = week.counts
        wk2 = f"{c[4]}" if week.second_week_over else f"{c[4]}*"
        lines.append(f"{week.week:%d %b %y}{c[0]:>8}{c[1]:>5}{c[2]:>5}{c[3]:>5}{wk2:>6}")
    totals = result.totals
    steps = []
    for i, (name, count, rate) in enumerate(
        zip(FUNNEL_STEPS, totals, result.conversion(totals), strict=True)
    ):
        after = "" if rate is None else f" · {percent(rate)} of the step before"
        steps.append(f"{i + 1}. {name}: **{count}**{after}")
    answered = plural(result.answered, "member")
    description = "\n".join(
        [
            "```",
            *lines,
            "```",
            *steps,
            f"⏱️ Median time from joining to a first answer: "
            f"**{duration(result.median_to_answer)}** ({answered})",
            "-# Each step counts members who reached it and every step before. "
            "Weeks are UTC, Monday to Sunday. * the week's second week isn't over yet.",
        ]
    )
    return discord.Embed(
        title=f"Activation funnel · last {plural(weeks, 'join week')}",
        description=description,
        colour=COLOUR,
    )


def _unanswered(result: Responsiveness, what: str) -> str:
    if not result.due:
        return f"— (no {what} is 24 hours old yet)"
    return f"**{result.unanswered_after_24h}** of {result.due} ({percent(result.unanswered_share)})"


def help_lines(result: Responsiveness | None) -> list[str]:
    if result is None or not result.asked:
        return [NO_HELP_POSTS]
    return [
        f"💬 Help-channel posts: **{result.asked}**, replied to by someone else: "
        f"**{result.answered}**",
        f"⏱️ Time to a first reply: median **{duration(result.median)}**, "
        f"90th percentile **{duration(result.p90)}**",
        f"⌛ Without a reply after 24 hours: {_unanswered(result, 'post')}",
    ]


def responsiveness_embed(result: Responsiveness, days: int) -> discord.Embed:
    unanswered = (
        f"**{result.unanswered_after_24h}** of {result.due} ({percent(result.unanswered_share)})"
        if result.due
        else "— (no question is 24 hours old yet)"
    )
    description = "\n".join(
        [
            f"❓ Office-hours questions asked: **{result.asked}**, answered: **{result.answered}**",
            f"⏱️ Time to a first answer: median **{duration(result.median)}**, "
            f"90th percentile **{duration(result.p90)}**",
            f"⌛ Unanswered after 24 hours: {unanswered}",
            *help_lines(result.help),
        ]
    )
    return discord.Embed(
        title=f"Responsiveness · last {plural(days, 'day')}",
        description=description,
        colour=COLOUR,
    )


def retention_text(rows: list[RetentionRow]) -> str:
    lines = [f"{'Join week':<10}{'Size':>5} " + " ".join(f"{'W' + str(k):>4}" for k in range(1, 9))]
    for row in rows:
        cells = " ".join(
            f"{'':>4}" if part is None else f"{round(part * 100):>3}%" for part in row.shares
        )
        lines.append(f"{row.cohort:%d %b %y}{row.size:>6} {cells}")
    return "\n".join(["```", *lines, "```"])


def loop_embed(result: LoopClosure, days: int) -> discord.Embed:
    lines = [
        f"🚀 Items shipped: **{result.shipped}**, reaching "
        f"**{plural(result.people, 'reporter or voter', 'reporters and voters')}**",
        f"📨 Told by DM that it shipped: told **{result.told}** of {result.people} "
        "reporters and voters",
        f"⏱️ Median time from capture to shipped: **{duration(result.median_to_ship)}**",
    ]
    if result.by_tag:
        lines.append("**By tag**")
        lines += [
            f"• {t.tag}: {t.shipped} shipped, median {duration(t.median_to_ship)}"
            for t in result.by_tag[:15]
        ]
    return discord.Embed(
        title=f"Loop closure · last {plural(days, 'day')}",
        description="\n".join(lines),
        colour=COLOUR,
    )


class MetricsCog(commands.Cog):
    # Discord can't run a group by its name alone: each figure is a subcommand.
    stats = app_commands.Group(
        name="stats", description="Community figures, only to you", guild_only=True
    )

    def __init__(self, service: MetricsService, summary: Summary) -> None:
        self.service = service
        self._summary = summary

    @stats.command(name="summary")
    @app_commands.describe(days="How many days to cover, counting today (1-90, default 7)")
    @advocate_only()
    async def summary(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 90] = 7
    ) -> None:
        """Show community figures for the last few days, only to you."""
        assert interaction.guild_id is not None
        reply = await self._summary(interaction.guild_id, days)
        await interaction.response.send_message(**reply, ephemeral=True, allowed_mentions=NO_PINGS)

    @stats.command(name="funnel")
    @app_commands.describe(
        weeks=f"How many join weeks, this one included (1-{MAX_WEEKS}, default 8)"
    )
    @advocate_only()
    async def funnel(
        self,
        interaction: discord.Interaction,
        weeks: app_commands.Range[int, 1, MAX_WEEKS] = 8,
    ) -> None:
        """Newcomers per join week: first message, first question, first answer, week 2."""
        assert interaction.guild_id is not None
        result = await self.service.funnel(interaction.guild_id, weeks)
        await interaction.response.send_message(
            embed=funnel_embed(result, weeks), ephemeral=True, allowed_mentions=NO_PINGS
        )

    @stats.command(name="responsiveness")
    @app_commands.describe(days=f"How many days back to look (1-{MAX_DAYS}, default 28)")
    @advocate_only()
    async def responsiveness(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, MAX_DAYS] = 28,
    ) -> None:
        """How fast questions get a first answer, and how many wait past 24 hours."""
        assert interaction.guild_id is not None
        result = await self.service.responsiveness(interaction.guild_id, days)
        await interaction.response.send_message(
            embed=responsiveness_embed(result, days), ephemeral=True, allowed_mentions=NO_PINGS
        )

    @stats.command(name="retention")
    @app_commands.describe(
        weeks=f"How many join weeks, ending last week (1-{MAX_WEEKS}, default 8)",
        format="A heat-map picture (png) or a spreadsheet (csv)",
    )
    @advocate_only()
    async def retention(
        self,
        interaction: discord.Interaction,
        weeks: app_commands.Range[int, 1, MAX_WEEKS] = 8,
        format: Literal["png", "csv"] = "png",
    ) -> None:
        """Members grouped by join week: the share active in each of the 8 weeks after."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        rows = await self.service.retention(interaction.guild_id, weeks)
        embed = discord.Embed(
            title=f"Retention · last {plural(weeks, 'join week')}",
            description=retention_text(rows)
            + "\n-# Share of each join week's members active (a message, a Hallway command, "
            "a reaction or a call) in each of the 8 weeks after. Blank: not over yet.",
            colour=COLOUR,
        )
        if format == "csv":
            file = discord.File(io.BytesIO(self.service.retention_csv(rows)), RETENTION_CSV)
        else:
            png = await self.service.retention_png(rows)
            file = discord.File(io.BytesIO(png), RETENTION_PNG)
            embed.set_image(url=f"attachment://{RETENTION_PNG}")
        await interaction.followup.send(
            embed=embed, file=file, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @stats.command(name="loop")
    @app_commands.describe(days=f"How many days back to look (1-{MAX_DAYS}, default 90)")
    @advocate_only()
    async def loop(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, MAX_DAYS] = 90,
    ) -> None:
        """Shipped feedback: how many, how fast from capture, by tag."""
        assert interaction.guild_id is not None
        result = await self.service.loop_closure(interaction.guild_id, days)
        await interaction.response.send_message(
            embed=loop_embed(result, days), ephemeral=True, allowed_mentions=NO_PINGS
        )

    @stats.command(name="levels")
    @advocate_only()
    async def levels(self, interaction: discord.Interaction) -> None:
        """Members per level (90-day score), and who moved up or down this week."""
        assert interaction.guild_id is not None
        counts, ups, downs = await self.service.level_movement(interaction.guild_id)
        lines = [f"**{name.title()}**: {n}" for name, n in counts.items()]
        lines.append("")
        lines.append("⬆️ Moved up this week: " + _moves(ups))
        lines.append("⬇️ Moved down this week: " + _moves(downs))
        embed = discord.Embed(
            title="📶 Member levels (last 90 days)", description="\n".join(lines), colour=COLOUR
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @stats.command(name="levels-configure")
    @app_commands.describe(
        message="Points per message (default 1)",
        question="Points per office-hours question asked (default 3)",
        feedback="Points per feedback item reported (default 3)",
        vote="Points per feedback vote (default 1)",
        answer="Points per office-hours answer given (default 5)",
        hosting="Points per office-hours session hosted (default 8)",
        thresholds="Scores where participant, contributor, champion start, e.g. 5,20,50",
    )
    @advocate_only()
    async def levels_configure(
        self,
        interaction: discord.Interaction,
        message: str | None = None,
        question: str | None = None,
        feedback: str | None = None,
        vote: str | None = None,
        answer: str | None = None,
        hosting: str | None = None,
        thresholds: str | None = None,
    ) -> None:
        """Change what each activity is worth, and where each level starts."""
        assert interaction.guild_id is not None
        given = {
            "message": message,
            "question": question,
            "feedback": feedback,
            "vote": vote,
            "answer": answer,
            "hosting": hosting,
        }
        weights: dict[str, object] = {k: v for k, v in given.items() if v is not None}
        settings = await self.service.configure_levels(
            interaction.guild_id, weights, parse_thresholds(thresholds)
        )
        shown = ", ".join(f"{k} {v:g}" for k, v in (settings.weights or {}).items())
        starts = (
            " / ".join(f"{t:g}" for t in settings.thresholds)
            if settings.thresholds
            else "from this server's percentiles"
        )
        await interaction.response.send_message(
            f"Saved. Weights: {shown}. Participant / contributor / champion start at: {starts}.",
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="report")
    @app_commands.guild_only()
    @app_commands.describe(month="The month, as YYYY-MM (default: last month)")
    @advocate_only()
    async def report(self, interaction: discord.Interaction, month: str | None = None) -> None:
        """A month's impact report: headline figures as a picture, every figure as CSV."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.service.report(interaction.guild_id, month)
        name = f"report-{report.month:%Y-%m}"
        files = [discord.File(io.BytesIO(self.service.report_csv(report)), f"{name}.csv")]
        embed = discord.Embed(
            title=f"Impact report · {report.month:%B %Y}",
            description=report_text(report),
            colour=COLOUR,
        )
        try:
            png = await self.service.report_png(report)
        except WorkerError:
            png = None  # the figures still go out, without their picture
        if png is not None:
            files.insert(0, discord.File(io.BytesIO(png), f"{name}.png"))
            embed.set_image(url=f"attachment://{name}.png")
        await interaction.followup.send(
            embed=embed, files=files, ephemeral=True, allowed_mentions=NO_PINGS
        )


def report_text(report: MonthlyReport) -> str:
    lines = [
        f"• {f.label}: **{number(f.value, f.unit)}** ({change_text(f)})" for f in report.headline
    ]
    if report.through is not None:
        lines.append(
            f"-# This month isn't over: figures up to <t:{int(report.through.timestamp())}:F>."
        )
    lines.append("-# UTC months, compared with the month before. Every figure is in the CSV.")
    return "\n".join(lines)


def _moves(moves: list[Movement]) -> str:
    if not moves:
        return "nobody"
    shown = ", ".join(f"<@{m.user_id}> ({m.before} → {m.after})" for m in moves[:20])
    more = len(moves) - 20
    return shown + (f" and {more} more" if more > 0 else "")


def parse_thresholds(text: str | None) -> list[float] | None:
    if text is None or not text.strip():
        return None
    try:
        return [float(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise InvalidInput(
            f"Thresholds must be three numbers separated by commas, like 5,20,50 (got '{text}')."
        ) from None
