"""The README's permissions table is checked against the real command tree."""

from __future__ import annotations

import re
from pathlib import Path

from cogs._common import command_permissions, permissions_table
from tests.conftest import make_advocates

README = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def _readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- permissions-table -->\n(.*?)\n\n", text, re.S)
    assert match, "README.md needs a table right after <!-- permissions-table -->"
    return match.group(1).strip()


async def test_readme_permissions_table_matches_the_command_tree(world, bots) -> None:
    expected = permissions_table(bots.current.tree)
    assert _readme_table() == expected, (
        "README permissions table is out of date; replace it with:\n" + expected
    )


async def test_every_advocate_only_command_refuses_a_member(world, bots) -> None:
    """Bob, a plain member, is refused every advocate-only slash command before it runs."""
    await make_advocates(world)
    tree = bots.current.tree
    refused = 0
    for name, advocate_only in command_permissions(tree):
        if not advocate_only or not name.startswith("/"):
            continue
        command = tree.get_command(name[1:].split(" ")[0])
        for part in name[1:].split(" ")[1:]:
            command = command.get_command(part)  # type: ignore[union-attr]
        options = {}
        for param in command.parameters:  # type: ignore[union-attr]
            if param.required:
                options[param.display_name] = _sample(world, param)
        result = await world.bob.slash(world.general, name[1:], **options)
        assert result.ephemeral, name
        assert "Only advocates can do that" in result.response.content, name
        refused += 1
    assert refused >= 5


def _sample(world, param):
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
