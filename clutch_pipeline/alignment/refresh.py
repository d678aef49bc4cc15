"""One season's join layer brought up to date: the games that need it aligned and scored, and the
season's percentiles. What the season-partitioned alignment asset runs (the features follow it).

A game needs realigning when it was never aligned, when the NBA stage re-derived its clutch rows since
(a live game reloaded, a backfill: its situations and actions come back with new ids), or when a day
that feeds it (its players' wearables days around it) changed. Games are done in batches, each in its
own transaction that also records what the batch was aligned from: a process killed part-way leaves
the batches it finished done and the rest still stale, and the next run completes them. The queue rows
the run took into account are consumed at the end, only if it got there.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from clutch_pipeline.alignment.store import games as game_store
from clutch_pipeline.alignment.store.context import align_games, games_to_align
from clutch_pipeline.alignment.store.scores import score_games, update_percentiles

if TYPE_CHECKING:  # a connection is handed in; this module runs no SQL of its own
    import psycopg

# Each batch reads the WHOOP records around its games once; their windows overlap, so bigger batches
# read less (a season's align: 16.3 s in batches of 100, 9.6 s of 400, 8.9 s in one). 400 games is
# about a third of a season: a killed run loses at most that much work.
BATCH_GAMES = 400


@dataclass
class SeasonRefresh:
    season: str
    games: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    queue_consumed: int = 0

    def add(self, counts: object, prefix: str = "") -> None:
        """Add a stage function's counts (a dataclass of ints) to the run's totals."""
        for name, value in vars(counts).items():
            if isinstance(value, int) and not isinstance(value, bool):
                key = f"{prefix}{name}"
                self.counts[key] = self.counts.get(key, 0) + value

    def timed(self, name: str, started: float) -> None:
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - started, 3)


def refresh_season(
    conn: psycopg.Connection,
    season: str,
    *,
    now: datetime,
    all_games: bool = False,
    game_ids: Sequence[uuid.UUID] | None = None,
) -> SeasonRefresh:
    """Align and score the season's games that need it (``all_games``: every one; ``game_ids``: those),
    then its percentiles. ``conn`` must be in autocommit mode: each batch is its own
    transaction."""
    report = SeasonRefresh(season)
    if game_ids is not None:
        games = list(game_ids)
    elif all_games:
        games = game_store.season_games(conn, season)
    else:
        games = games_to_align(conn, season)
    report.games = len(games)
    for start in range(0, len(games), BATCH_GAMES):
        batch = games[start : start + BATCH_GAMES]
        with conn.transaction():
            began = time.perf_counter()
            report.add(align_games(conn, batch, now=now), "aligned_")
            report.timed("align", began)
            began = time.perf_counter()
            report.add(score_games(conn, batch), "scored_")
            report.timed("score", began)
            game_store.mark_aligned(conn, batch, now)
    with conn.transaction():
        began = time.perf_counter()
        report.counts["percentiles_updated"] = update_percentiles(conn, season)
        report.timed("percentiles", began)
        report.queue_consumed = game_store.consume_alignment_queue(conn, season, now)
    return report
