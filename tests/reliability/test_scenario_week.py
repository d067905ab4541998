"""A scripted busy week (and a bit) through SimCord, restarting the bot 25 times (one a crash).

The week has a weekly office-hours series with a queue, threads, skips, carry-over and
recaps; feedback submitted, captured (menu, reaction, office hours), voted on and moved
through statuses; a daily announcement that is paused and resumed, a one-off launch
post; reminders; and two weekly digests. Virtual time only: no real sleeps.

A ledger records every write the bot acknowledged to a user. After every restart
``check`` proves, against the database and the channels:
- no acknowledged write is lost (questions, feedback items, votes, statuses, links,
  announcement states);
- no announcement, reminder, recap or digest is duplicated or lost (exact counts of the
  bot's posts per kind, against the times that have passed);
- the queue order holds (the waiting list, in order, per session);
- persistent buttons still work (an old feedback card's vote button and the old queue
  board's buttons are clicked after every restart; cards are clicked right after some).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import discord

from tests.conftest import bot_posts, card_in, schedule_announcement, submit_feedback
from tests.reliability._helpers import configure_guild, message_with

T0 = datetime(2026, 1, 1, tzinfo=UTC)  # SimCord's start: Thursday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


# Daily tip at 10:00, paused on the 4th after it posted, resumed on the 5th at 11:00.
TIP_TIMES = [at(d, 10) for d in range(1, 13) if d != 5]
LAUNCH_TIME = at(5, 12)
DIGEST_TIMES = [at(5, 9), at(12, 9)]
# Friday sessions at 17:00: reminders 24 h and 15 min before.
REMINDER_TIMES = [at(1, 17), at(2, 16, 45), at(8, 17), at(9, 16, 45)]


@dataclass
class Ledger:
    """Everything the bot acknowledged, and what must therefore hold."""

    queues: dict[int, list[int]] = field(default_factory=dict)  # session id -> waiting users
    feedback: dict[int, dict[str, Any]] = field(default_factory=dict)
    announcement_status: dict[int, str] = field(default_factory=dict)
    recaps: int = 0
    boards: int = 0
    restarts: int = 0
    buttons_clicked: int = 0


class Week:
    def __init__(self, world: Any, bots: Any, restart: Any) -> None:
        self.world = world
        self.env = world.env
        self.bots = bots
        self._restart = restart
        self.ledger = Ledger()
        self.old_card: discord.Message | None = None
        self.old_board: discord.Message | None = None

    # ------------------------------------------------------------ plumbing

    @property
    def bot(self) -> Any:
        return self.bots.current

    @property
    def gid(self) -> int:
        return self.world.guild.id

    async def until(self, when: datetime) -> None:
        seconds = (when - self.env.now()).total_seconds()
        assert seconds >= 0, f"the script went back in time to {when}"
        await self.env.advance_time(seconds)

    async def restart(self) -> None:
        await self._restart()
        self.ledger.restarts += 1
        await self.check()

    async def crash(self) -> None:
        """Like restart, but the old process dies mid-job: nothing running gets to finish."""
        await self._restart(crash=True)
        self.ledger.restarts += 1
        await self.check()

    async def waiting(self, session_id: int) -> list[int]:
        questions = await self.bot.services.office_hours.repo.questions.waiting(
            self.gid, session_id
        )
        return [q.user_id for q in questions]

    async def voters(self, item_id: int) -> set[int]:
        rows = await self.bot.db.fetchall(
            "SELECT user_id FROM feedback_votes WHERE guild_id = ? AND item_id = ?",
            (self.gid, item_id),
        )
        return {row["user_id"] for row in rows}

    def _count_due(self, times: list[datetime]) -> int:
        now = self.env.now()
        return sum(1 for t in times if t <= now)

    # ------------------------------------------------------------ the invariants

    async def check(self) -> None:
        """What must hold after every restart (and at the end)."""
        ch = self.channels
        now = self.env.now()
        # Posts: exactly once each, none lost, none doubled.
        news = [m.content for m in bot_posts(ch.news)]
        assert news.count("Daily tip") == self._count_due(TIP_TIMES), (now, news)
        assert news.count("Launch day!") == (1 if now >= LAUNCH_TIME else 0), (now, news)
        digests = [m for m in bot_posts(ch.digest) if m.embeds]
        assert len(digests) == self._count_due(DIGEST_TIMES), (now, len(digests))
        office = bot_posts(ch.office)
        reminders = [m for m in office if m.content.startswith("⏰")]
        assert len(reminders) == self._count_due(REMINDER_TIMES), (now, len(reminders))
        titles = [m.embeds[0].title or "" for m in office if m.embeds]
        assert sum(t.startswith("📋") for t in titles) == self.ledger.recaps, titles
        assert sum(t.startswith("🙋") for t in titles) == self.ledger.boards, titles
        # Queues, in order.
        for session_id, users in self.ledger.queues.items():
            assert await self.waiting(session_id) == users, (session_id, now)
        # Feedback: every acknowledged item, vote, status and link.
        service = self.bot.services.feedback
        for item_id, expected in self.ledger.feedback.items():
            item = await service.item(self.gid, item_id)
            assert item.summary == expected["summary"], item_id
            assert item.status == expected["status"], item_id
            assert item.link_url == expected.get("link"), item_id
            assert await self.voters(item_id) == expected["voters"], item_id
            assert item.votes == len(expected["voters"]), item_id
        # Announcements keep their state.
        for ann_id, status in self.ledger.announcement_status.items():
            assert (await self.bot.services.announcements.get(self.gid, ann_id)).status == status
        await self.click_old_buttons()

    async def click_old_buttons(self) -> None:
        """Buttons posted before the restart still reach the right code."""
        if self.old_card is not None:
            item_id = self.card_item
            voter = self.world.bob  # the reporter: already counted, so this writes nothing
            r = await voter.click(self.old_card, custom_id=f"hallway:feedback:vote:{item_id}")
            assert "You already voted" in (r.response.content or ""), r.response
            self.ledger.buttons_clicked += 1
        if self.old_board is not None:
            # dave never asks anything, so Leave must answer without writing.
            r = await self.idle.click(
                self.old_board, custom_id=f"hallway:oh:leave:{self.board_session}"
            )
            assert r.ephemeral and "nothing to withdraw" in r.response.content, r.response
            self.ledger.buttons_clicked += 1

    # ------------------------------------------------------------ acts

    async def ask(self, member: Any, text: str, session_id: int) -> None:
        r = await member.slash(self.world.general, "officehours ask", question=text)
        assert "Your question is queued" in r.response.content, r.response.content
        self.ledger.queues.setdefault(session_id, []).append(member.id)

    async def submit(self, member: Any, summary: str, details: str = "") -> int:
        r = await submit_feedback(member, self.world.general, summary, details)
        return self._saved(r, summary, member.id)

    def _saved(self, r: Any, summary: str, reporter: int) -> int:
        match = re.search(r"Saved as feedback \*\*#(\d+)\*\*", r.response.content)
        assert match, r.response.content
        item_id = int(match.group(1))
        self.ledger.feedback[item_id] = {"summary": summary, "status": "new", "voters": {reporter}}
        return item_id

    async def set_status(self, item_id: int, status: str) -> None:
        r = await self.world.alice.slash(
            self.world.general, "feedback status", item=item_id, status=status
        )
        assert f"is now **{status}**" in r.response.content, r.response.content
        self.ledger.feedback[item_id]["status"] = status

    async def vote(self, member: Any, item_id: int) -> None:
        r = await member.slash(self.world.general, "feedback vote", item=item_id)
        assert "is counted" in r.response.content, r.response.content
        self.ledger.feedback[item_id]["voters"].add(member.id)

    async def live_session(self) -> int:
        [session] = await self.bot.services.office_hours.repo.sessions_with_status(
            self.gid, ("live",)
        )
        return session.id

    async def next_scheduled(self) -> int:
        session = await self.bot.services.office_hours.next_session(self.gid)
        assert session is not None
        return session.id

    def newest_thread(self) -> Any:
        return max(self.channels.office.threads, key=lambda t: t.id)


async def test_a_busy_week_survives_25_restarts(world, bots, restart) -> None:
    w = Week(world, bots, restart)
    env, general, alice = world.env, world.general, world.alice
    guild = world.guild
    dave = guild.add_member(env.create_user("dave"))
    w.idle = dave
    erin = guild.add_member(env.create_user("erin"))
    frank = guild.add_member(env.create_user("frank"))
    w.channels = channels = await configure_guild(world)

    # ---- Thursday 1 January: plans are made.
    r = await alice.slash(
        general,
        "officehours schedule",
        title="Weekly office hours",
        start="2026-01-02 17:00",
        repeat="weekly",
    )
    assert "Scheduled" in r.response.content
    w.session_1 = session_1 = await w.next_scheduled()
    r = await schedule_announcement(
        world, channels.news, "Daily tip", when="2026-01-01 10:00", repeat="daily"
    )
    assert "Scheduled announcement **#1**" in r.response.content
    r = await schedule_announcement(world, channels.news, "Launch day!", when="2026-01-05 12:00")
    assert "Scheduled announcement **#2**" in r.response.content
    w.ledger.announcement_status = {1: "scheduled", 2: "scheduled"}
    r = await alice.slash(general, "digest configure", channel=channels.digest)
    assert "Saved" in r.response.content
    await w.restart()  # 1

    await w.ask(world.bob, "How do I rotate API keys?", session_1)
    await w.ask(world.carol, "Is there a Go SDK?", session_1)
    await w.restart()  # 2

    login = await w.submit(world.bob, "Python SDK login fails with 401", "after token refresh")
    await w.submit(world.carol, "Webhook docs are missing retries", "what is the backoff?")
    card = await alice.slash(general, "feedback show", item=login)
    w.old_card, w.card_item = card.response.message, login
    await w.restart()  # 3: bob's own vote on the old card is "already voted"
    r = await world.admin.click(w.old_card, custom_id=f"hallway:feedback:vote:{login}")
    assert "is counted" in "".join(m.content or "" for m in [r.response, *r.followups])
    w.ledger.feedback[login]["voters"].add(world.admin.id)

    await w.until(at(1, 10, 1))
    await w.restart()  # 4: the first tip, once

    rate = await world.bob.send(general, "The rate limiter returns 500 instead of 429")
    shown = await alice.context_menu(general, "Capture feedback", rate)
    r = await alice.submit_modal(shown, {"summary": "Rate limiter returns 500 not 429"})
    w._saved(r, "Rate limiter returns 500 not 429", world.bob.id)
    await w.until(at(1, 17, 1))  # the 24-hour reminder
    await w.restart()  # 5

    # ---- Friday 2 January: office hours.
    await w.until(at(2, 10, 1))
    await w.ask(world.admin, "Can I self-host the dashboard?", session_1)
    await w.restart()  # 6

    await w.until(at(2, 17, 1))  # 16:45 reminder, then the automatic start and its board
    w.ledger.boards += 1
    assert await w.live_session() == session_1
    w.old_board = message_with(channels.office, f"hallway:oh:join:{session_1}")
    w.board_session = session_1
    await w.restart()  # 7: the old board's Join still opens the form
    shown = await erin.click(w.old_board, custom_id=f"hallway:oh:join:{session_1}")
    r = await erin.submit_modal(shown, {"question": "Webhooks: at-least-once?"})
    assert "#4** in line" in r.response.content, r.response.content
    w.ledger.queues[session_1].append(erin.id)

    r = await alice.slash(general, "officehours next")
    assert f"Now answering <@{world.bob.id}>" in r.response.content
    w.ledger.queues[session_1].remove(world.bob.id)
    bob_card = card_in(w.newest_thread())
    await w.restart()  # 8: the card's Answered button after a restart
    r = await alice.click(bob_card, label="Answered")
    assert "Answered by" in r.followups[0].content

    await alice.slash(general, "officehours next")
    w.ledger.queues[session_1].remove(world.carol.id)
    carol_card = card_in(w.newest_thread())
    await w.restart()  # 9: Skip moves carol to the end of the line
    r = await alice.click(carol_card, label="Skip")
    assert "moves to the end" in r.followups[0].content
    w.ledger.queues[session_1].append(world.carol.id)
    assert await w.waiting(session_1) == [world.admin.id, erin.id, world.carol.id]

    r = await alice.click(w.old_board, custom_id=f"hallway:oh:next:{session_1}")
    assert f"Now answering <@{world.admin.id}>" in r.response.content
    w.ledger.queues[session_1].remove(world.admin.id)
    admin_card = card_in(w.newest_thread())
    await w.restart()  # 10: the card converts the question to feedback
    r = await alice.click(admin_card, label="Convert to feedback")
    w._saved(r, "Can I self-host the dashboard?", world.admin.id)

    await w.until(at(2, 18, 11))  # end time + 10 min grace: automatic end and recap
    w.ledger.recaps += 1
    assert w.old_board is not None
    ended = next(m for m in channels.office.history() if m.id == w.old_board.id)
    assert not ended.components  # an ended board loses its buttons
    w.old_board = None
    session_2 = await w.next_scheduled()
    assert session_2 != session_1
    # The waiting questions lead the next session, in their order.
    w.ledger.queues[session_2] = w.ledger.queues.pop(session_1)
    assert w.ledger.queues[session_2] == [erin.id, world.carol.id]
    await w.restart()  # 11

    # ---- Saturday 3 January: triage.
    await w.until(at(3, 10, 1))
    await w.set_status(login, "planned")
    await w.restart()  # 12
    await w.vote(world.carol, login)
    r = await erin.click(w.old_card, custom_id=f"hallway:feedback:vote:{login}")
    w.ledger.feedback[login]["voters"].add(erin.id)
    await w.restart()  # 13

    # ---- Sunday 4 January: the daily tip is paused after it posted.
    await w.until(at(4, 10, 1))
    r = await alice.slash(general, "announce pause", id=1)
    assert "Paused #1" in r.response.content
    w.ledger.announcement_status[1] = "paused"
    msg = await frank.send(general, "The CLI ignores HTTPS_PROXY behind our firewall")
    await alice.react(msg, "📝")
    await env.settle()
    captured = await w.bot.services.feedback.repo.by_message(w.gid, msg.id)
    assert captured is not None
    w.ledger.feedback[captured.id] = {
        "summary": captured.summary,
        "status": "new",
        "voters": {frank.id},
    }
    await w.restart()  # 14

    # ---- Monday 5 January: digest, resume, launch.
    await w.until(at(5, 9, 1))
    await w.restart()  # 15: one digest
    await w.until(at(5, 11))
    r = await alice.slash(general, "announce resume", id=1)
    assert "Resumed #1" in r.response.content
    w.ledger.announcement_status[1] = "scheduled"
    await w.restart()  # 16
    await w.until(at(5, 12, 1))
    w.ledger.announcement_status[2] = "completed"
    await w.restart()  # 17: the launch post, once

    # ---- Tuesday 6 January.
    await w.until(at(6, 10, 1))
    for member in (world.bob, dave, frank):
        await member.send(general, "busy week")
    await w.ask(world.bob, "Any news on the Go SDK?", session_2)
    r = await alice.slash(
        general, "feedback link", item=login, url="https://github.com/acme/sdk/issues/12"
    )
    assert "now links to" in r.response.content
    w.ledger.feedback[login]["link"] = "https://github.com/acme/sdk/issues/12"
    await w.restart()  # 18
    await w.set_status(login, "in-progress")
    await w.restart()  # 19

    # ---- Wednesday 7 January.
    await w.until(at(7, 10, 1))
    r = await world.bob.slash(general, "officehours leave")
    assert "withdrawn" in r.response.content
    w.ledger.queues[session_2].remove(world.bob.id)
    await w.ask(frank, "How are rate limits counted?", session_2)
    await w.restart()  # 20

    # ---- Thursday 8 January: the tip's first try fails, and the bot dies during the backoff.
    env.inject_error("POST", f"/channels/{channels.news.id}/messages", status=500, times=1)
    await w.until(at(8, 10) + timedelta(seconds=2))
    deliveries = await w.bot.services.announcements.history(w.gid, 1)
    assert [d.status for d in deliveries if d.scheduled_for == at(8, 10)] == ["claimed"]
    assert [m.content for m in bot_posts(channels.news)].count("Daily tip") == 6  # not yet
    await w.crash()  # 21: the claimed tip is found unsent and posted once, at start-up
    await w.until(at(8, 17, 1))  # the next session's 24-hour reminder
    await w.restart()  # 22

    # ---- Friday 9 January: the second session, run by hand this time.
    await w.until(at(9, 17, 1))
    w.ledger.boards += 1
    assert await w.live_session() == session_2
    w.old_board = message_with(channels.office, f"hallway:oh:join:{session_2}")
    w.board_session = session_2
    await w.restart()  # 23
    r = await alice.slash(general, "officehours next")
    assert f"Now answering <@{erin.id}>" in r.response.content
    w.ledger.queues[session_2].remove(erin.id)
    r = await alice.slash(general, "officehours end")
    assert "Ended **Weekly office hours**" in r.response.content
    w.ledger.recaps += 1
    w.old_board = None
    session_3 = await w.next_scheduled()
    w.ledger.queues[session_3] = w.ledger.queues.pop(session_2)
    assert w.ledger.queues[session_3] == [world.carol.id, frank.id]
    await w.restart()  # 24

    # ---- Monday 12 January: the second digest.
    await w.until(at(12, 10, 1))
    await w.restart()  # 25

    assert w.ledger.restarts >= 20
    assert w.ledger.buttons_clicked >= 25
    r = await world.bob.slash(general, "officehours history")
    assert "Weekly office hours" in r.response.content
    assert env.now() - T0 < timedelta(days=12)
