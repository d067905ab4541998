from __future__ import annotations

from types import SimpleNamespace

from services.digest.render import office_hours_section
from services.people import user_ref
from storage.privacy import FORGOTTEN_ID, FORMER_MEMBER


def test_a_member_is_a_mention_and_a_forgotten_one_is_a_former_member() -> None:
    assert user_ref(42) == "<@42>"
    assert user_ref(FORGOTTEN_ID) == FORMER_MEMBER
    assert user_ref(None) == FORMER_MEMBER


def test_the_digest_names_a_forgotten_host_as_a_former_member() -> None:
    figures = SimpleNamespace(
        sessions_held=1,
        asked=2,
        answered=2,
        skipped=0,
        carried_over=0,
        median_wait_seconds=None,
        unique_askers=2,
        host_ids=[7, FORGOTTEN_ID],
    )
    section = office_hours_section(figures)
    assert section is not None
    text = section.text()
    assert "<@7>" in text
    assert "a former member" in text
    assert "<@0>" not in text
