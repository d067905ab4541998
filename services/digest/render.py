"""The digest's value types and text: sections, health figures, Discord-sized embeds.

The service (services/digest/build.py) reads figures and keeps the schedule; everything
here is a pure function of those figures, so the wording and the trimming to
Discord's limits can change, and be tested, without a database or a clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.chart import ChartData
from services.digest.period import Span
from services.people import user_ref
from services.plural import plural
from services.time.timefmt import discord_timestamp, span_text

# A tag "spikes" when it has at least SPIKE_MIN items and SPIKE_FACTOR times last period's.
SPIKE_FACTOR = 2
SPIKE_MIN = 5
TOP_OPEN = 3
BEST_CONTENT = 3
MAX_ITEMS = 10
MAX_ITEM_CHARS = 200
MAX_NAMES = 5
# Discord: 6000 characters over all embeds of a message, 4096 per description.
EMBED_TOTAL = 6000
EMBED_DESCRIPTION = 4096
EMBED_SAFETY = 100
CHART_FILENAME = "digest.png"


# --------------------------------------------------------------------------- formatting


def change(current: int, previous: int) -> str:
    """Week-over-week change as ▲/▼ percent."""
    if current == previous:
        return "±0%" if current else "–"
    if previous == 0:
        return "▲ new"
    percent = round(abs(current - previous) * 100 / previous)
    return f"▲ {percent}%" if current > previous else f"▼ {percent}%"


_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()#@<:])")


def clean(text: str, limit: int = 100) -> str:
    """User text made safe for an embed line: one line, no markdown or mentions, short."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return _MARKDOWN.sub(r"\\\1", flat)


def names(values: Sequence[str]) -> str:
    shown = [clean(v, 40) for v in values[:MAX_NAMES]]
    hidden = len(values) - len(shown)
    if hidden:
        return ", ".join(shown) + f" and {hidden} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" and {shown[-1]}"


# --------------------------------------------------------------------------- the digest


@dataclass
class Block:
    """A heading and a list of items; trimming drops items and says "and N more"."""

    heading: str | None
    items: list[str]
    hidden: int = 0  # items left out before trimming (beyond a count cap)

    def render(self, shown: int | None = None) -> list[str]:
        count = len(self.items) if shown is None else shown
        lines = [self.heading] if self.heading else []
        lines += [item[:MAX_ITEM_CHARS] for item in self.items[:count]]
        more = self.hidden + len(self.items) - count
        if more:
            lines.append(f"…and {more} more")
        return lines


def capped(heading: str | None, items: list[str], cap: int = MAX_ITEMS) -> Block:
    return Block(heading, items[:cap], max(0, len(items) - cap))


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block]
    # False for standing information (coming up, open items) that alone isn't news.
    news: bool = True

    def text(self, shown: dict[int, int] | None = None) -> str:
        lines: list[str] = []
        for i, block in enumerate(self.blocks):
            lines += block.render(None if shown is None else shown.get(i))
        return "\n".join(lines)


@dataclass(frozen=True)
class Health:
    active: int
    prev_active: int
    new: int
    prev_new: int
    returning: int
    prev_returning: int
    messages: int
    prev_messages: int
    left: int
    prev_left: int

    @property
    def any_now(self) -> bool:
        return any((self.active, self.new, self.returning, self.messages, self.left))

    @property
    def any_at_all(self) -> bool:
        return self.any_now or any(
            (self.prev_active, self.prev_new, self.prev_returning, self.prev_messages)
        )


@dataclass(frozen=True)
class EmbedText:
    title: str
    description: str
    footer: str | None = None


@dataclass
class Digest:
    guild_id: int
    period: Span
    title: str
    sections: list[Section]
    health: Health
    chart: ChartData
    marker: str  # footer that identifies this digest in the channel
    chart_png: bytes | None = None

    @property
    def is_empty(self) -> bool:
        return not any(s.news for s in self.sections)

    def header(self) -> str:
        return f"📬 **{self.title}** · {self.period.label()} ({self.period.zone.key})"

    def embeds(self) -> list[EmbedText]:
        """One embed per section, trimmed to fit Discord's limits together."""
        sections = [s for s in self.sections if s.text()]
        if not sections:
            return [EmbedText("A quiet week", "Nothing to report this time.", self.marker)]
        overhead = sum(len(s.title) for s in sections) + len(self.marker) + EMBED_SAFETY
        budgets = _share(
            [len(s.text()) for s in sections], max(0, EMBED_TOTAL - overhead), EMBED_DESCRIPTION
        )
        out = []
        for i, (section, budget) in enumerate(zip(sections, budgets, strict=True)):
            footer = self.marker if i == len(sections) - 1 else None
            out.append(EmbedText(section.title, _fit(section, budget), footer))
        return out


