"""The body modals of /announce, and how a rendered post becomes a Discord message."""

from __future__ import annotations

from typing import Any

import discord

from services.announcements.text import MAX_BODY, MAX_IMAGE_URL, MAX_TITLE, RenderedPost
from storage.announcements import Announcement

# Modal submissions are handled by the cog's on_interaction listener, not by the
# Modal object, so a form opened before a restart still works after it: these
# prefixes carry the draft id, and the draft itself is in the database.
NEW_PREFIX = "hallway:announce:new:"
EDIT_PREFIX = "hallway:announce:edit:"

BODY_ID = "body"
IMAGE_ID = "image_url"
TITLE_ID = "title"


class _BodyModal(discord.ui.Modal):
    """Only a form: submissions go to AnnouncementsCog.on_interaction."""

    def __init__(self, *, title: str, custom_id: str) -> None:
        super().__init__(title=title, custom_id=custom_id, timeout=None)


def schedule_modal(draft_id: int) -> discord.ui.Modal:
    modal = _BodyModal(title="New announcement", custom_id=f"{NEW_PREFIX}{draft_id}")
    modal.add_item(
        discord.ui.TextInput(
            label="Body (markdown, up to 4000 characters)",
            placeholder="You can use {server}, {date} and {next_office_hours}",
            custom_id=BODY_ID,
            style=discord.TextStyle.paragraph,
            max_length=MAX_BODY,
            required=True,
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Image URL (optional, https://…)",
            custom_id=IMAGE_ID,
            required=False,
            max_length=MAX_IMAGE_URL,
        )
    )
    return modal


def edit_modal(draft_id: int, announcement: Announcement) -> discord.ui.Modal:
    modal = _BodyModal(
        title=f"Edit announcement #{announcement.id}", custom_id=f"{EDIT_PREFIX}{draft_id}"
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Title (optional)",
            custom_id=TITLE_ID,
            default=announcement.title or "",
            required=False,
            max_length=MAX_TITLE,
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Body (markdown, up to 4000 characters)",
            placeholder="You can use {server}, {date} and {next_office_hours}",
            custom_id=BODY_ID,
            style=discord.TextStyle.paragraph,
            default=announcement.body,
            max_length=MAX_BODY,
            required=True,
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Image URL (optional, https://…)",
            custom_id=IMAGE_ID,
            default=announcement.image_url or "",
            required=False,
            max_length=MAX_IMAGE_URL,
        )
    )
    return modal


def submitted_values(data: Any) -> dict[str, str]:
    """custom_id → value from a modal submission's raw components (rows or labels)."""
    values: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if "custom_id" in node and "value" in node:
                values[str(node["custom_id"])] = str(node["value"] or "")
            walk(node.get("components"))
            walk(node.get("component"))

    walk((data or {}).get("components"))
    return values


def allowed_mentions(post: RenderedPost) -> discord.AllowedMentions:
    """Exactly the chosen role (or @everyone) may ping; nothing else in the text can."""
    return discord.AllowedMentions(
        everyone=post.ping_everyone,
        users=False,
        roles=[discord.Object(id=post.ping_role_id)] if post.ping_role_id is not None else False,
        replied_user=False,
    )


def message_kwargs(post: RenderedPost) -> dict[str, Any]:
    embed = None
    if post.has_embed:
        embed = discord.Embed(
            title=post.embed_title,
            description=post.embed_description,
            colour=discord.Colour.blurple(),
        )
        if post.image_url:
            embed.set_image(url=post.image_url)
    kwargs: dict[str, Any] = {"content": post.content}
    if embed is not None:
        kwargs["embed"] = embed
    return kwargs


def matches_post(message: discord.Message, post: RenderedPost) -> bool:
    """Is this message our post (for a send a restart interrupted)?"""
    if (message.content or None) != post.content:
        return False
    if not post.has_embed:
        return not message.embeds
    if not message.embeds:
        return False
    embed = message.embeds[0]
    return embed.title == post.embed_title and embed.description == post.embed_description
