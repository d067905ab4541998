"""/officehours: scheduling, the question queue, live sessions, reminders and recaps.

The cog is the adapter between Discord and OfficeHoursService: it answers the
commands, buttons and modal and renders what the service decided (the queue
board, question threads). Starting, ending and cancelling sessions, their
Discord events and their alarm jobs belong to SessionLifecycle
(cogs/office_hours/jobs.py), which the cog holds and calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import NO_PINGS, advocate_only, require_advocate, send_ephemeral
from cogs._send import SEND_ERRORS
from cogs.office_hours.jobs import SessionLifecycle, archive_thread, find_channel, tell
from cogs.office_hours.render import (
    duration_text,
    escape_md,
    feedback_missing,
    fit_lines,
    quoted,
    render_board,
    render_figures,
    thread_name,
    where_text,
)
from cogs.office_hours.views import COG_NAME, JoinQueueModal, board_view, card_view
from services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from services.office_hours import (
    DEFAULT_DURATION,
    MAX_DURATION,
    MIN_DURATION,
    AskResult,
    OfficeHoursService,
    format_offset,
)
from services.people import user_ref
from services.plural import plural
from services.time.timefmt import both, discord_timestamp
from services.time.timezones import suggest_zones
from storage.office_hours.rows import Question, Session

if TYPE_CHECKING:
    from bot import HallwayBot
    from services.feedback.capture import CaptureResult

    CapturePresenter = Callable[[CaptureResult], tuple[str, discord.ui.View | None]]

log = logging.getLogger(__name__)


class OfficeHoursCog(commands.Cog, name=COG_NAME):
    officehours = app_commands.Group(
        name="officehours", description="Virtual office hours", guild_only=True
    )

    def __init__(
        self, bot: HallwayBot, service: OfficeHoursService, present_capture: CapturePresenter
    ) -> None:
        self.bot = bot
        self.service = service
        # Feedback's own presenter, handed in by bot.py: a converted question answers like
        # any other capture without this cog importing the feedback cog.
        self.present_capture = present_capture
        self._board_locks: dict[int, asyncio.Lock] = {}
        self.lifecycle = SessionLifecycle(bot, service, self.refresh_board)

    # -- the queue board and taking questions -----------------------------

    async def refresh_board(self, guild_id: int, session_id: int) -> None:
        lock = self._board_locks.setdefault(session_id, asyncio.Lock())
        # Serialised so an older render can never land after a newer one.
        async with lock:
            session = await self.service.get(guild_id, session_id)
            if session.board_message_id is None:
                return
            channel = await find_channel(self.bot, session.text_channel_id)
            if channel is None:
                return
            view = await self.service.queue_view(guild_id, session_id)
            message = channel.get_partial_message(session.board_message_id)  # type: ignore[attr-defined]
            try:
                await message.edit(
                    embed=render_board(view, await self.lifecycle.board_who(guild_id)),
                    view=board_view(session_id) if session.status == "live" else None,
                )
            except SEND_ERRORS as exc:
                log.warning("Could not update the board of session %s: %s", session_id, exc)

    async def take_next(self, interaction: discord.Interaction, session_id: int | None) -> None:
        assert interaction.guild_id is not None
        host_id = interaction.user.id
        result = await self.service.take_next(interaction.guild_id, host_id, session_id=session_id)
        session = result.session
        if result.closed_previous is not None:
            await self._close_card(result.closed_previous, f"✅ Answered by <@{host_id}>.")
        question = result.question
        if question is None:
            await self.refresh_board(interaction.guild_id, session.id)
            await send_ephemeral(interaction, "The queue is empty. 🎉 Nothing to take right now.")
            return
        channel = await find_channel(self.bot, session.text_channel_id)
        thread_link = ""
        if isinstance(channel, discord.TextChannel):
            thread_link = await self._open_thread(channel, session, question, host_id)
        await self.refresh_board(interaction.guild_id, session.id)
        if result.up_next is not None:
            await tell(
                self.bot,
                [result.up_next.user_id],
                f"You're up next in **{session.title}**: watch <#{session.text_channel_id}> "
                "for your thread.",
            )
        await send_ephemeral(
            interaction, f"Now answering <@{question.user_id}>'s question{thread_link}."
        )

    async def _open_thread(
        self, channel: discord.TextChannel, session: Session, question: Question, host_id: int
    ) -> str:
        """The question's public thread with its card; returns " in <thread>" for the reply."""
        voice = (
            f"\nPlease join <#{session.location_channel_id}> so we can talk it through."
            if session.location_channel_id
            else ""
        )
        text = (
            f"<@{question.user_id}>, you're up! <@{host_id}> is taking your question."
            f"{voice}\n>>> {discord.utils.escape_mentions(question.question)}"
        )
        ping_asker = discord.AllowedMentions(
            everyone=False, roles=False, users=[discord.Object(question.user_id)]
        )
        try:
            thread = await channel.create_thread(
                name=thread_name(question),
                type=discord.ChannelType.public_thread,
                auto_archive_duration=1440,
            )
            card = await thread.send(
                text, view=card_view(session.id, question.id), allowed_mentions=ping_asker
            )
        except discord.HTTPException as exc:
            # The question stays taken: the host can still answer it by voice or in the
            # channel, so the asker must still hear that it's their turn.
            log.warning("Could not open a thread for question %s: %s", question.id, exc)
            told = ""
            with contextlib.suppress(discord.HTTPException):
                await channel.send(text, allowed_mentions=ping_asker)
                told = "; I told them in the channel instead"
            return (
                ", but I couldn't open its thread (check that I may create public threads "
                f"in <#{channel.id}>){told}"
            )
        await self.service.set_thread(session.guild_id, question.id, thread.id, card.id)
        return f" in {thread.mention}"

    async def _close_card(self, question: Question, note: str) -> None:
        if question.thread_id is None or question.card_message_id is None:
            return
        thread = await find_channel(self.bot, question.thread_id)
        if thread is None:
            return
        try:
            await thread.get_partial_message(question.card_message_id).edit(view=None)  # type: ignore[attr-defined]
            await thread.send(note, allowed_mentions=NO_PINGS)
        except discord.HTTPException as exc:
            log.info("Could not close the card of question %s: %s", question.id, exc)

    # -- button and modal entry points ------------------------------------

    async def board_join(self, interaction: discord.Interaction, session_id: int) -> None:
        assert interaction.guild_id is not None
        session = await self.service.get(interaction.guild_id, session_id)
        if session.status != "live":
            raise NotFound("This session has ended. Use `/officehours ask` for the next one.")
        await interaction.response.send_modal(JoinQueueModal(session_id, session.title))

    async def modal_ask(self, interaction: discord.Interaction, session_id: int, text: str) -> None:
        assert interaction.guild_id is not None
        result = await self.service.ask(
            interaction.guild_id, interaction.user.id, text, session_id=session_id
        )
        await send_ephemeral(interaction, self._ask_reply(result))
        await self.refresh_board(interaction.guild_id, session_id)

    async def board_leave(self, interaction: discord.Interaction, session_id: int) -> None:
        assert interaction.guild_id is not None
        await self.service.leave(interaction.guild_id, interaction.user.id, session_id=session_id)
        await send_ephemeral(interaction, "You've left the queue. Your question was withdrawn.")
        await self.refresh_board(interaction.guild_id, session_id)

    async def board_next(self, interaction: discord.Interaction, session_id: int) -> None:
        await require_advocate(interaction)
        await self.take_next(interaction, session_id)

    async def card_action(
        self, interaction: discord.Interaction, action: str, question_id: int
    ) -> None:
        await require_advocate(interaction)
        assert interaction.guild_id is not None
        guild_id, host_id = interaction.guild_id, interaction.user.id
        if action == "answered":
            question = await self.service.mark_answered(guild_id, question_id, host_id)
            await interaction.response.edit_message(view=None)
            await interaction.followup.send(
                f"✅ Answered by <@{host_id}>.", allowed_mentions=NO_PINGS
            )
            await self.refresh_board(guild_id, question.session_id)
        elif action == "skip":
            result = await self.service.skip(guild_id, question_id, host_id)
            await interaction.response.edit_message(view=None)
            if result.dropped:
                note = "⏭️ Skipped a second time, so this question is dropped from the queue."
            else:
                note = "⏭️ Skipped: the question moves to the end of the queue (once)."
            await interaction.followup.send(note, allowed_mentions=NO_PINGS)
            # A no-show's thread is done with: if they come back, their next turn opens a new one.
            await archive_thread(interaction.channel)
            await self.refresh_board(guild_id, result.session.id)
        else:
            await self._convert_to_feedback(interaction, question_id)

    async def _convert_to_feedback(
        self, interaction: discord.Interaction, question_id: int
    ) -> None:
        assert interaction.guild_id is not None
        feedback = self.bot.services.feedback
        if feedback_missing(feedback):
            await send_ephemeral(
                interaction,
                "Feedback capture isn't available on this bot yet, so nothing was saved.",
            )
            return
        question = await self.service.question(interaction.guild_id, question_id)
        if question.feedback_id is not None:
            await send_ephemeral(interaction, f"Already saved as feedback #{question.feedback_id}.")
            return
        source = (
            f"https://discord.com/channels/{interaction.guild_id}/{question.thread_id}"
            if question.thread_id
            else None
        )
        result = await feedback.capture_from_office_hours(
            guild_id=interaction.guild_id,
            reporter_id=question.user_id,
            captured_by_id=interaction.user.id,
            text=question.question,
            source_url=source,
        )
        await self.service.attach_feedback(interaction.guild_id, question_id, result.item.id)
        # In the thread, for everyone in it: the same reply as any other capture (id, tags,
        # similar open items with their +1 buttons), and who captured it.
        text, view = self.present_capture(result)
        kwargs = {"view": view} if view is not None else {}
        await interaction.response.send_message(
            f"{text}\nCaptured by <@{interaction.user.id}>.",
            allowed_mentions=NO_PINGS,
            **kwargs,
        )

    # -- presenters -------------------------------------------------------

    def _ask_reply(self, result: AskResult) -> str:
        session = result.session
        verb = "updated" if result.replaced else "queued"
        when = (
            "The session is live"
            if session.status == "live"
            else f"It waits for **{escape_md(session.title)}**, {both(session.starts_at)}"
        )
        minutes = round(result.estimated_wait.total_seconds() / 60)
        wait = "you're next" if minutes == 0 else f"about {minutes} min"
        if session.status != "live" and minutes:
            wait += " after it starts"
        return (
            f"✅ Your question is {verb}. {when}; you're **#{result.position}** in line "
            f"(estimated wait: {wait}). Use `/officehours leave` to withdraw it."
        )

    async def _session_choices(
        self, interaction: discord.Interaction, current: str, *, statuses: tuple[str, ...]
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        needle = current.strip().lower().lstrip("#")
        choices = []
        for entry in await self.service.upcoming(interaction.guild_id, 25):
            session = entry.session
            if session.status not in statuses:
                continue
            if needle and needle not in session.title.lower() and needle != str(session.id):
                continue
            local = session.starts_at.astimezone(ZoneInfo(session.zone))
            label = (
                f"#{session.id} {session.title}"[:70]
                + f" · {local:%a %d %b %H:%M} {local.tzname()}"
            )
            choices.append(app_commands.Choice(name=label[:100], value=session.id))
        return choices[:25]

    # -- commands ---------------------------------------------------------

    @officehours.command(name="schedule")
    @app_commands.describe(
        title="What the session is called, e.g. EMEA office hours",
        start="When it starts, e.g. 2026-12-01 17:00, tomorrow 17:00, friday 9am, in 2 hours",
        duration="Length in minutes (15–480, default 60)",
        timezone="Time zone for the start time and repeats (default: the server's)",
        repeat="Whether it repeats",
        location="Voice or stage channel to meet in (default: the office-hours text channel)",
        description="Shown on the Discord event",
    )
    @advocate_only()
    async def schedule(
        self,
        interaction: discord.Interaction,
        title: str,
        start: str,
        duration: app_commands.Range[int, MIN_DURATION, MAX_DURATION] = DEFAULT_DURATION,
        timezone: str | None = None,
        repeat: Literal["none", "weekly", "every-2-weeks"] = "none",
        location: discord.VoiceChannel | discord.StageChannel | None = None,
        description: str | None = None,
    ) -> None:
        """Schedule office hours (also creates the Discord event)."""
        assert interaction.guild is not None
        plan = await self.service.plan_session(
            interaction.guild.id,
            host_id=interaction.user.id,
            title=title,
            start=start,
            duration_minutes=duration,
            timezone=timezone,
            repeat=repeat,
            description=description,
            location_channel_id=location.id if location else None,
            location_kind="stage" if isinstance(location, discord.StageChannel) else "voice",
        )
        text_channel = interaction.guild.get_channel(plan.new.text_channel_id)
        if not isinstance(text_channel, discord.TextChannel):
            raise InvalidInput(
                "The office-hours channel must be a text channel I can see. Pick one with "
                "`/setup channel kind:office-hours`."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            event = await self.lifecycle.create_event(plan.new, interaction.guild)
        except discord.Forbidden as error:
            raise NotAllowed(
                "Discord refused to create the event: give my role the Manage Events "
                "permission, then schedule again. Nothing was scheduled."
            ) from error
        except discord.HTTPException as error:
            # The session is only stored with its event, so nothing was half-made.
            raise Conflict(
                f"Discord didn't create the event (error {error.status}), so nothing was "
                "scheduled. Try `/officehours schedule` again in a minute."
            ) from error
        try:
            session = await self.service.create_session(plan, event.id)
        except BaseException:
            # No session row means no event either.
            with contextlib.suppress(discord.HTTPException):
                await event.delete()
            raise
        await self.lifecycle.schedule_jobs(session)
        lines = [
            f"✅ Scheduled **{escape_md(session.title)}** (#{session.id}) "
            f"for {both(session.starts_at)}, "
            f"{duration_text(session.duration)} in {where_text(session)}. The Discord event is up.",
        ]
        if plan.repeat_text:
            dates = ", ".join(discord_timestamp(d, "F") for d in plan.next_dates)
            lines.append(f"Repeats {plan.repeat_text}. Next: {dates}.")
        await send_ephemeral(interaction, fit_lines(lines, 2000))

    @schedule.autocomplete("timezone")
    async def schedule_timezone(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest_zones(current)]

    @officehours.command(name="upcoming")
    async def upcoming(self, interaction: discord.Interaction) -> None:
        """List the next office-hours sessions."""
        assert interaction.guild_id is not None
        entries = await self.service.upcoming(interaction.guild_id, 10)
        if not entries:
            await send_ephemeral(
                interaction,
                "No office hours are scheduled. "
                "Advocates can add one with `/officehours schedule`.",
            )
            return
        lines = ["**Upcoming office hours**"]
        for entry in entries:
            s = entry.session
            live = " 🔴 live now" if s.status == "live" else ""
            lines.append(
                f"• **{escape_md(s.title)}** (#{s.id}){live}: {both(s.starts_at)}, "
                f"host {user_ref(s.host_id)}, in {where_text(s)}, "
                f"{plural(entry.waiting, 'question')} waiting"
            )
        await send_ephemeral(interaction, fit_lines(lines, 2000))

    async def _refuse_call(self, guild_id: int, session_id: int | None) -> None:
        """A call's session belongs to /calls: its start, end and cancel come from there."""
        if session_id is None:
            return
        found = await self.service.session(guild_id, session_id)
        if found is not None and found.origin == "call":
            raise InvalidInput(
                f"Session {session_id} is a community call, not office hours; it starts and "
                "ends by itself, and `/calls slot-remove` cancels its slot's calls."
            )

    @officehours.command(name="cancel")
    @app_commands.describe(
        session="The session to cancel", scope="Only this one, or the whole series"
    )
    @advocate_only()
    async def cancel(
        self,
        interaction: discord.Interaction,
        session: int,
        scope: Literal["this", "series"] = "this",
    ) -> None:
        """Cancel a scheduled session or its whole series."""
        assert interaction.guild_id is not None
        await self._refuse_call(interaction.guild_id, session)
        result = await self.service.cancel(interaction.guild_id, session, scope)
        await self.lifecycle.apply_cancel(result)
        title = result.cancelled[0].title
        when = both(result.cancelled[0].starts_at)
        text = f"🗑️ Cancelled **{escape_md(title)}** on {when}."
        if result.next_session is not None:
            text += f" The series continues {both(result.next_session.starts_at)}."
        elif scope == "series":
            text += " The series won't repeat."
        await send_ephemeral(interaction, text)

    @cancel.autocomplete("session")
    async def cancel_session(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._session_choices(interaction, current, statuses=("scheduled",))

    @officehours.command(name="ask")
    @app_commands.describe(question="Your question (up to 1,000 characters)")
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        """Queue a question for the live or next office hours."""
        assert interaction.guild_id is not None
        result = await self.service.ask(interaction.guild_id, interaction.user.id, question)
        await send_ephemeral(interaction, self._ask_reply(result))
        if result.session.status == "live":
            await self.refresh_board(interaction.guild_id, result.session.id)

    @officehours.command(name="leave")
    async def leave(self, interaction: discord.Interaction) -> None:
        """Withdraw your waiting question."""
        assert interaction.guild_id is not None
        question = await self.service.leave(interaction.guild_id, interaction.user.id)
        await send_ephemeral(interaction, "You've left the queue. Your question was withdrawn.")
        await self.refresh_board(interaction.guild_id, question.session_id)

    @officehours.command(name="queue")
    async def queue(self, interaction: discord.Interaction) -> None:
        """Show the queue of the live or next session."""
        assert interaction.guild_id is not None
        view = await self.service.queue_view(interaction.guild_id)
        s = view.session
        state = "live now" if s.status == "live" else f"starts {both(s.starts_at)}"
        lines = [f"**{escape_md(s.title)}** ({state})"]
        for q in view.in_progress:
            lines.append(f"Now answering: {user_ref(q.user_id)} {quoted(q.question, 60)}")
        for i, q in enumerate(view.waiting, 1):
            wait = round(view.wait_for(i).total_seconds() / 60)
            mine = " ← you" if q.user_id == interaction.user.id else ""
            lines.append(f"{i}. {user_ref(q.user_id)} {quoted(q.question, 60)} (~{wait} min){mine}")
        if not view.waiting:
            lines.append("Nobody is waiting. Ask with `/officehours ask`.")
        await send_ephemeral(interaction, fit_lines(lines, 2000))

    @officehours.command(name="start")
    @app_commands.describe(session="Which session (default: the next scheduled one)")
    @advocate_only()
    async def start(self, interaction: discord.Interaction, session: int | None = None) -> None:
        """Start office hours now and post the queue board."""
        assert interaction.guild_id is not None
        await self._refuse_call(interaction.guild_id, session)
        await interaction.response.defer(ephemeral=True, thinking=True)
        started = await self.lifecycle.start_session(interaction.guild_id, session)
        if started.board_message_id is None:
            # start_session logged why; the host must not be told a board exists.
            board = (
                f"I couldn't post the queue board in <#{started.text_channel_id}> "
                "(check that I can send messages there); members can still queue with "
                "`/officehours ask`"
            )
        else:
            board = f"The queue board is in <#{started.text_channel_id}>"
        await send_ephemeral(
            interaction,
            f"🟢 **{escape_md(started.title)}** is live. {board}; take questions with "
            "`/officehours next`.",
        )

    @start.autocomplete("session")
    async def start_session_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._session_choices(interaction, current, statuses=("scheduled",))

    @officehours.command(name="next")
    @app_commands.describe(session="Which live session (only needed when several are live)")
    @advocate_only()
    async def next_question(
        self, interaction: discord.Interaction, session: int | None = None
    ) -> None:
        """Take the next question: opens its thread and pings the asker."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.take_next(interaction, session)

    @officehours.command(name="end")
    @app_commands.describe(session="Which live session (only needed when several are live)")
    @advocate_only()
    async def end(self, interaction: discord.Interaction, session: int | None = None) -> None:
        """End the live session and post the recap."""
        assert interaction.guild_id is not None
        await self._refuse_call(interaction.guild_id, session)
        await interaction.response.defer(ephemeral=True, thinking=True)
        recap = await self.lifecycle.end_session(interaction.guild_id, session)
        ended = recap.session
        posted = (
            "the recap is posted"
            if ended.recap_message_id is not None
            else f"I couldn't post the recap in <#{ended.text_channel_id}> (check that I can "
            "send messages there); `/officehours history` has its figures"
        )
        text = f"🏁 Ended **{escape_md(recap.session.title)}**; {posted}."
        if recap.next_session is not None:
            text += f" Next session: {both(recap.next_session.starts_at)}."
        await send_ephemeral(interaction, text)

    @next_question.autocomplete("session")
    @end.autocomplete("session")
    async def live_session_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._session_choices(interaction, current, statuses=("live",))

    @officehours.command(name="history")
    @app_commands.describe(count="How many past sessions to show (1–25, default 5)")
    async def history(
        self, interaction: discord.Interaction, count: app_commands.Range[int, 1, 25] = 5
    ) -> None:
        """Show past sessions with their figures."""
        assert interaction.guild_id is not None
        past = await self.service.history(interaction.guild_id, count)
        if not past:
            await send_ephemeral(interaction, "No office hours have been held yet.")
            return
        lines = ["**Past office hours**"] + [f"• {render_figures(s, f)}" for s, f in past]
        await send_ephemeral(interaction, fit_lines(lines, 2000))

    @officehours.command(name="settings")
    @app_commands.describe(
        auto_start="Start sessions automatically at their start time",
        auto_end="End live sessions automatically at their end time plus the grace period",
        grace_minutes="Minutes after the end time before an automatic end (0–240)",
        reminders="When to remind before a session, e.g. 24h, 15m (or none)",
        reminder_role="A role to mention in reminders",
        clear_reminder_role="Stop mentioning a role in reminders",
    )
    @advocate_only()
    async def settings_command(
        self,
        interaction: discord.Interaction,
        auto_start: bool | None = None,
        auto_end: bool | None = None,
        grace_minutes: int | None = None,
        reminders: str | None = None,
        reminder_role: discord.Role | None = None,
        clear_reminder_role: bool = False,
    ) -> None:
        """Show or change office-hours settings for this server."""
        assert interaction.guild_id is not None
        settings = await self.service.update_settings(
            interaction.guild_id,
            auto_start=auto_start,
            auto_end=auto_end,
            grace_minutes=grace_minutes,
            reminders=reminders,
            reminder_role_id=reminder_role.id if reminder_role else None,
            clear_reminder_role=clear_reminder_role,
        )
        await self.lifecycle.rebuild_jobs(interaction.guild_id)
        offsets = ", ".join(format_offset(o) for o in settings.reminder_offsets) or "none"
        role = f"<@&{settings.reminder_role_id}>" if settings.reminder_role_id else "none"
        await send_ephemeral(
            interaction,
            "**Office-hours settings**\n"
            f"Auto start: {'on' if settings.auto_start else 'off'}\n"
            f"Auto end: {'on' if settings.auto_end else 'off'} "
            f"({settings.grace_minutes} min after the end time)\n"
            f"Reminders before start: {offsets}\n"
            f"Reminder role: {role}",
        )