def _share(lengths: list[int], total: int, cap: int) -> list[int]:
    """Split ``total`` characters: short sections keep all they need, long ones share the rest."""
    budgets = [0] * len(lengths)
    remaining = total
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for position, i in enumerate(order):
        fair = remaining // (len(order) - position)
        budgets[i] = min(lengths[i], fair, cap)
        remaining -= budgets[i]
    return budgets


def _fit(section: Section, budget: int) -> str:
    shown = {i: len(b.items) for i, b in enumerate(section.blocks)}
    text = section.text(shown)
    while len(text) > budget:
        # Drop one item from the block that shows the most.
        candidates = [i for i, n in shown.items() if n > 0]
        if not candidates:
            return text[: max(0, budget - 1)] + "…"
        biggest = max(candidates, key=lambda i: shown[i])
        shown[biggest] -= 1
        text = section.text(shown)
    return text


def _figure_line(label: str, current: int, previous: int, versus: str) -> str:
    return f"{label}: **{current}** {change(current, previous)} ({versus}: {previous})"


def _unpack_upcoming(item: Any, *, title_attr: str, time_attr: str) -> tuple[str, datetime]:
    if isinstance(item, tuple):
        # announcements: (id, title, next_run_at)
        return str(item[1]), item[2]
    return str(getattr(item, title_attr)), getattr(item, time_attr)


# --------------------------------------------------------------------------- sections


def health_section(h: Health, versus: str) -> Section:
    lines = [
        _figure_line("👥 Active members", h.active, h.prev_active, versus),
        _figure_line("🆕 New members", h.new, h.prev_new, versus),
        _figure_line("🔁 Returning members", h.returning, h.prev_returning, versus),
        _figure_line("💬 Messages", h.messages, h.prev_messages, versus),
    ]
    if h.left or h.prev_left:
        lines.append(_figure_line("👋 Left", h.left, h.prev_left, versus))
    return Section("health", "Community health", [Block(None, lines)], news=h.any_now)


def office_hours_section(f: Any) -> Section | None:
    if not f.sessions_held and not f.asked:
        return None
    lines = [
        f"Sessions held: **{f.sessions_held}**",
        f"Questions: **{f.asked}** asked · **{f.answered}** answered · "
        f"**{f.skipped}** skipped · **{f.carried_over}** carried over",
    ]
    if f.median_wait_seconds is not None:
        lines.append(f"Median wait: **{span_text(f.median_wait_seconds)}**")
    lines.append(f"Unique askers: **{f.unique_askers}**")
    blocks = [Block(None, lines)]
    hosts = list(f.host_ids or [])
    if hosts:
        blocks.append(capped("Hosts:", [user_ref(int(h)) for h in hosts]))
    return Section("office_hours", "🎙️ Office hours", blocks)


