"""The hallway track's texts: thread names, intros, follow-ups, previews and figures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from services.hallway.planning import Plan
from services.hallway.service import Stats, Status
from services.people import user_ref
from services.plural import plural
from services.time.timefmt import discord_timestamp
from storage.hallway import Group, HallwayMember

THREAD_NAME_LIMIT = 100
STARTER = "starter: "
FOLLOWUP_TEXT = "Did you meet? Tap an answer (only you two see each other's replies here)."


def escape(text: str) -> str:
    return discord.utils.escape_markdown(discord.utils.escape_mentions(text))


def thread_name(names: Sequence[str]) -> str:
    names = [" ".join(n.split()) or "someone" for n in names]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " & " + names[-1]
    name = f"☕ {joined}"
    return name if len(name) <= THREAD_NAME_LIMIT else name[: THREAD_NAME_LIMIT - 1] + "…"


def reasons_of(group: Group) -> list[str]:
    return [r for r in group.reasons if not r.startswith(STARTER)]


def starter_of(group: Group) -> str | None:
    for reason in group.reasons:
        if reason.startswith(STARTER):
            return reason[len(STARTER) :]
    return None


def _shared(group: Group) -> str | None:
    for reason in group.reasons:
        if reason.startswith("shared interests: "):
            return reason[len("shared interests: ") :]
    return None


def intro_text(group: Group, members: Sequence[HallwayMember], guild_name: str) -> str:
    mentions = [user_ref(uid) for uid in group.members]
    hello = ", ".join(mentions[:-1]) + " and " + mentions[-1]
    lines = [f"☕ **Hallway track** in {escape(guild_name)}: {hello}, meet each other!", ""]
    by_id = {m.user_id: m for m in members}
    for uid in group.members:
        member = by_id.get(uid)
        intro = escape(member.intro) if member and member.intro else "_no intro yet_"
        lines.append(f"• {user_ref(uid)}: {intro}")
    shared = _shared(group)
    lines.append("")
    lines.append(
        f"**Shared interests:** {escape(shared)}"
        if shared
        else "**Shared interests:** none listed yet: find one!"
    )
    if group.suggested:
        times = " · ".join(discord_timestamp(t, "F") for t in group.suggested)
        lines.append(f"**Times you're all free:** {times} (shown in your own time zone)")
    else:
        lines.append("**When:** agree on a time here; `/hallway join` lets you add free hours.")
    starter = starter_of(group)
    if starter:
        lines.append(f"**Conversation starter:** {starter}")
    lines.append("")
    lines.append("Say hi and pick a time. I'll ask in a few days whether you met.")
    return "\n".join(lines)


def refused_dm(
    group: Group, user_id: int, members: Sequence[HallwayMember], guild_name: str
) -> str:
    others = [uid for uid in group.members if uid != user_id]
    names = ", ".join(user_ref(uid) for uid in others)
    lines = [
        f"☕ **Hallway track** in {escape(guild_name)}: this round you're paired with {names}.",
        "I couldn't open a private thread for you, so please say hi by DM.",
    ]
    by_id = {m.user_id: m for m in members}
    for uid in others:
        member = by_id.get(uid)
        if member and member.intro:
            lines.append(f"• {user_ref(uid)}: {escape(member.intro)}")
    if group.suggested:
        lines.append(
            "Times you're all free: "
            + " · ".join(discord_timestamp(t, "F") for t in group.suggested)
        )
    return "\n".join(lines)


def refused_notice(channel_mention: str, round_number: int, why: str) -> str:
    return (
        f"☕ Hallway round {round_number}: I couldn't create a private thread in "
        f"{channel_mention} ({why}). The members were told by DM instead. Give me **Create "
        "Private Threads** and **Send Messages in Threads** in that channel."
    )


def sitout_dm(reason: str, guild_name: str) -> str:
    return f"☕ **Hallway track** in {escape(guild_name)}: you sit out this round: {reason}"


def followup_text(group: Group) -> str:
    mentions = " ".join(user_ref(uid) for uid in group.members)
    return f"{mentions} {FOLLOWUP_TEXT}"


def preview_text(plan: Plan, channel_mention: str) -> str:
    lines = [
        f"**Preview of round {plan.round_number}** ({discord_timestamp(plan.at, 'F')}): "
        f"{plan.pool_size} in the pool, {plural(len(plan.groups), 'group')}, "
        f"threads in {channel_mention}.",
    ]
    for i, group in enumerate(plan.groups, 1):
        names = " & ".join(user_ref(uid) for uid in group.members)
        reasons = [r for r in group.reasons if not r.startswith(STARTER)]
        lines.append(f"{i}. {names}: {'; '.join(reasons)}")
    for uid, reason, _ in plan.sitouts:
        lines.append(f"Sits out: {user_ref(uid)} ({reason})")
    if not plan.groups:
        lines.append("No groups: at least two members need to `/hallway join`.")
    text = "\n".join(lines)
    return text if len(text) <= 1900 else text[:1890] + "\n…"


def status_text(status: Status, next_run: datetime | None) -> str:
    member = status.member
    if member is None or not member.active:
        head = "You're not in the hallway track. `/hallway join` to be paired for 1:1 chats."
    else:
        head = "☕ You're in the hallway track."
    lines = [head]
    if status.cadence:
        lines.append(f"Rounds: {status.cadence}.")
    if next_run is not None:
        lines.append(
            f"Next round: {discord_timestamp(next_run, 'F')} ({discord_timestamp(next_run, 'R')})"
        )
    if member and member.active and member.paused_until:
        lines.append(f"Paused until {discord_timestamp(member.paused_until, 'D')}.")
    if status.partners:
        recent = []
        for group in status.partners:
            others = [user_ref(uid) for uid in group.members if uid != member_id(status)]
            recent.append(f"round {group.round_number}: {', '.join(others) or 'nobody'}")
        lines.append("Your last partners: " + "; ".join(recent))
    if status.never:
        lines.append(f"Your never list: {status.never} (private).")
    return "\n".join(lines)


def member_id(status: Status) -> int | None:
    return status.member.user_id if status.member else None


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{round(100 * value)}%"


def stats_text(stats: Stats) -> str:
    return "\n".join(
        [
            "**Hallway track**",
            f"Members in the pool: **{stats.pool}**",
            f"Rounds: **{stats.rounds}** · groups: **{stats.groups}**",
            f"Met rate: **{_rate(stats.met_rate)}** "
            f"({stats.met} of {stats.asked} groups that answered)",
            f"Repeat rate: **{_rate(stats.repeat_rate)}** ({stats.repeats} groups had met before)",
        ]
    )
