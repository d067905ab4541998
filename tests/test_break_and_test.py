"""tools/break_and_test.py: the break it makes is the one asked for, or none at all."""

from __future__ import annotations

import pytest

from tools.break_and_test import broken

SQL = 'x = 1\n"SELECT 1 FROM t WHERE t.guild_id = ? AND day = ?"\ny = 2\n'


def test_the_guild_break_widens_one_lines_filter_with_the_same_parameters() -> None:
    assert broken(SQL, [2], "GUILD", "") == SQL.replace("t.guild_id = ?", "(t.guild_id = ? OR 1)")


def test_a_plain_break_replaces_on_the_named_lines_or_the_first_anywhere() -> None:
    assert broken(SQL, [1, 3], "= ", "!= ") == SQL.replace("x = 1", "x != 1").replace(
        "y = 2", "y != 2"
    )
    assert broken(SQL, [0], "= ?", "> ?") == SQL.replace("= ?", "> ?", 1)


@pytest.mark.parametrize("lines", [[1], [0]])
def test_a_break_that_matches_nothing_stops_rather_than_testing_unbroken_code(lines) -> None:
    with pytest.raises(SystemExit):
        broken(SQL, lines, "GUILD" if lines == [1] else "absent", "")
