from __future__ import annotations

from tests.conftest import make_advocates


async def test_advocate_configures_and_settings_survive_restart(world, restart) -> None:
    env = world.env
    await make_advocates(world)
    office = world.guild.create_text_channel("office-hours")
    digest = world.guild.create_text_channel("digest")
    await env.settle()

    r = await world.alice.slash(world.general, "setup timezone", name="Europe/Berlin")
    assert r.ephemeral
    assert "Time zone set to Europe/Berlin" in r.response.content
    r = await world.alice.slash(world.general, "setup channel", kind="office-hours", channel=office)
    assert f"<#{office.id}>" in r.response.content
    await world.alice.slash(world.general, "setup channel", kind="digest", channel=digest)
    r = await world.alice.slash(world.general, "setup capture-emoji", emoji="🗒️")
    assert "Capture emoji set to 🗒️" in r.response.content

    new_bot = await restart()
    assert new_bot.synced_commands is False  # unchanged tree: no second sync

    r = await world.alice.slash(world.general, "setup show")
    assert r.ephemeral
    text = r.response.content
    assert f"Advocate role: <@&{world.advocates.id}>" in text
    assert "Time zone: Europe/Berlin" in text
    assert f"Office hours channel: <#{office.id}>" in text
    assert f"Digest channel: <#{digest.id}>" in text
    assert "Announcements channel: not set" in text
    assert "Capture emoji: 🗒️" in text


async def test_plain_member_is_refused_everywhere(world) -> None:
    await make_advocates(world)
    for name, options in [
        ("setup show", {}),
        ("setup timezone", {"name": "Asia/Tokyo"}),
        ("setup advocate-role", {"role": world.advocates}),
        ("setup channel", {"kind": "log", "channel": world.general}),
        ("setup capture-emoji", {"emoji": "🔥"}),
    ]:
        r = await world.bob.slash(world.general, name, **options)
        assert r.ephemeral, name
        assert "Only advocates can do that" in r.response.content, name
    r = await world.alice.slash(world.general, "setup show")
    assert "Time zone: UTC (default)" in r.response.content
    assert "Capture emoji: 📝" in r.response.content


async def test_manage_server_counts_as_advocate_before_any_setup(world) -> None:
    r = await world.admin.slash(world.general, "setup show")
    assert "Advocate role: not set" in r.response.content
    r = await world.alice.slash(world.general, "setup show")  # role not configured yet
    assert "Only advocates can do that" in r.response.content


async def test_bad_timezone_gets_a_clear_error_and_nothing_changes(world) -> None:
    await make_advocates(world)
    r = await world.alice.slash(world.general, "setup timezone", name="Mars/Olympus")
    assert r.ephemeral
    assert "isn't a time zone" in r.response.content
    assert "Europe/Berlin" in r.response.content  # shows an example that works
    r = await world.alice.slash(world.general, "setup show")
    assert "Time zone: UTC (default)" in r.response.content


async def test_bad_emoji_is_refused(world) -> None:
    await make_advocates(world)
    r = await world.alice.slash(world.general, "setup capture-emoji", emoji="note")
    assert r.ephemeral
    assert "isn't an emoji" in r.response.content


async def test_timezone_autocomplete(world) -> None:
    await make_advocates(world)
    choices = await world.alice.autocomplete(world.general, "setup timezone", "name", "berl")
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in choices


async def test_replies_never_ping(world) -> None:
    await make_advocates(world)
    await world.alice.slash(world.general, "setup show")
    replies = [req for req in world.env.http_requests if "/callback" in req.path and req.json]
    assert replies
    for req in replies:
        mentions = req.json.get("data", {}).get("allowed_mentions")
        assert mentions == {"parse": []}, mentions
