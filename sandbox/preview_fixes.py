"""Where SimCord 3.2.1's preview and Discord differ, the sandbox bends the preview.

Each function works around one gap, all in the sandbox only (docs/sandbox.md lists them):

- ``answer_user_errors_quietly``: a refusal Hallway explains is not a "failed" action.
- ``render_embed_mentions``: mentions in embed descriptions and field values show as
  names, as Discord shows them (the preview leaves them raw).
- ``fall_back_to_general``: a viewer who can't see the page's channel is taken to #general
  instead of an "Unavailable channel" page.
- ``keep_the_clock_still``: time moves only with /sandbox advance, not with the wall clock.
- ``keep_links_local``: links to a channel, thread or message of the sandbox's server open
  that place in the sandbox instead of discord.com.

They reach into SimCord's private modules, so each is small and checked by
tests/test_sandbox.py against the pinned simcord version.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import discord
    from simcord import Env
    from simcord.builders import ChannelHandle
    from simcord.preview import Preview

    from bot import HallwayBot

# What the preview does to a mention, per field; Discord renders them in these two.
EMBED_MENTION_FIELDS = ("embed_description", "embed_field_value")
# Discord text, voice-less kinds the sandbox can show: text, announcement, threads.
_SHOWABLE = {0, 5, 10, 11, 12}
_DISCORD_LINK = re.compile(r"^https://discord\.com/channels/(\d+)/(\d+)(?:/(\d+))?$")


def answer_user_errors_quietly(bot: HallwayBot) -> None:
    """Keep friendly refusals from looking like crashes in the preview.

    SimCord records every error that reaches the tree's (or a modal's) on_error, and its
    preview then marks the action "failed" with "Action outcome uncertain", even when
    Hallway answered it with a clear ephemeral reply. A mistake Hallway explains
    (cogs._common.is_user_error) goes straight to Hallway's own handler instead;
    anything unexpected still reaches SimCord and shows as failed.
    """
    from cogs._common import is_user_error, report_error

    tree = bot.tree
    recorded = tree.on_error

    async def on_error(interaction: discord.Interaction, error: Exception) -> None:
        if is_user_error(error):
            await report_error(interaction, error)
        else:
            await recorded(interaction, error)

    tree.on_error = on_error  # type: ignore[method-assign]

    # SimCord wraps each stored view's and modal's on_error as it is stored, keeping
    # Hallway's handler as __simcord_original_callback__.
    store = bot._connection._view_store
    store_view = store.add_view

    def add_view(view: Any, message_id: int | None = None) -> None:
        store_view(view, message_id)
        wrapped = view.on_error
        original = getattr(wrapped, "__simcord_original_callback__", None)
        if original is None:
            return

        async def quiet(interaction: discord.Interaction, error: Exception, *args: Any) -> None:
            if is_user_error(error):
                await original(interaction, error, *args)
            else:
                await wrapped(interaction, error, *args)

        quiet.__simcord_original_callback__ = original  # type: ignore[attr-defined]
        view.on_error = quiet

    store.add_view = add_view


def keep_the_clock_still(bot: HallwayBot, env: Env) -> None:
    """Time moves only with /sandbox advance.

    SimCord lets a timer it doesn't recognise fire on the wall clock, moving virtual
    time to it: Hallway's alarm sleeping until a job 10 minutes ahead made the clock
    jump 10 minutes after 10 real minutes in the page. Declared as an external wait,
    the alarm's sleep ends only when virtual time reaches it (or the alarm is woken).
    """
    from simcord import SetupError

    from services.time.pacer import Pacer

    async def sleep(seconds: float) -> None:
        try:
            await env.external_wait(
                asyncio.sleep(seconds), reason="Hallway's alarm waits for virtual time"
            )
        except SetupError:
            # Not inside SimCord's tracked work (shouldn't happen): sleep as usual.
            await asyncio.sleep(seconds)

    bot.alarm.sleep = sleep
    # No real Discord to protect here, and a paced send waiting for virtual time would
    # stall the seed (time moves only with /sandbox advance): the sandbox doesn't pace.
    bot.pacer = bot.storm_pacer = Pacer(rate=1e9, burst=1_000_000)


def render_embed_mentions() -> None:
    from simcord.preview import _markdown

    for field in EMBED_MENTION_FIELDS:
        _markdown._FIELD_POLICIES[field]["mentions"] = True


def point_page(preview: Preview, page: Any, channel_id: int) -> None:
    """Move one page to another channel, as SimCord's own viewer switch moves a page."""
    preview._clear_page_assets(page)
    page.channel_id = channel_id
    page.generation += 1
    preview._reset_queries(page)
    page.target_id = preview._initial_target(page.viewer, channel_id)
    page.window_end_id = page.target_id
    page.modal = None
    page.modal_handle = None
    page.status = "current"


