"""/feedback: capture, browse and follow up on developer feedback.

Capture paths: the submit modal, the "Capture feedback" message menu, an advocate's
capture-emoji reaction, and office hours (through the service). Each reply shows the item
id, its tags and similar open items with "+1 #N instead" / "Keep separate" buttons.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import (
    NO_PINGS,
    Refusal,
    advocate_only,
    fit_lines,
    is_advocate,
    member_is_advocate,
    send_ephemeral,
)
from cogs.feedback.forum import FeedbackForum, notify
from cogs.feedback.render import (
    STATUS_EMOJI,
    capture_reply,
    escape_md,
    github_link_reply,
    github_state,
    render_card,
    render_export,
    render_page,
    render_trends,
    status_message,
    tag_list,
    vote_count,
)
from cogs.feedback.views import (
    COG_NAME,
    CaptureModal,
    SubmitModal,
    capture_view,
    card_view,
    page_view,
)
from services.errors import InvalidInput
from services.feedback.capture import (
    MAX_MESSAGE_TEXT,
    CaptureResult,
    FeedbackService,
    StatusChange,
    parse_tag_list,
    summary_from_text,
    validate_link,
)
from services.feedback.export import parse_since
from services.worker_process import WorkerError
from storage.feedback.items import FeedbackItem

if TYPE_CHECKING:
    from bot import HallwayBot
    from services.github.follow import GitHubService

log = logging.getLogger(__name__)

StatusChoice = Literal["new", "acknowledged", "planned", "in-progress", "shipped", "declined"]
ListStatus = Literal[
    "new", "acknowledged", "planned", "in-progress", "shipped", "declined", "duplicate"
]


class FeedbackCog(commands.Cog, name=COG_NAME):
    feedback = app_commands.Group(
        name="feedback", description="Capture and follow developer feedback", guild_only=True
    )
    tags_group = app_commands.Group(name="tags", description="Pain-point tags", parent=feedback)
    areas_group = app_commands.Group(
        name="areas", description="This server's product areas", parent=feedback
    )

    def __init__(
        self, bot: HallwayBot, service: FeedbackService, github: GitHubService | None = None
    ) -> None:
        self.bot = bot
        self.service = service
        # The GitHub follow-up, handed in by bot.py; its status changes come back through
        # apply_status, the same path as /feedback status.
        self.github = github
        self.capture_menu = app_commands.ContextMenu(
            name="Capture feedback", callback=self.capture_menu_callback
        )
        self.capture_menu.guild_only = True
        self.forum = FeedbackForum(bot, service)
        service.on_created = self.forum.post_to_forum

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.capture_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.capture_menu.name, type=self.capture_menu.type)

    # ------------------------------------------------------------------ autocomplete

    async def _item_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        items = await self.service.autocomplete(interaction.guild_id, current)
        return [
            app_commands.Choice(name=f"#{i.id} [{i.status}] {i.summary}"[:100], value=i.id)
            for i in items
        ]

    async def _tag_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        names = await self.service.tags.known_tags(interaction.guild_id)
        cur = current.lower().strip()
        return [app_commands.Choice(name=n, value=n) for n in names if cur in n][:25]

    # ------------------------------------------------------------------ capture: submit

    @feedback.command(name="submit")
    async def submit(self, interaction: discord.Interaction) -> None:
        """Send feedback: a summary, details and (optionally) a product area."""
        assert interaction.guild_id is not None
        areas = await self.service.areas(interaction.guild_id)
        await interaction.response.send_modal(SubmitModal(areas))

    async def submit_from_modal(
        self, interaction: discord.Interaction, summary: str, details: str, area: str
    ) -> None:
        assert interaction.guild_id is not None
        channel_id = interaction.channel_id
        result = await self.service.capture(
            guild_id=interaction.guild_id,
            source="command",
            reporter_id=interaction.user.id,
            reporter_name=interaction.user.display_name,
            captured_by_id=interaction.user.id,
            summary=summary,
            details=details,
            product_area=area,
            channel_id=channel_id,
        )
        await self._reply_capture(interaction, result)

    async def _reply_capture(self, interaction: discord.Interaction, result: CaptureResult) -> None:
        view = capture_view(result)
        kwargs = {"view": view} if view is not None else {}
        await send_ephemeral(interaction, capture_reply(result), **kwargs)
        if result.created:
            await self.forum.post_to_forum(result.item)

    # ------------------------------------------------------------------ capture: message menu

    async def capture_menu_callback(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """Capture this message as feedback."""
        if interaction.guild_id is None:
            raise Refusal("Feedback can only be captured in a server.")
        advocate = await is_advocate(interaction)
        if message.author.id != interaction.user.id and not advocate:
            raise Refusal(
                "You can capture your own messages; only advocates can capture other people's. "
                "To add yours, use `/feedback submit`."
            )
        if advocate:
            existing = await self.service.captured_item(interaction.guild_id, message.id)
            if existing is None:
                modal = CaptureModal(message, summary_from_text(message.content))
                await interaction.response.send_modal(modal)
                return
        await self.capture_message(interaction, message, summary=None)

    async def capture_message(
        self, interaction: discord.Interaction, message: discord.Message, *, summary: str | None
    ) -> None:
        assert interaction.guild_id is not None
        result = await self._capture_message(
            interaction.guild_id, message, interaction.user.id, "message", summary
        )
        await self._reply_capture(interaction, result)

    async def _capture_message(
        self,
        guild_id: int,
        message: discord.Message,
        captured_by: int,
        source: str,
        summary: str | None,
    ) -> CaptureResult:
        text = message.content or ""
        attachments = [a.url for a in message.attachments]
        if summary is None:
            summary = summary_from_text(text)
        if not summary and attachments:
            summary = f"Attachment from {message.author.display_name}"
        if not summary and not text.strip():
            raise InvalidInput(
                "That message has no text to capture. Use `/feedback submit` to describe it."
            )
        return await self.service.capture(
            guild_id=guild_id,
            source=source,
            reporter_id=message.author.id,
            reporter_name=message.author.display_name,
            captured_by_id=captured_by,
            summary=summary,
            details=text,
            channel_id=message.channel.id,
            message_id=message.id,
            source_url=message.jump_url,
            attachments=attachments,
            max_details=MAX_MESSAGE_TEXT,
        )

    # ------------------------------------------------------------------ capture: reaction

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.guild_id is None or self.bot.user is None:
            return
        if payload.user_id == self.bot.user.id:
            return
        member = payload.member
        if member is None or member.bot:
            return
        config = await self.bot.services.guild_settings.config(payload.guild_id)
        if str(payload.emoji) != config.capture_emoji:
            return
        if not await member_is_advocate(self.bot, member):
            return  # a member's own 📝 is just a reaction
        try:
            await self._capture_reaction(payload, member, config.capture_emoji)
        except discord.HTTPException:
            log.warning("Reaction capture failed in channel %s", payload.channel_id, exc_info=True)

    async def _capture_reaction(
        self, payload: discord.RawReactionActionEvent, member: discord.Member, emoji: str
    ) -> None:
        assert payload.guild_id is not None
        channel = self.bot.get_channel(payload.channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            return
        message = await channel.fetch_message(payload.message_id)
        try:
            result = await self._capture_message(
                payload.guild_id, message, member.id, "reaction", None
            )
        except InvalidInput as exc:
            await self._tell_capturer(member, message, f"Nothing was captured: {exc}")
            return
        if result.created:
            try:
                await message.add_reaction(emoji)
            except discord.HTTPException:
                # The item is saved; the acknowledgement is a courtesy, the DM below is not.
                log.warning("Could not add the capture reaction in %s", payload.channel_id)
        text = capture_reply(result)
        view = capture_view(result, payload.guild_id)
        await self._tell_capturer(member, message, f"{message.jump_url}\n{text}", view)
        if result.created:
            await self.forum.post_to_forum(result.item)

    async def _tell_capturer(
        self,
        member: discord.Member,
        message: discord.Message,
        text: str,
        view: discord.ui.View | None = None,
    ) -> None:
        """By DM; if DMs are closed, a non-pinging reply to the captured message."""
        try:
            await member.send(text, view=view, allowed_mentions=NO_PINGS)
        except discord.Forbidden:
            await message.reply(
                f"{member.mention} {text}",
                mention_author=False,
                allowed_mentions=NO_PINGS,
            )

    # ------------------------------------------------------------------ dedupe buttons

    async def plus_one_instead(
        self, interaction: discord.Interaction, item_id: int, target: int, guild_id: int | None
    ) -> None:
        gid = interaction.guild_id or guild_id
        if gid is None:
            raise InvalidInput("Use this button in the server where the feedback was captured.")
        advocate = interaction.guild_id is not None and await is_advocate(interaction)
        item = await self.service.plus_one_instead(
            gid, item_id, target, interaction.user.id, advocate=advocate
        )
        await interaction.response.edit_message(
            content=f"👍 Folded #{item_id} into **#{item.id}** {escape_md(item.summary)} — "
            f"{vote_count(item.votes)} now.",
            view=None,
            allowed_mentions=NO_PINGS,
        )
        await self.forum.update_forum(gid, item_id)

    async def keep_separate(self, interaction: discord.Interaction, item_id: int) -> None:
        content = interaction.message.content if interaction.message else ""
        await interaction.response.edit_message(
            content=f"{content}\n✅ Kept #{item_id} as its own item.",
            view=None,
            allowed_mentions=NO_PINGS,
        )

    # ------------------------------------------------------------------ cards and votes

    @feedback.command(name="show")
    @app_commands.describe(item="The item's number")
    async def show(self, interaction: discord.Interaction, item: int) -> None:
        """Show a feedback item: tags, votes, status, history and links."""
        assert interaction.guild_id is not None
        card = await self.service.card(interaction.guild_id, item)
        embed = render_card(card)
        link = await self.github.link_of(interaction.guild_id, item) if self.github else None
        if link is not None:
            embed.add_field(name="GitHub", value=github_state(link), inline=False)
        await interaction.response.send_message(
            embed=embed,
            view=card_view(card.item.id, card.item.link_url),
            allowed_mentions=NO_PINGS,
        )

    show.autocomplete("item")(_item_choices)

    @feedback.command(name="vote")
    @app_commands.describe(item="The item's number")
    async def vote(self, interaction: discord.Interaction, item: int) -> None:
        """Add your +1 to a feedback item."""
        assert interaction.guild_id is not None
        result = await self.service.vote(interaction.guild_id, item, interaction.user.id)
        await send_ephemeral(interaction, self._vote_text(result.item, result.added, item))

    vote.autocomplete("item")(_item_choices)

    @staticmethod
    def _vote_text(item: FeedbackItem, added: bool, asked: int) -> str:
        moved = f" (#{asked} was merged into #{item.id})" if asked != item.id else ""
        if added:
            return f"👍 Your +1 on **#{item.id}** is counted{moved}: {vote_count(item.votes)}."
        return (
            f"You already voted for **#{item.id}**{moved} ({vote_count(item.votes)}); "
            "once is enough."
        )

    async def vote_button(self, interaction: discord.Interaction, item_id: int) -> None:
        if interaction.guild_id is None:
            raise InvalidInput("Vote in the server where the feedback lives.")
        result = await self.service.vote(interaction.guild_id, item_id, interaction.user.id)
        message = interaction.message
        if result.added and message is not None and message.embeds and not message.flags.ephemeral:
            card = await self.service.card(interaction.guild_id, item_id)
            await interaction.response.edit_message(
                embed=render_card(card), allowed_mentions=NO_PINGS
            )
        await send_ephemeral(interaction, self._vote_text(result.item, result.added, item_id))

    # ------------------------------------------------------------------ advocate actions

    @feedback.command(name="status")
    @app_commands.describe(
        item="The item's number",
        status="The new status",
        note="Shown in the history and in the message to reporters and voters",
    )
    @advocate_only()
    async def status(
        self,
        interaction: discord.Interaction,
        item: int,
        status: StatusChoice,
        note: str | None = None,
    ) -> None:
        """Move an item to a new status and tell its reporters and voters."""
        assert interaction.guild is not None
        change = await self.service.set_status(
            interaction.guild.id, item, status, interaction.user.id, note
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        dm, posted = await self._announce(change, interaction.guild.name)
        told = f"told {dm} by DM" if dm else "no DMs sent"
        if posted:
            told += f"; {posted} with closed DMs were told in <#{change.item.channel_id}>"
        await interaction.followup.send(
            f"✅ #{change.item.id} is now **{change.item.status}** ({told}).",
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    status.autocomplete("item")(_item_choices)

    async def _announce(self, change: StatusChange, guild_name: str) -> tuple[int, int]:
        """After a status change: reporters and voters told, the forum post redrawn."""
        text = status_message(change.item, change.old_status, change.note, guild_name)
        reached: list[int] = []
        told = await notify(self.bot, change.item, change.recipients, text, reached)
        if change.item.status == "shipped":
            # Loop closure counts only the DMs that arrived.
            await self.service.record_told(change.item.guild_id, change.item.id, reached)
        await self.forum.update_forum(change.item.guild_id, change.item.id)
        return told

    async def apply_status(self, guild_id: int, item_id: int, status: str, note: str) -> None:
        """The status path for changes that come from elsewhere (a followed GitHub issue)."""
        actor = self.bot.user.id if self.bot.user is not None else 0
        change = await self.service.set_status(guild_id, item_id, status, actor, note)
        guild = self.bot.get_guild(guild_id)
        await self._announce(change, guild.name if guild is not None else "your server")

    @feedback.command(name="link")
    @app_commands.describe(
        item="The item's number",
        url="An issue-tracker URL; GitHub issues and pull requests are followed",
    )
    @advocate_only()
    async def link(self, interaction: discord.Interaction, item: int, url: str) -> None:
        """Attach an issue-tracker link to a feedback item; GitHub links are followed."""
        assert interaction.guild_id is not None
        followed = None
        if self.github is not None:
            validate_link(url)
            if self.github.is_github_url(url):
                # GitHub is asked whether the issue exists, which may take a moment.
                await interaction.response.defer(ephemeral=True, thinking=True)
            followed = await self.github.link(interaction.guild_id, item, url)
        if followed is None:
            updated = await self.service.link(interaction.guild_id, item, url)
            await send_ephemeral(
                interaction, f"🔗 #{updated.id} now links to <{updated.link_url}>."
            )
        else:
            await send_ephemeral(interaction, github_link_reply(item, followed))
        await self.forum.update_forum(interaction.guild_id, item)

    link.autocomplete("item")(_item_choices)

    @feedback.command(name="github")
    @app_commands.describe(
        repo="The GitHub repository, as owner/name",
        ship_on="When an item counts as shipped: its issue closes, or the next release",
    )
    @app_commands.rename(ship_on="ship-on")
    @advocate_only()
    async def github_repo(
        self,
        interaction: discord.Interaction,
        repo: str,
        ship_on: Literal["close", "release"] = "close",
    ) -> None:
        """Set this server's GitHub repository for new issues and when items ship."""
        assert interaction.guild_id is not None
        github = self._github()
        await interaction.response.defer(ephemeral=True, thinking=True)
        config, warning = await github.configure(
            interaction.guild_id, repo, ship_on, interaction.channel_id
        )
        when = (
            "when its issue closes as completed"
            if config.ship_on == "close"
            else "when the first release after its issue closes is published"
        )
        text = (
            f"✅ GitHub repository: **{escape_md(config.full_name, 140)}**. An item linked to "
            f"an issue is shipped {when}. Open issues with `/feedback github-create`."
        )
        if warning:
            text += f"\n⚠️ {warning}"
        await send_ephemeral(interaction, text)

    @feedback.command(name="github-create")
    @app_commands.describe(item="The item's number")
    @advocate_only()
    async def github_create(self, interaction: discord.Interaction, item: int) -> None:
        """Open a GitHub issue from a feedback item and follow it."""
        assert interaction.guild_id is not None
        github = self._github()
        card = await self.service.card(interaction.guild_id, item)
        jump = card.item.source_url or (
            f"https://discord.com/channels/{interaction.guild_id}/{card.item.forum_thread_id}"
            if card.item.forum_thread_id
            else None
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        issue, updated = await github.create_issue(interaction.guild_id, item, jump)
        await interaction.followup.send(
            f"🐙 Opened {issue.owner}/{issue.name}#{issue.number} from #{updated.id}: "
            f"<{issue.html_url}>. Reporters and voters hear when it ships.",
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )
        await self.forum.update_forum(interaction.guild_id, updated.id)

    github_create.autocomplete("item")(_item_choices)

    def _github(self) -> GitHubService:
        if self.github is None:
            raise InvalidInput("GitHub follow-up isn't part of this Hallway.")
        return self.github

    @feedback.command(name="merge")
    @app_commands.describe(duplicate="The item that repeats another", into="The item to keep")
    @advocate_only()
    async def merge(self, interaction: discord.Interaction, duplicate: int, into: int) -> None:
        """Merge a duplicate into another item, moving its votes and reporters."""
        assert interaction.guild_id is not None
        kept = await self.service.merge(interaction.guild_id, duplicate, into, interaction.user.id)
        await send_ephemeral(
            interaction,
            f"🔁 #{duplicate} is now a duplicate of **#{kept.id}** {escape_md(kept.summary)} "
            f"({vote_count(kept.votes)}).",
        )
        await self.forum.update_forum(interaction.guild_id, duplicate)

    merge.autocomplete("duplicate")(_item_choices)
    merge.autocomplete("into")(_item_choices)

    @feedback.command(name="tag")
    @app_commands.describe(
        item="The item's number",
        add="Tags to add, separated by commas",
        remove="Tags to remove, separated by commas",
    )
    @advocate_only()
    async def tag(
        self,
        interaction: discord.Interaction,
        item: int,
        add: str | None = None,
        remove: str | None = None,
    ) -> None:
        """Correct an item's tags; the server's tagger learns from it."""
        assert interaction.guild_id is not None
        updated = await self.service.tags.retag(
            interaction.guild_id,
            item,
            interaction.user.id,
            parse_tag_list(add),
            parse_tag_list(remove),
        )
        await send_ephemeral(
            interaction,
            f"🏷️ #{updated.id} tags: {tag_list(updated)}. Thanks — the tagger learns from this.",
        )

    tag.autocomplete("item")(_item_choices)

    # ------------------------------------------------------------------ browse

    @feedback.command(name="list")
    @app_commands.describe(tag="Only items with this tag", status="Only items with this status")
    async def list_items(
        self,
        interaction: discord.Interaction,
        tag: str | None = None,
        status: ListStatus | None = None,
        sort: Literal["votes", "recent"] = "votes",
    ) -> None:
        """List feedback items, most-voted or most recent first."""
        await self.show_page(interaction, 0, sort, status or "", (tag or "").strip().lower())

    list_items.autocomplete("tag")(_tag_choices)

    async def show_page(
        self, interaction: discord.Interaction, page: int, sort: str, status: str, tag: str
    ) -> None:
        if interaction.guild_id is None:
            raise InvalidInput("Use this in a server.")
        result = await self.service.list_page(
            interaction.guild_id, tag=tag or None, status=status or None, sort=sort, page=page
        )
        content = render_page(result, sort, status, tag)
        view = page_view(result.page, result.pages, sort, status, tag)
        if interaction.type is discord.InteractionType.component:
            await interaction.response.edit_message(
                content=content, view=view, allowed_mentions=NO_PINGS
            )
        elif view is not None:
            await send_ephemeral(interaction, content, view=view)
        else:
            await send_ephemeral(interaction, content)

    @feedback.command(name="search")
    @app_commands.describe(query="Words to look for")
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        """Search this server's feedback."""
        assert interaction.guild_id is not None
        found = await self.service.search(interaction.guild_id, query)
        if not found:
            await send_ephemeral(
                interaction, "No feedback matches that. Try other words, or `/feedback list`."
            )
            return
        lines = [f"**Feedback matching** “{escape_md(query, 60)}”:"]
        lines += [
            f"**#{i.id}** {STATUS_EMOJI.get(i.status, '')} {escape_md(i.summary, 80)} — "
            f"{vote_count(i.votes)}"
            for i, _ in found
        ]
        await send_ephemeral(interaction, "\n".join(lines))

    @feedback.command(name="trends")
    @app_commands.describe(days="How many days to look back (default 30)")
    async def trends(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] = 30
    ) -> None:
        """Feedback per tag for a period against the one before, and the most-voted items."""
        assert interaction.guild_id is not None
        result = await self.service.trends(interaction.guild_id, days)
        await send_ephemeral(interaction, render_trends(result)[:2000])

    @feedback.command(name="export")
    @app_commands.describe(
        format="csv or json", since="Only items from this date (YYYY-MM-DD) or e.g. 30d"
    )
    @advocate_only()
    async def export(
        self,
        interaction: discord.Interaction,
        format: Literal["csv", "json"] = "csv",
        since: str | None = None,
    ) -> None:
        """Download every feedback field as a CSV or JSON file."""
        assert interaction.guild_id is not None and interaction.guild is not None
        start = parse_since(since, self.service.clock.now())
        # A big guild's file takes seconds to build: acknowledge within Discord's 3 s first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        stamp = self.service.clock.now().strftime("%Y%m%d")
        try:
            export = await self.service.export_file(
                interaction.guild_id, format, start, f"feedback-{stamp}"
            )
        except WorkerError:
            log.exception("feedback export failed in its worker process")
            await interaction.edit_original_response(
                content="❌ The export couldn't be built this time (its worker process stopped). "
                "Try again in a minute; if it keeps failing, the bot's machine can write the "
                f"same file with `python bot.py export --guild {interaction.guild_id} "
                f"--format {format}`.",
                allowed_mentions=NO_PINGS,
            )
            return
        reply = render_export(
            export, format, interaction.guild.filesize_limit, interaction.guild_id
        )
        files = []
        if reply.fits:
            files = [discord.File(io.BytesIO(export.data), filename=export.filename)]
        await interaction.edit_original_response(
            content=reply.text, attachments=files, allowed_mentions=NO_PINGS
        )

    # ------------------------------------------------------------------ tags and areas

    @tags_group.command(name="list")
    async def tags_list(self, interaction: discord.Interaction) -> None:
        """Show the pain-point tags with how many items carry each."""
        assert interaction.guild_id is not None
        infos = await self.service.tags.tag_infos(interaction.guild_id)
        lines = []
        for info in infos:
            extra = f" — keywords: {', '.join(info.keywords)}" if info.keywords else ""
            # The built-in descriptions are under 120 characters: shown whole, they say
            # what each tag covers, which a cut-off one didn't.
            kind = "custom" if info.custom else escape_md(info.description, 160)
            lines.append(
                f"`{info.name}` {info.items} · {info.open_items} — {kind}{escape_md(extra, 120)}"
            )
        header = "**Pain-point tags** (items · open)"
        await send_ephemeral(interaction, f"{header}\n{fit_lines(lines, 2000 - len(header) - 1)}")

    @tags_group.command(name="add")
    @app_commands.describe(
        name="Lower-case letters, digits and dashes", keywords="Words or phrases, comma-separated"
    )
    @advocate_only()
    async def tags_add(self, interaction: discord.Interaction, name: str, keywords: str) -> None:
        """Add a custom tag, or more keywords to a tag."""
        assert interaction.guild_id is not None
        words = await self.service.tags.add_custom_tag(interaction.guild_id, name, keywords)
        await send_ephemeral(
            interaction,
            f"🏷️ `{name.strip().lower()}` now matches: {escape_md(', '.join(words), 500)}. "
            "New feedback is tagged with it.",
        )

    @tags_group.command(name="remove")
    @app_commands.describe(name="The custom tag to remove")
    @advocate_only()
    async def tags_remove(self, interaction: discord.Interaction, name: str) -> None:
        """Remove a custom tag (items keep the tags they have)."""
        assert interaction.guild_id is not None
        await self.service.tags.remove_custom_tag(interaction.guild_id, name)
        await send_ephemeral(interaction, f"🗑️ Removed the custom tag `{escape_md(name, 32)}`.")

    @areas_group.command(name="set")
    @app_commands.describe(areas="Comma-separated, e.g. Dashboard, CLI, Python SDK; 'none' clears")
    @advocate_only()
    async def areas_set(self, interaction: discord.Interaction, areas: str) -> None:
        """Set the product areas people can pick when they submit feedback."""
        assert interaction.guild_id is not None
        raw = "" if areas.strip().lower() in ("none", "-", "clear") else areas
        names = await self.service.set_areas(interaction.guild_id, raw)
        text = ", ".join(names) if names else "none: any area text is accepted"
        await send_ephemeral(interaction, f"✅ Product areas: {escape_md(text, 1500)}.")

    @areas_group.command(name="list")
    async def areas_list(self, interaction: discord.Interaction) -> None:
        """Show this server's product areas."""
        assert interaction.guild_id is not None
        names = await self.service.areas(interaction.guild_id)
        text = ", ".join(names) if names else "none set: the product area is free text"
        await send_ephemeral(interaction, f"Product areas: {escape_md(text, 1500)}")