def pain_section(f: Any, versus: str) -> Section | None:
    this_counts: dict[str, int] = dict(f.tag_counts or {})
    last_counts: dict[str, int] = dict(f.prev_tag_counts or {})
    top_open = list(f.top_open or [])
    if not f.new_items and not any(this_counts.values()) and not top_open:
        return None
    blocks = [Block(None, [f"New feedback items: **{f.new_items}**"])]
    spikes = [
        f"🔺 **Spike:** `{clean(tag, 40)}` {count} vs {last_counts.get(tag, 0)} {versus}"
        for tag, count in sorted(this_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if is_spike(count, last_counts.get(tag, 0))
    ]
    if spikes:
        blocks.append(capped(None, spikes))
    tag_lines = [
        f"`{clean(tag, 40)}` {this_counts.get(tag, 0)} "
        f"{change(this_counts.get(tag, 0), last_counts.get(tag, 0))} "
        f"({versus}: {last_counts.get(tag, 0)})"
        for tag in tag_order(this_counts, last_counts)
    ]
    if tag_lines:
        blocks.append(capped(f"**By tag** ({versus} in brackets):", tag_lines))
    if top_open:
        blocks.append(
            Block(
                "**Most-voted open items** (votes this period):",
                [
                    f"#{item_id} {clean(summary)} — {plural(votes, 'vote')}"
                    for item_id, summary, votes in top_open[:TOP_OPEN]
                ],
            )
        )
    news = bool(f.new_items) or any(this_counts.values())
    return Section("pain_points", "🧭 Pain points", blocks, news=news)


def shipped_section(f: Any) -> Section | None:
    shipped = list(f.shipped or [])
    if not shipped:
        return None
    links = dict(getattr(f, "shipped_links", None) or {})
    lines = []
    for item_id, summary, reporters in shipped:
        thanks = f" — thanks {names(list(reporters))}" if reporters else ""
        link = f" (<{links[item_id]}>)" if item_id in links else ""
        lines.append(f"✅ #{item_id} {clean(summary)}{link}{thanks}")
    return Section("shipped", "🚢 You asked, we shipped", [capped(None, lines)])


def content_section(f: Any) -> Section | None:
    best = list(f.best or [])
    if not f.sent and not best:
        return None
    blocks = [Block(None, [f"Announcements sent: **{f.sent}**"])]
    lines = []
    for _id, title, reactions, jump_url in best[:BEST_CONTENT]:
        label = clean(title, 80)
        linked = f"[{label}]({jump_url})" if jump_url else label
        lines.append(f"{linked} — {plural(reactions, 'reaction')}")
    if lines:
        blocks.append(Block("**Best by reactions:**", lines))
    return Section("content", "📣 Content", blocks, news=bool(f.sent))


def hallway_section(f: Any) -> Section | None:
    if not f.groups_made and not f.answered:
        return None
    lines = [f"Groups made: **{f.groups_made}**"]
    if f.answered:
        rate = round(100 * f.met / f.answered)
        lines.append(f"Met rate: **{rate}%** ({f.met} of {f.answered} groups that answered)")
    lines.append(f"New connections: **{f.new_connections}** (met, never paired before)")
    return Section("hallway", "☕ Hallway track", [Block(None, lines)])


def metrics_section(f: Any) -> Section | None:
    """Newcomers answered, the cohort from 4 weeks ago, how fast office-hours questions and
    help-channel posts were answered, and level movement."""
    if not f.any_at_all:
        return None
    lines = [
        f"🌱 Newcomers who got a first answer: **{f.newcomers_answered}** "
        f"(joined in the last 4 weeks; {f.newcomers} joined in this one)"
    ]
    cohort = f.cohort
    if cohort is not None and cohort.size:
        shown = [s for s in cohort.shares if s is not None]
        weeks = ", ".join(f"W{k + 1} {round(s * 100)}%" for k, s in enumerate(shown))
        lines.append(
            f"🔁 Joined the week of {cohort.cohort:%d %b} ({cohort.size}): "
            f"{weeks or 'no whole week after yet'}"
        )
    r = f.responsiveness
    if r.asked:
        answered = (
            f"median **{span_text(r.median)}**, 90th percentile **{span_text(r.p90)}**"
            if r.median is not None and r.p90 is not None
            else "none answered yet"
        )
        lines.append(f"⏱️ Time to a first answer ({plural(r.asked, 'question')} asked): {answered}")
        if r.due:
            lines.append(f"⌛ Unanswered after 24 hours: **{r.unanswered_after_24h}** of {r.due}")
    h = getattr(f, "help", None)
    if h is not None and h.asked:
        replied = (
            f"median **{span_text(h.median)}**, 90th percentile **{span_text(h.p90)}**"
            if h.median is not None and h.p90 is not None
            else "none replied to yet"
        )
        lines.append(
            f"🙋 Time to a first reply in help channels ({plural(h.asked, 'post')}): {replied}"
        )
        if h.due:
            lines.append(
                f"⌛ Help posts without a reply after 24 hours: **{h.unanswered_after_24h}** "
                f"of {h.due}"
            )
    up, down = getattr(f, "moved_up", 0), getattr(f, "moved_down", 0)
    if up or down:
        lines.append(f"🏅 Levels this week: **{up}** moved up, **{down}** moved down")
    # Standing figures: on their own they don't make a quiet week worth posting.
    return Section("metrics", "📈 Activation and responsiveness", [Block(None, lines)], news=False)


def coming_up_section(
    sessions: Sequence[Any], posts: Sequence[Any], calls: Sequence[Any] = ()
) -> Section | None:
    entries: list[tuple[datetime, str]] = []
    for call in calls:
        # A regional call: (series title, slot name, starts_at[, host id]).
        title, slot, at, *rest = call
        host = ""
        if rest:  # never <@0>: an unhosted call says so
            host = (
                f", hosted by <@{rest[0]}>"
                if rest[0]
                else ", no host yet (sign up with /calls host)"
            )
        entries.append((at, f"📞 **{clean(title, 80)}** · {clean(slot, 40)}{host}"))
    for item in sessions:
        title, at = _unpack_upcoming(item, title_attr="title", time_attr="starts_at")
        entries.append((at, f"🎙️ Office hours: **{clean(title, 80)}**"))
    for item in posts:
        title, at = _unpack_upcoming(item, title_attr="title", time_attr="next_run_at")
        entries.append((at, f"📣 {clean(title, 80)}"))
    if not entries:
        return None
    entries.sort(key=lambda e: e[0])
    lines = [f"{discord_timestamp(at, 'f')} · {text}" for at, text in entries]
    return Section("coming_up", "🗓️ Coming up", [capped(None, lines)], news=False)


def surveys_section(f: Any) -> Section | None:
    """Surveys closed in the period (headline and change), and those still open."""
    blocks = []
    closed = []
    for s in list(f.closed or []):
        figure = f" — {s.headline}" if s.headline else ""
        if getattr(s, "top_answer", None):
            figure = f" — top answer: {clean(s.top_answer, 60)}"
        change = f" ({s.change})" if s.change else ""
        noun = "vote" if getattr(s, "kind", "survey") == "poll" else "response"
        count = f"{s.responses} {noun}{'s' if s.responses != 1 else ''}"
        closed.append(f"✅ **{clean(s.title, 80)}**{figure}{change} · {count}")
    if closed:
        blocks.append(capped("**Closed:**", closed))
    opened = []
    for s in list(f.open or []):
        until = f", closes {discord_timestamp(s.closes_at, 'R')}" if s.closes_at else ""
        count = f"{s.responses} response{'s' if s.responses != 1 else ''}"
        opened.append(f"🗳️ **{clean(s.title, 80)}** — {count} so far{until}")
    if opened:
        blocks.append(capped("**Open:**", opened))
    if not blocks:
        return None
    return Section("surveys", "📋 Surveys", blocks, news=bool(closed))


def calls_section(f: Any) -> Section | None:
    """Last week's calls with their attendance per region, and each series' coverage."""
    blocks = []
    held = [
        f"📞 **{clean(c.series, 60)}** · {clean(c.slot, 40)}: "
        f"{'–' if c.present_peak is None else c.present_peak} in the call, "
        f"{'–' if c.interested is None else c.interested} interested"
        for c in f.held
    ]
    if held:
        blocks.append(Block("Attendance", held))
    covered = [
        f"**{clean(c.series, 60)}**: slots in waking hours for **{round(c.share * 100)}%** "
        f"of the {c.members} members who set a zone"
        for c in f.coverage
    ]
    if covered:
        blocks.append(Block("Coverage", covered))
    if not blocks:
        return None
    return Section("calls", "📞 Community calls", blocks, news=bool(held))


def is_spike(current: int, previous: int) -> bool:
    return current >= SPIKE_MIN and current >= SPIKE_FACTOR * previous


def tag_order(this_counts: dict[str, int], last_counts: dict[str, int]) -> list[str]:
    tags = {t for t, n in this_counts.items() if n} | {t for t, n in last_counts.items() if n}
    return sorted(tags, key=lambda t: (-this_counts.get(t, 0), -last_counts.get(t, 0), t))
