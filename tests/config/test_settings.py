from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123"


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.token is None
    assert settings.database == Path("hallway.db")
    assert settings.dev_guild_id is None
    assert settings.log_level == "INFO"
    assert settings.timezone == "UTC"


def test_all_values() -> None:
    settings = load_settings(
        {
            "DISCORD_TOKEN": TOKEN,
            "HALLWAY_DATABASE": "/tmp/x.db",
            "HALLWAY_DEV_GUILD_ID": "123456789012345678",
            "HALLWAY_LOG_LEVEL": "debug",
            "HALLWAY_TIMEZONE": "Europe/Berlin",
        }
    )
    assert settings.token == TOKEN
    assert settings.database == Path("/tmp/x.db")
    assert settings.dev_guild_id == 123456789012345678
    assert settings.log_level == "DEBUG"
    assert settings.timezone == "Europe/Berlin"
    assert settings.require_token() == TOKEN


def test_settings_are_frozen() -> None:
    settings = load_settings({})
    with pytest.raises(AttributeError):
        settings.timezone = "Asia/Tokyo"  # type: ignore[misc]


def test_token_never_in_repr() -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN})
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert "token=set" in repr(settings)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DISCORD_TOKEN": "has spaces in it but long enough"}, "DISCORD_TOKEN looks malformed"),
        ({"DISCORD_TOKEN": "short"}, "DISCORD_TOKEN looks malformed"),
        ({"HALLWAY_DEV_GUILD_ID": "abc"}, "HALLWAY_DEV_GUILD_ID must be a server id"),
        ({"HALLWAY_DEV_GUILD_ID": "12"}, "HALLWAY_DEV_GUILD_ID must be a server id"),
        ({"HALLWAY_LOG_LEVEL": "LOUD"}, "HALLWAY_LOG_LEVEL must be one of DEBUG, INFO"),
        ({"HALLWAY_TIMEZONE": "Mars/Base"}, "HALLWAY_TIMEZONE must be an IANA time zone"),
        ({"HALLWAY_TIMEZONE": "../etc/passwd"}, "HALLWAY_TIMEZONE must be an IANA time zone"),
    ],
)
def test_each_bad_value_names_its_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(message)
    assert "\n" not in caught.value.problems[0]


def test_database_pointing_at_a_folder(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="HALLWAY_DATABASE must be a file path"):
        load_settings({"HALLWAY_DATABASE": str(tmp_path)})


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"HALLWAY_LOG_LEVEL": "x", "HALLWAY_TIMEZONE": "y"})
    assert len(caught.value.problems) == 2


def test_missing_token_when_required() -> None:
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is missing"):
        load_settings({}).require_token()


def test_module_reads_no_environment_at_import() -> None:
    # A fresh interpreter imports the module with a broken environment: reloading it here
    # instead would replace SettingsError under the other tests' feet.
    environ = {**os.environ, "HALLWAY_TIMEZONE": "Not/AZone", "HALLWAY_LOG_LEVEL": "LOUD"}
    environ.pop("DISCORD_TOKEN", None)
    code = "import config.settings as m; print(m.load_settings({}).timezone)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr  # would fail if the module read the environment
    assert done.stdout.strip() == "UTC"


def test_github_settings_defaults_and_errors() -> None:
    settings = load_settings({})
    assert settings.github_token is None
    assert settings.github_api_url == "https://api.github.com"
    assert settings.github_poll_minutes == 10
    custom = load_settings(
        {
            "GITHUB_TOKEN": "github_pat_abc",
            "GITHUB_API_URL": "https://ghe.corp/api/v3/",
            "HALLWAY_GITHUB_POLL_MINUTES": "5",
        }
    )
    assert custom.github_api_url == "https://ghe.corp/api/v3" and custom.github_poll_minutes == 5
    assert "github_pat_abc" not in repr(custom)
    with pytest.raises(SettingsError) as caught:
        load_settings({"GITHUB_API_URL": "ftp://x", "HALLWAY_GITHUB_POLL_MINUTES": "0"})
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("GITHUB_API_URL") and problems[1].startswith(
        "HALLWAY_GITHUB_POLL_MINUTES"
    )


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, None), ("auto", "auto"), ("AUTO", "auto"), ("4", 4)]
)
def test_hallway_shards(raw: str | None, expected: object) -> None:
    environ = {} if raw is None else {"HALLWAY_SHARDS": raw}
    assert load_settings(environ).shards == expected


@pytest.mark.parametrize("raw", ["0", "-2", "two", "1001"])
def test_a_bad_shard_count_says_what_is_allowed(raw: str) -> None:
    with pytest.raises(SettingsError, match="HALLWAY_SHARDS must be `auto` or a number"):
        load_settings({"HALLWAY_SHARDS": raw})