def fall_back_to_general(preview: Preview, general: ChannelHandle) -> None:
    """A page whose viewer can't see its channel (e.g. a developer on #advocates) moves
    to #general, which everyone sees, instead of a dead "Unavailable channel" page."""
    from simcord.backend.access import can_access_channel

    publish = preview._publish

    def publish_somewhere_visible(page: Any, **kwargs: Any) -> None:
        if page.channel_id != general.id and not can_access_channel(
            preview.env, page.channel_id, page.viewer, history=True
        ):
            point_page(preview, page, general.id)
            # SimCord 3.2.1 runs a page's commands in the preview's one channel, not the
            # page's: left on #advocates, the developer's commands would fail there.
            preview.channel = general
        publish(page, **kwargs)

    preview._publish = publish_somewhere_visible  # type: ignore[method-assign]


def showable_places(preview: Preview, guild_id: int, viewer: Any) -> list[tuple[int, str]]:
    """Every text channel, announcement channel, thread and forum post the viewer can
    see, as (id, label), channels first, each followed by its threads."""
    from simcord.backend.access import can_access_channel

    channels = preview.env.backend.channels
    mine = [
        c
        for c in channels.values()
        if c.guild_id == guild_id
        and int(c.type) in _SHOWABLE | {15}
        and can_access_channel(preview.env, c.id, viewer, history=True)
    ]
    by_id = {c.id: c for c in mine}
    places: list[tuple[int, str]] = []
    for parent in sorted((c for c in mine if not c.is_thread), key=lambda c: c.position or 0):
        if int(parent.type) in _SHOWABLE:
            places.append((parent.id, f"#{parent.name}"))
        for thread in sorted(
            (c for c in mine if c.is_thread and c.parent_id == parent.id), key=lambda c: c.id
        ):
            places.append((thread.id, f"#{parent.name} › {thread.name}"))
    # Threads whose parent the viewer can't open still show under their own name.
    places += [
        (c.id, f"› {c.name}")
        for c in mine
        if c.is_thread and c.parent_id not in by_id and (c.id, f"› {c.name}") not in places
    ]
    return places


def keep_links_local(
    preview: Preview, guild_id: int, show: Callable[[int], object]
) -> Callable[[], None]:
    """Discord links into the sandbox's server open that place in the sandbox; returns
    a function that puts the preview's link functions back (call it when done).

    The preview turns channel and message references into discord.com links (and its
    page only follows those); in the sandbox they become links to the page itself with
    ``?show=<channel id>``, which switches the page to that channel or thread.
    """
    from simcord.preview import _markdown, _messages

    server = preview._server

    def local(url: str) -> str:
        match = _DISCORD_LINK.match(url)
        if match is None or int(match.group(1)) != guild_id or server.port is None:
            return url
        return f"http://127.0.0.1:{server.port}/?show={match.group(2)}#{preview.capability}"

    # The preview's own functions, even when an earlier sandbox in this process patched them.
    message_link = getattr(_messages, "_hallway_original_link", _messages._discord_message_link)
    safe_href = getattr(_markdown, "_hallway_original_href", _markdown._safe_href)
    _messages._hallway_original_link = message_link  # type: ignore[attr-defined]
    _markdown._hallway_original_href = safe_href  # type: ignore[attr-defined]

    def sandbox_message_link(g: int, channel_id: int, message_id: int | None = None) -> str:
        return local(message_link(g, channel_id, message_id))

    def sandbox_safe_href(value: str) -> str | None:
        checked = safe_href(value)
        return local(checked) if checked is not None else None

    _messages._discord_message_link = sandbox_message_link
    _markdown._safe_href = sandbox_safe_href

    static = server._static
    index = server._index

    async def patched_static(request: Any) -> Any:
        response = await static(request)
        if request.path in ("/messages.js", "/text.js"):
            # The page follows only discord.com links for references and opens every
            # link in a new tab; the sandbox's own links stay in this tab.
            text = response.text.replace(
                'if (url.protocol !== "https:" || url.hostname !== "discord.com") return;',
                "if (url.origin !== window.location.origin) return;",
            ).replace(
                'link.target = "_blank";',
                'if (new URL(link.href).origin !== window.location.origin) link.target = "_blank";',
            )
            response.text = text
        return response

    async def patched_index(request: Any) -> Any:
        wanted = request.query.get("show", "")
        if wanted.isdigit():
            show(int(wanted))
        return await index(request)

    server._static = patched_static  # type: ignore[method-assign]
    server._index = patched_index  # type: ignore[method-assign]

    def restore() -> None:
        _messages._discord_message_link = message_link
        _markdown._safe_href = safe_href

    return restore
