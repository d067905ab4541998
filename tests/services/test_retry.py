"""The retry policy on its own (services/retry.py): which faults are retried, when the
post is looked for, and what giving up reports. Pauses are patched out."""

from __future__ import annotations

import pytest

from services import retry
from services.retry import DEFAULT_POLICY, ONCE, Fault, RetryPolicy, SendFailed, fault_for_status


class Lost(Exception):
    pass


class Busy(Exception):
    pass


class Refused(Exception):
    pass


def classify(error: Exception) -> Fault | None:
    return {Lost: Fault.LOST, Busy: Fault.BUSY, Refused: Fault.FINAL}.get(type(error))


class Script:
    """A send that raises the scripted errors in turn, then returns "sent"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.sends = 0
        self.looks = 0
        self.there: str | None = None

    async def send(self) -> str:
        self.sends += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"

    async def find(self) -> str | None:
        self.looks += 1
        return self.there


@pytest.fixture
def pauses(monkeypatch) -> list[float]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(retry.asyncio, "sleep", sleep)
    return slept


def test_statuses() -> None:
    assert [fault_for_status(s) for s in (500, 502, 429)] == [Fault.BUSY] * 3
    assert [fault_for_status(s) for s in (400, 403, 404)] == [Fault.FINAL] * 3
    assert DEFAULT_POLICY.tries == 3 and DEFAULT_POLICY.backoff == (5.0, 30.0)
    assert ONCE.tries == 1


async def test_busy_is_retried_without_looking(pauses) -> None:
    s = Script(Busy(), Busy())
    assert await retry.send_with_retries(s.send, classify=classify, find_sent=s.find) == "sent"
    assert (s.sends, s.looks, pauses) == (3, 0, [5.0, 30.0])


async def test_lost_looks_before_resending_and_resends_if_absent(pauses) -> None:
    s = Script(Lost())
    assert await retry.send_with_retries(s.send, classify=classify, find_sent=s.find) == "sent"
    assert (s.sends, s.looks, pauses) == (2, 1, [5.0])


async def test_lost_reply_whose_post_exists_is_not_sent_again(pauses) -> None:
    s = Script(Lost())
    s.there = "found"
    assert await retry.send_with_retries(s.send, classify=classify, find_sent=s.find) == "found"
    assert (s.sends, s.looks) == (1, 1)


async def test_final_is_not_retried(pauses) -> None:
    s = Script(Refused())
    with pytest.raises(SendFailed) as failed:
        await retry.send_with_retries(s.send, classify=classify, find_sent=s.find)
    assert (failed.value.fault, failed.value.attempts, failed.value.lost) == (Fault.FINAL, 1, False)
    assert isinstance(failed.value.error, Refused) and pauses == []


async def test_giving_up_after_lost_replies_looks_one_last_time(pauses) -> None:
    s = Script(Lost(), Lost(), Lost())
    seen: list[int] = []

    async def on_failure(attempt: int, error: Exception) -> None:
        seen.append(attempt)

    with pytest.raises(SendFailed) as failed:
        await retry.send_with_retries(
            s.send, classify=classify, find_sent=s.find, on_failure=on_failure
        )
    assert (failed.value.fault, failed.value.attempts, failed.value.lost) == (Fault.LOST, 3, True)
    assert (s.sends, s.looks, seen) == (3, 3, [1, 2, 3])


async def test_a_bug_is_not_a_fault(pauses) -> None:
    s = Script(KeyError("bug"))
    with pytest.raises(KeyError):
        await retry.send_with_retries(s.send, classify=classify)
    assert s.sends == 1


async def test_a_custom_policy(pauses) -> None:
    s = Script(Busy(), Busy(), Busy())
    policy = RetryPolicy(backoff=(1.0, 2.0, 3.0))
    assert await retry.send_with_retries(s.send, classify=classify, policy=policy) == "sent"
    assert pauses == [1.0, 2.0, 3.0]
