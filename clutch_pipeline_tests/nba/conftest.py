"""The NBA stage's fixtures: a local server that speaks cdn.nba.com's and stats.nba.com's URL layouts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clutch_pipeline_tests.nba.fake_nba_server import FakeClock, FakeNbaServer

DATA = Path(__file__).parent / "data"


@pytest.fixture
def fake_nba() -> Iterator[FakeNbaServer]:
    """A started fake NBA server serving the files of ``data/`` (CDN play-by-play of 0022000001, stats
    v3 play-by-play of 0022200552, the schedule); faults and recorded requests are this test's own."""
    with FakeNbaServer(DATA) as server:
        yield server


@pytest.fixture
def waits() -> list[float]:
    """The backoff waits a retry policy asked for (its ``sleep``), instead of sleeping."""
    return []


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
