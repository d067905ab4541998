"""Who may run each command: a hand-written decision per command, checked against what the
live command tree really does, and the docs' permissions table checked against both.

The expected list below is written by hand on purpose. It is not derived from the
``advocate_only`` marker the code uses: what each command does is found by running it
as a plain member and as an advocate. A new command that nobody decided about fails
``test_every_command_has_a_decision``; one that forgot its check fails
``test_each_command_lets_in_exactly_who_the_list_says``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from cogs._common import ADVOCATE_NEEDED, permissions_table
from tests.conftest import make_advocates

DOCS = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"

EVERYONE = "everyone"
ADVOCATES = "advocates"  # the advocate role, or Manage Server (see /setup advocate-role)
MANAGE_SERVER = "Manage Server"  # Discord's own default_permissions gate; none use it yet

# Every slash command, subcommand and context menu, and who may run it. Adding a command
# means adding a line here: that is the decision.
WHO_MAY_RUN: dict[str, str] = {
    "/advocate away": ADVOCATES,
    "/advocate back": ADVOCATES,
    "/advocate hours": ADVOCATES,
    "/advocate load": ADVOCATES,
    "/advocate me": ADVOCATES,
    "/oncall configure": ADVOCATES,
    "/oncall handoff-note": ADVOCATES,
    "/oncall join": ADVOCATES,
    "/oncall leave": ADVOCATES,
    "/oncall override": ADVOCATES,
    "/oncall who": ADVOCATES,
    "/announce cancel": ADVOCATES,
    "/announce edit": ADVOCATES,
    "/announce history": ADVOCATES,
    "/announce list": ADVOCATES,
    "/announce pause": ADVOCATES,
    "/announce preview": ADVOCATES,
    "/announce resume": ADVOCATES,
    "/announce schedule": ADVOCATES,
    "/announce send-now": ADVOCATES,
    "/announce show": ADVOCATES,
    "/calls agenda": EVERYONE,
    "/calls agenda-list": EVERYONE,
    "/calls configure": ADVOCATES,
    "/calls create": ADVOCATES,
    # Advocates, or members with the host role; the service says so to others.
    "/calls host": EVERYONE,
    # Their own calls (the host's); advocates any call. Refused by the service otherwise.
    "/calls notes": EVERYONE,
    "/calls slot-add": ADVOCATES,
    "/calls slot-remove": ADVOCATES,
    "/calls suggest": ADVOCATES,
    "/calls swap": EVERYONE,
    "/calls unhost": EVERYONE,
    "/calls upcoming": EVERYONE,
    "/digest configure": ADVOCATES,
    "/digest post": ADVOCATES,
    "/digest preview": ADVOCATES,
    "/feedback areas list": EVERYONE,
    "/feedback areas set": ADVOCATES,
    "/feedback export": ADVOCATES,
    "/feedback github": ADVOCATES,
    "/feedback github-create": ADVOCATES,
    "/feedback link": ADVOCATES,
    "/feedback list": EVERYONE,
    "/feedback merge": ADVOCATES,
    "/feedback search": EVERYONE,
    "/feedback show": EVERYONE,
    "/feedback status": ADVOCATES,
    "/feedback submit": EVERYONE,
    "/feedback tag": ADVOCATES,
    "/feedback tags add": ADVOCATES,
    "/feedback tags list": EVERYONE,
    "/feedback tags remove": ADVOCATES,
    "/feedback trends": EVERYONE,
    "/feedback vote": EVERYONE,
    "/hallway configure": ADVOCATES,
    "/hallway join": EVERYONE,
    "/hallway leave": EVERYONE,
    "/hallway never": EVERYONE,
    "/hallway never-remove": EVERYONE,
    "/hallway pause": EVERYONE,
    "/hallway preview": ADVOCATES,
    "/hallway run": ADVOCATES,
    "/hallway stats": ADVOCATES,
    "/hallway status": EVERYONE,
    "/me show": EVERYONE,
    "/me timezone": EVERYONE,
    "/officehours ask": EVERYONE,
    "/officehours cancel": ADVOCATES,
    "/officehours end": ADVOCATES,
    "/officehours history": EVERYONE,
    "/officehours leave": EVERYONE,
    "/officehours next": ADVOCATES,
    "/officehours queue": EVERYONE,
    "/officehours schedule": ADVOCATES,
    "/officehours settings": ADVOCATES,
    "/officehours start": ADVOCATES,
    "/officehours upcoming": EVERYONE,
    "/privacy export": EVERYONE,
    "/privacy forget": EVERYONE,
    "/privacy retention": ADVOCATES,
    "/report": ADVOCATES,
    "/setup advocate-role": ADVOCATES,
    "/setup capture-emoji": ADVOCATES,
    "/setup channel": ADVOCATES,
    "/setup help-nudge": ADVOCATES,
    "/setup help-unmark": ADVOCATES,
    "/setup show": ADVOCATES,
    "/setup timezone": ADVOCATES,
    "/stats funnel": ADVOCATES,
    "/stats levels": ADVOCATES,
    "/stats levels-configure": ADVOCATES,
    "/stats loop": ADVOCATES,
    "/stats responsiveness": ADVOCATES,
    "/stats retention": ADVOCATES,
    "/stats summary": ADVOCATES,
    "/survey close": ADVOCATES,
    "/survey create": ADVOCATES,
    "/survey export": ADVOCATES,
    "/survey open": ADVOCATES,
    "/survey poll": ADVOCATES,
    "/survey preview": ADVOCATES,
    "/survey question": ADVOCATES,
    "/survey remind": ADVOCATES,
    "/survey repeat": ADVOCATES,
    "/survey results": EVERYONE,  # members only once results are public (tested with surveys)
    "Capture feedback (message menu)": EVERYONE,
}


def _commands(tree: app_commands.CommandTree) -> dict[str, Any]:
    """Every runnable command of the live tree by the name users see."""
    found: dict[str, Any] = {}
    for command in tree.walk_commands():
        if not isinstance(command, app_commands.Group):
            found[f"/{command.qualified_name}"] = command
    for kind, label in (
        (discord.AppCommandType.message, "message menu"),
        (discord.AppCommandType.user, "user menu"),
    ):
        for menu in tree.get_commands(type=kind):
            found[f"{menu.name} ({label})"] = menu
    return found


def _needs_manage_server(command: Any) -> bool:
    node = command
    while node is not None:
        perms = getattr(node, "default_permissions", None)
        if perms is not None and perms.manage_guild:
            return True
        node = getattr(node, "parent", None)
    return False


def _docs_table() -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"<!-- permissions-table -->\n(.*?)\n\n", text, re.S)
    assert match, "docs/permissions.md needs a table right after <!-- permissions-table -->"
    return match.group(1).strip()


async def test_every_command_has_a_decision(world, bots) -> None:
    live = set(_commands(bots.current.tree))
    assert len(live) == len(WHO_MAY_RUN) == 106
    assert sorted(live - set(WHO_MAY_RUN)) == [], "new commands: add who may run them above"
    assert sorted(set(WHO_MAY_RUN) - live) == [], "commands gone from the tree: drop them above"


async def _run(world: Any, actor: Any, name: str, command: Any) -> Any:
    if name.endswith("(message menu)"):
        message = await actor.send(world.general, "a message of my own")
        return await actor.context_menu(world.general, command.name, message)
    options = {
        param.display_name: _sample(world, param) for param in command.parameters if param.required
    }
    return await actor.slash(world.general, name[1:], **options)


def _refused(result: Any) -> bool:
    return result.modal is None and ADVOCATE_NEEDED in (result.response.content or "")


async def test_each_command_lets_in_exactly_who_the_list_says(world, bots) -> None:
    """Bob, a plain member, and Alice, an advocate, try every command; what happens is
    compared with the hand-written list."""
    await make_advocates(world)
    actual: dict[str, str] = {}
    for name, command in sorted(_commands(bots.current.tree).items()):
        if _needs_manage_server(command):
            actual[name] = MANAGE_SERVER
            continue
        as_member = await _run(world, world.bob, name, command)
        as_advocate = await _run(world, world.alice, name, command)
        assert not _refused(as_advocate), name  # advocates may run everything listed
        actual[name] = ADVOCATES if _refused(as_member) else EVERYONE
        if actual[name] == ADVOCATES:
            assert as_member.ephemeral, name
    assert actual == WHO_MAY_RUN


async def test_docs_permissions_table_matches_the_list_and_the_tree(world, bots) -> None:
    generated = permissions_table(bots.current.tree)
    assert _docs_table() == generated, (
        "docs/permissions.md's table is out of date; replace it with:\n" + generated
    )
    rows = re.findall(r"^\| `(.+?)` \| (✅|❌) \| ✅ \|$", _docs_table(), re.M)
    documented = {name: EVERYONE if member == "✅" else ADVOCATES for name, member in rows}
    assert documented == WHO_MAY_RUN


def _sample(world: Any, param: Any) -> Any:
    from discord import AppCommandOptionType as T

    if param.choices:
        return param.choices[0].value
    return {
        T.string: "x",
        T.integer: 1,
        T.number: 1.0,
        T.boolean: True,
        T.role: world.advocates,
        T.channel: world.general,
        T.user: world.bob,
        T.mentionable: world.bob,
    }.get(param.type, "x")
