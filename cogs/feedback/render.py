"""How feedback looks in Discord: capture replies, item cards, list pages, trends and updates."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from cogs._common import embed_label
from services.feedback.capture import (
    CaptureResult,
    ItemCard,
    Page,
    Trends,
)
from services.feedback.export import ExportFile
from services.files import size_text
from services.github.follow import LinkResult
from services.people import user_ref
from services.plural import plural
from services.time.timefmt import discord_timestamp
from storage.feedback.items import FeedbackItem
from storage.github import IssueLink

STATUS_EMOJI = {
    "new": "🆕",
    "acknowledged": "👀",
    "planned": "🗓️",
    "in-progress": "🔧",
    "shipped": "🚢",
    "declined": "🚫",
    "duplicate": "🔁",
}
STATUS_COLOUR = {
    "new": discord.Colour.blurple(),
    "acknowledged": discord.Colour.gold(),
    "planned": discord.Colour.teal(),
    "in-progress": discord.Colour.orange(),
    "shipped": discord.Colour.green(),
    "declined": discord.Colour.dark_grey(),
    "duplicate": discord.Colour.light_grey(),
}


def escape_md(text: str, limit: int = 100) -> str:
    """User text shown inline: no markdown tricks, bounded length."""
    text = discord.utils.escape_markdown(text.replace("\n", " "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tag_list(item: FeedbackItem) -> str:
    if not item.tags:
        return "none yet (advocates can add some with `/feedback tag`)"
    return ", ".join(f"`{t}`" for t in item.tag_names)


def vote_count(n: int) -> str:
    return plural(n, "vote")


def capture_reply(result: CaptureResult) -> str:
    item = result.item
    if not result.created:
        counted = "your +1 is counted" if result.vote_added else "you had already voted for it"
        return (
            f"📝 That message is already feedback **#{item.id}**: {escape_md(item.summary)} "
            f"— {counted} ({vote_count(item.votes)})."
        )
    lines = [
        f"📝 Saved as feedback **#{item.id}**: {escape_md(item.summary)}",
        f"Tags: {tag_list(item)}",
    ]
    if result.similar:
        lines.append("Similar open items:")
        lines += [
            f"• #{s.id} {escape_md(s.summary, 80)} ({s.status}, {vote_count(s.votes)})"
            for s in result.similar
        ]
        lines.append("If it's the same thing, add your +1 there instead.")
    lines.append(f"See it with `/feedback show item:{item.id}`.")
    return "\n".join(lines)


def render_card(card: ItemCard) -> discord.Embed:
    item = card.item
    embed = discord.Embed(
        title=embed_label(f"#{item.id} {item.summary}")[:256],
        description=(item.details[:1500] + ("…" if len(item.details) > 1500 else ""))
        or "*No details.*",
        colour=STATUS_COLOUR.get(item.status, discord.Colour.blurple()),
        timestamp=item.created_at,
    )
    status = f"{STATUS_EMOJI.get(item.status, '')} {item.status}"
    if item.duplicate_of:
        status += f" of #{item.duplicate_of}"
    embed.add_field(name="Status", value=status)
    embed.add_field(name="Votes", value=str(item.votes))
    embed.add_field(name="Tags", value=tag_list(item)[:1024], inline=False)
    if item.product_area:
        embed.add_field(name="Product area", value=escape_md(item.product_area, 40))
    reporters = ", ".join(user_ref(r.user_id) for r in card.reporters[:10]) or user_ref(
        item.reporter_id
    )
    embed.add_field(name="Reported by", value=reporters[:1024])
    facts = []
    fields = item.fields
    if fields.get("language"):
        facts.append(f"language `{fields['language']}`")
    if fields.get("sdk"):
        facts.append(f"SDK `{fields['sdk']}`")
    if fields.get("versions"):
        facts.append("versions " + ", ".join(f"`{v}`" for v in fields["versions"][:5]))
    if fields.get("error_codes"):
        facts.append("errors " + ", ".join(f"`{c}`" for c in fields["error_codes"][:5]))
    if facts:
        embed.add_field(name="Details found", value="; ".join(facts)[:1024], inline=False)
    if item.source_url:
        embed.add_field(name="Source", value=f"[Jump to the message]({item.source_url})")
    if item.link_url:
        embed.add_field(name="Linked issue", value=item.link_url[:1024])
    if item.attachments:
        embed.add_field(
            name="Attachments",
            value="\n".join(item.attachments[:5])[:1024],
            inline=False,
        )
    history = [
        f"{discord_timestamp(h.created_at, 'd')} **{h.status}** by {user_ref(h.actor_id)}"
        + (f" — {escape_md(h.note, 120)}" if h.note else "")
        for h in card.history[-6:]
    ]
    embed.add_field(name="History", value="\n".join(history)[:1024] or "—", inline=False)
    embed.set_footer(text=f"Captured via {item.source}")
    return embed


def render_page(page: Page, sort: str, status: str, tag: str) -> str:
    filters = []
    if tag:
        filters.append(f"tag `{tag}`")
    if status:
        filters.append(f"status {status}")
    head = f"**Feedback** ({', '.join(filters) or 'all open and closed'}; by {sort})"
    if not page.items:
        return f"{head}\nNothing matches. Try another tag or status, or `/feedback submit`."
    lines = [head]
    lines += [
        f"**#{i.id}** {STATUS_EMOJI.get(i.status, '')} {escape_md(i.summary, 80)} — "
        f"{vote_count(i.votes)}"
        for i in page.items
    ]
    lines.append(f"Page {page.page + 1} of {page.pages} · {plural(page.total, 'item')}")
    return "\n".join(lines)


def render_trends(t: Trends) -> str:
    lines = [
        f"**Feedback trends: last {plural(t.days, 'day')}** vs the {plural(t.days, 'day')} before",
        f"New items: **{t.new_items}** (before: {t.previous_items})",
    ]
    if t.tags:
        for tag in t.tags:
            pct = tag.change_pct
            change = "new" if pct is None else f"{pct:+.0f}%"
            lines.append(f"`{tag.tag}` {tag.count} (before {tag.previous}, {change})")
    else:
        lines.append("No tagged feedback in either period.")
    if t.top:
        lines.append("**Most-voted items this period:**")
        lines += [f"#{i.id} {escape_md(i.summary, 80)} — {vote_count(i.votes)}" for i in t.top]
    return "\n".join(lines)


def status_message(item: FeedbackItem, old: str, note: str, guild_name: str) -> str:
    lines = [
        f"📣 Update on feedback **#{item.id}** ({escape_md(item.summary)}) "
        f"in **{escape_md(guild_name, 60)}**:",
        f"{STATUS_EMOJI.get(item.status, '')} it's now **{item.status}** (was {old}).",
    ]
    if note:
        lines.append(f"Note: {escape_md(note, 500)}")
    if item.link_url:
        lines.append(f"Follow it here: {item.link_url}")
    lines.append("Thanks for telling us about it!")
    return "\n".join(lines)


def github_link_reply(item_id: int, result: LinkResult) -> str:
    title = f" “{escape_md(result.title, 80)}”" if result.title else ""
    if result.following:
        lines = [
            f"🔗 #{item_id} now links to <{result.url}> and follows {result.ref.ref}{title}.",
            "Its reporters and voters hear about it when the issue moves.",
        ]
    else:
        lines = [
            f"🔗 #{item_id} now links to <{result.url}> ({result.ref.ref}).",
            "Hallway follows GitHub issues once GITHUB_TOKEN is set.",
        ]
    if result.shared_with:
        others = ", ".join(f"#{i}" for i in result.shared_with)
        lines.append(f"Also linked to this issue: {others}.")
    return "\n".join(lines)


GITHUB_PHASES = {
    "following": "followed: the item moves when the issue does",
    "waiting-release": "fixed, waiting for release",
    "done": "closed on GitHub",
    "gone": "no longer on GitHub (deleted, or the token lost access); not followed",
}


def github_state(link: IssueLink) -> str:
    return f"{link.ref} — {GITHUB_PHASES.get(link.phase, link.phase)}"


@dataclass(frozen=True)
class ExportReply:
    text: str
    fits: bool  # whether the file goes with it


def render_export(export: ExportFile, fmt: str, limit: int, guild_id: int) -> ExportReply:
    """The export's reply, or how to get it when even zipped it is over the upload limit."""
    head = f"📦 {plural(export.count, 'feedback item')}"
    if export.zipped:
        head += (
            f" ({size_text(export.size)} of {fmt.upper()}, zipped to {size_text(len(export.data))})"
        )
    if len(export.data) <= limit:
        return ExportReply(head + ".", fits=True)
    return ExportReply(
        f"{head}: over this server's upload limit of {size_text(limit)}, so no file is attached. "
        "Export a shorter window with `since:` (e.g. `since:90d` or `since:2026-01-01`), or get "
        "everything on the bot's machine with "
        f"`python bot.py export --guild {guild_id} --format {fmt} --output feedback.{fmt}`.",
        fits=False,
    )
