"""The app-wide WHOOP request budget, counted in PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from clutch_pipeline.whoop.budget import RequestBudget

START = datetime(2022, 10, 20, 12, tzinfo=UTC)


class SteppingClock:
    """Time that moves only when the budget sleeps (or a test advances it)."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def autocommit(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


def budget(conn, clock: SteppingClock, per_minute: int = 100, per_day: int = 10_000) -> RequestBudget:
    return RequestBudget(conn, per_minute=per_minute, per_day=per_day, clock=clock, sleep=clock.sleep)


def test_requests_within_the_minute_limit_go_at_once(autocommit):
    clock = SteppingClock(START)
    spender = budget(autocommit, clock, per_minute=5)
    for _ in range(5):
        spender.take("cycle")
    assert clock.slept == [] and spender.spent == {"cycle": 5}


def test_the_request_past_the_minute_limit_waits_until_the_oldest_leaves_the_window(autocommit):
    clock = SteppingClock(START)
    spender = budget(autocommit, clock, per_minute=3)
    for second in range(3):
        clock.now = START + timedelta(seconds=second * 10)
        spender.take("sleep")
    spender.take("sleep")  # at +20 s: the first request (at 0 s) leaves the window at +60 s
    assert clock.slept == [pytest.approx(40.0)]


def test_two_budgets_on_two_connections_share_one_count(database_url):
    clock = SteppingClock(START)
    with (
        psycopg.connect(database_url, autocommit=True) as a,
        psycopg.connect(database_url, autocommit=True) as b,
    ):
        first, second = budget(a, clock, per_minute=4), budget(b, clock, per_minute=4)
        for _ in range(2):
            first.take("token")
            second.take("cycle")
        second.take("cycle")
    assert clock.slept == [pytest.approx(60.0)]


def test_the_day_limit_holds_across_minutes_and_says_what_is_left(autocommit):
    clock = SteppingClock(START)
    spender = budget(autocommit, clock, per_minute=100, per_day=3)
    for minute in range(3):
        clock.now = START + timedelta(minutes=minute)
        spender.take("recovery")
    assert spender.left_today() == 0
    spender.take("recovery")
    assert clock.slept == [pytest.approx(24 * 3600 - 120)]
    assert spender.left_today() == 0  # the first left the window, the fourth took its place


def test_every_kind_of_request_is_counted(autocommit):
    clock = SteppingClock(START)
    spender = budget(autocommit, clock)
    for kind in ("token", "profile", "cycle", "cycle"):
        spender.take(kind)
    assert spender.spent == {"token": 1, "profile": 1, "cycle": 2}
    assert spender.left_today() == 10_000 - 4
