"""The shared agenda and the recaps: items anyone adds, carried from call to call (in any
region) until a call covers them, and each call's notes, whose decisions go to the top of
the next call's agenda in every other region."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from services.calls.plan import CallPlanner
from services.calls.schedule import clean
from services.errors import Conflict, InvalidInput, NotAllowed
from services.time.timefmt import discord_timestamp
from storage.calls import AgendaItem, CallSeries, CallSlot, PlannedCall

MAX_ITEM = 200
MAX_OPEN_ITEMS = 50
MAX_SUMMARY = 2000
MAX_DECISIONS = 10
_IDS = re.compile(r"#?(\d+)")


@dataclass(frozen=True)
class AgendaView:
    series: CallSeries
    slots: list[CallSlot]
    items: list[AgendaItem]


@dataclass(frozen=True)
class Notes:
    call: PlannedCall
    series: CallSeries
    summary: str
    decisions: list[str]
    covered: list[AgendaItem]
    carried: list[AgendaItem]  # still open after this call
    regions: list[str]  # the other slots the decisions go to
    text: str = ""  # the recap as posted, claimed with the call before it is sent


def recap_text(n: Notes) -> str:
    lines = [
        f"📝 **Recap: {n.series.title} · {n.call.slot_name}** "
        f"({discord_timestamp(n.call.starts_at, 'F')})",
        n.summary,
    ]
    if n.decisions:
        lines.append(
            "**Decisions** (open for comments from other regions until the next "
            "call in each region: " + ", ".join(n.regions) + ")"
        )
        lines += [f"- {d}" for d in n.decisions]
    if n.covered:
        lines.append("Covered: " + ", ".join(f"#{i.id}" for i in n.covered))
    if n.carried:
        lines.append("Carried to the next call: " + ", ".join(f"#{i.id}" for i in n.carried))
    return "\n".join(lines)[:2000]


def parse_covered(text: str, items: list[AgendaItem]) -> list[AgendaItem]:
    """'3, #5' -> those items; 'all' -> every item; '' -> none. Unknown numbers are refused."""
    cleaned = clean(text).lower()
    if not cleaned or cleaned in {"none", "no", "-"}:
        return []
    if cleaned == "all":
        return list(items)
    by_id = {i.id: i for i in items}
    chosen: list[AgendaItem] = []
    for part in re.split(r"[,\s]+", cleaned):
        match = _IDS.fullmatch(part)
        if not match or int(match.group(1)) not in by_id:
            known = ", ".join(f"#{i}" for i in by_id) or "none"
            raise InvalidInput(
                f"`{part[:20]}` isn't an item on this call's agenda (its items: {known}). "
                "List the numbers covered, e.g. `3, 5`, or `all`."
            )
        item = by_id[int(match.group(1))]
        if item not in chosen:
            chosen.append(item)
    return chosen


def refuse_written(call: PlannedCall) -> None:
    if call.notes_message_id is not None:
        raise Conflict("That call's notes were already posted.")
    if call.notes_claimed_at is not None:
        raise Conflict(
            "That call's notes were already written; Hallway is posting them in the "
            "series' recap thread (and retries if Discord fails)."
        )


class AgendaService:
    def __init__(self, planner: CallPlanner) -> None:
        self.planner = planner
        self.repo = planner.repo
        self.calls = planner.calls

    async def add(self, guild_id: int, author_id: int, series: str, text: str) -> AgendaItem:
        item = clean(text)
        if not item:
            raise InvalidInput("The agenda item is empty. Write what the call should discuss.")
        if len(item) > MAX_ITEM:
            raise InvalidInput(
                f"The item is {len(item)} characters; the limit is {MAX_ITEM}. Shorten it."
            )
        async with self.repo.db.transaction():
            view = await self.planner.service.get(guild_id, series)
            open_items = await self.calls.open_items(guild_id, view.series.id)
            if len(open_items) >= MAX_OPEN_ITEMS:
                raise Conflict(
                    f"**{view.series.title}** already has {MAX_OPEN_ITEMS} open items; "
                    "let a call cover some first."
                )
            return await self.calls.add_item(
                guild_id, view.series.id, author_id, item, self.planner.now()
            )

    async def listing(self, guild_id: int, series: str) -> AgendaView:
        view = await self.planner.service.get(guild_id, series)
        items = await self.calls.open_items(guild_id, view.series.id)
        return AgendaView(view.series, view.slots, items)

    async def notes(
        self,
        guild_id: int,
        call_id: int,
        *,
        by: int,
        by_advocate: bool,
        summary: str,
        decisions: str,
        covered: str,
    ) -> Notes:
        text = clean(summary) if summary.strip() else ""
        text = "\n".join(line.strip() for line in summary.strip().splitlines()) if text else ""
        if not text:
            raise InvalidInput("The recap is empty. Write what the call discussed.")
        if len(text) > MAX_SUMMARY:
            raise InvalidInput(f"The recap is {len(text)} characters; the limit is {MAX_SUMMARY}.")
        decided = [clean(line) for line in decisions.splitlines() if clean(line)]
        if len(decided) > MAX_DECISIONS:
            raise InvalidInput(f"At most {MAX_DECISIONS} decisions, one per line.")
        if any(len(d) > MAX_ITEM for d in decided):
            raise InvalidInput(f"Each decision is at most {MAX_ITEM} characters.")
        async with self.repo.db.transaction():
            call = await self.planner.call(guild_id, call_id)
            self.may_write_notes(call, by, by_advocate)
            if call.starts_at > self.planner.now():
                raise Conflict("That call hasn't happened yet; write its notes after it starts.")
            refuse_written(call)
            series = await self.planner.series_of(call)
            agenda = await self.planner.agenda_for(call)
            chosen = parse_covered(covered, [i for i in agenda if i.for_slot_id is None])
            # Other regions' decisions reached this region's call: they are covered.
            reached = [i for i in agenda if i.for_slot_id == call.slot_id]
            await self.calls.cover(guild_id, [i.id for i in chosen + reached], call.id)
            slots = await self.repo.slots(guild_id, series.id)
            others = [s for s in slots if s.id != call.slot_id]
            now = self.planner.now()
            for decision in decided:
                for slot in others:
                    await self.calls.add_item(
                        guild_id,
                        series.id,
                        by,
                        f"Decided in {call.slot_name}: {decision}",
                        now,
                        for_slot_id=slot.id,
                        decision_of=call.id,
                    )
            left = [
                i for i in await self.calls.open_items(guild_id, series.id) if i.for_slot_id is None
            ]
            notes = Notes(
                call,
                series,
                text,
                decided,
                chosen,
                left,
                [s.name for s in others] if decided else [],
            )
            posted = recap_text(notes)
            # Claimed before it is sent: a second submit or a restart never posts it twice,
            # and a failed post is retried from this text (cogs/calls/jobs.py post_recap).
            if not await self.calls.claim_notes(guild_id, call.id, posted, now):
                raise Conflict("That call's notes were already written.")
        return replace(notes, text=posted)

    @staticmethod
    def may_write_notes(call: PlannedCall, by: int, by_advocate: bool) -> None:
        if not by_advocate and call.host_id != by:
            raise NotAllowed("Only the call's host or an advocate can write its notes.")

    async def check_notes(self, guild_id: int, call_id: int, by: int, by_advocate: bool) -> None:
        """Refuse before the modal opens, so nobody types a recap that can't be saved."""
        call = await self.planner.call(guild_id, call_id)
        self.may_write_notes(call, by, by_advocate)
        refuse_written(call)
        if call.starts_at > self.planner.now():
            raise Conflict("That call hasn't happened yet; write its notes after it starts.")

    async def unposted(self) -> list[PlannedCall]:
        return await self.calls.unposted_notes()

    async def set_notes_message(self, call: PlannedCall, message_id: int) -> None:
        await self.calls.set_notes_message(call.guild_id, call.id, message_id)

    async def set_thread(self, series: CallSeries, thread_id: int) -> None:
        await self.repo.set_thread(series.guild_id, series.id, thread_id)
