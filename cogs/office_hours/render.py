"""How office hours look in Discord: the board, the recap, figures and short texts."""

from __future__ import annotations

from datetime import timedelta

import discord

from cogs._common import embed_label, fit_lines
from services.office_hours import (
    QueueView,
    Recap,
    one_line,
)
from services.people import user_ref
from services.plural import plural
from services.time.timefmt import both, discord_timestamp, span_text
from storage.office_hours.rows import OfficeHoursFigures, Question, Session


def duration_text(delta: timedelta) -> str:
    return span_text(delta)


def wait_text(seconds: float | None) -> str:
    return "n/a" if seconds is None else span_text(seconds)


def where_text(session: Session) -> str:
    if session.location_channel_id:
        return f"<#{session.location_channel_id}>"
    return f"<#{session.text_channel_id}>"


def escape_md(text: str) -> str:
    return discord.utils.escape_markdown(text)


def quoted(text: str, limit: int = 80) -> str:
    return f"“{escape_md(one_line(text, limit))}”"


def thread_name(question: Question) -> str:
    name = one_line(question.question, 90)
    return name or f"Question {question.id}"


def feedback_missing(service: object) -> bool:
    return service is None or not hasattr(service, "capture_from_office_hours")


def render_board(view: QueueView, who_to_ask: str | None = None) -> discord.Embed:
    session = view.session
    embed = discord.Embed(
        title=embed_label(f"🙋 Office hours: {session.title}"),
        colour=discord.Colour.green() if session.status == "live" else discord.Colour.dark_grey(),
    )
    if session.status != "live":
        embed.description = "This session has ended. Thanks for coming!"
        return embed
    now_answering = [
        f"{user_ref(q.user_id)} {quoted(q.question)}"
        + (f" in <#{q.thread_id}>" if q.thread_id else "")
        for q in view.in_progress
    ]
    up_next = [
        f"{i}. {user_ref(q.user_id)} {quoted(q.question, 60)}"
        for i, q in enumerate(view.waiting, 1)
    ]
    embed.add_field(
        name="Now answering", value=fit_lines(now_answering, 1024, "Nobody yet"), inline=False
    )
    embed.add_field(
        name="Up next", value=fit_lines(up_next, 1024, "The queue is empty"), inline=False
    )
    embed.add_field(name="In the queue", value=str(len(view.waiting)), inline=True)
    embed.add_field(name="Ends", value=discord_timestamp(session.ends_at, "R"), inline=True)
    if session.location_channel_id:
        embed.add_field(name="Voice", value=f"<#{session.location_channel_id}>", inline=True)
    if who_to_ask:
        # Mentions in an embed never ping: it names the on-call advocate quietly.
        embed.add_field(name="Who to ask", value=who_to_ask[:1024], inline=False)
    embed.set_footer(text="Press Join queue or use /officehours ask to ask a question.")
    return embed


def render_recap(recap: Recap) -> discord.Embed:
    session = recap.session
    embed = discord.Embed(
        title=embed_label(f"📋 Recap: {session.title}"), colour=discord.Colour.blurple()
    )
    answered = [
        f"• {quoted(q.question, 60)} from {user_ref(q.user_id)}"
        + (f" in <#{q.thread_id}>" if q.thread_id else "")
        + (f", answered by {user_ref(q.host_id)}" if q.host_id else "")
        for q in recap.answered
    ]
    skipped = [f"• {quoted(q.question, 60)} from {user_ref(q.user_id)}" for q in recap.skipped]
    leftover = [
        f"• {quoted(q.question, 60)} from {user_ref(q.user_id)}"
        for q in recap.carried + recap.dropped
    ]
    embed.add_field(
        name=f"Answered ({len(recap.answered)})",
        value=fit_lines(answered, 1024),
        inline=False,
    )
    embed.add_field(
        name=f"Skipped ({len(recap.skipped)})",
        value=fit_lines(skipped, 1024),
        inline=False,
    )
    if recap.carried:
        assert recap.next_session is not None
        title = f"Carried over to {both(recap.next_session.starts_at)} ({len(recap.carried)})"
    else:
        title = f"Unanswered ({len(recap.dropped)})"
    embed.add_field(name=title[:256], value=fit_lines(leftover, 1024), inline=False)
    embed.add_field(name="Unique askers", value=str(recap.unique_askers), inline=True)
    embed.add_field(name="Median wait", value=wait_text(recap.median_wait_seconds), inline=True)
    embed.add_field(name="Duration", value=duration_text(recap.actual_duration), inline=True)
    return embed


def render_figures(session: Session, figures: OfficeHoursFigures) -> str:
    started = session.started_at or session.starts_at
    duration = (session.ended_at - started) if session.ended_at else session.duration
    hosts = ", ".join(user_ref(h) for h in figures.host_ids) or "n/a"
    return (
        f"**{escape_md(session.title)}** {discord_timestamp(started, 'f')}, "
        f"{duration_text(duration)}: {figures.asked} asked, {figures.answered} answered, "
        f"{figures.skipped} skipped, {figures.carried_over} carried over; "
        f"{plural(figures.unique_askers, 'asker')}, "
        f"median wait {wait_text(figures.median_wait_seconds)}; "
        f"hosts {hosts}"
    )
