"""Fit the clutch score's scale constants on the real 2022-23 season and print them.

    python benchmarks/clutch_score_constants.py [--database-url URL]

Loads the 2022-23 archive (../shared/data/nba_2022_23) into a throwaway embedded PostgreSQL as the NBA
backfill does (raw actions, then clutch windows and player actions with the season's shot model), or
reads a database where it is loaded already (``--database-url``). Then, with the pure functions of
``clutch_pipeline.alignment.scores``: tallies every player's clutch actions per game and per situation,
and prints the mean and standard deviation of the value (the constants GAME_SCALE and SITUATION_SCALE
written into scores.py), the scores' mean and spread with them, a made three alone, and two checks of
the fixed weights and of the choice not to shrink by volume (docs/clutch-score.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from clutch_pipeline.alignment import scores
from clutch_pipeline.alignment.store.scores import read_inputs
from clutch_pipeline.db.connection import url_for_database
from clutch_pipeline.db.migrations import upgrade
from clutch_pipeline_tests.alignment.score_rows import SEASON_ARCHIVE, load_season


def season_actions(url: str, season: str) -> pd.DataFrame:
    with psycopg.connect(url) as conn:
        games = [r[0] for r in conn.execute("SELECT game_id FROM games WHERE season = %s", (season,))]
        return read_inputs(conn, games)["actions"]


def possession_check(actions: pd.DataFrame) -> None:
    """The league's clutch points per possession and offensive rebound rate, beside the Game Score
    weights (turnover and steal 1.0: a possession; offensive 0.7 / defensive 0.3 rebounds)."""
    kind = actions["action_type"]
    fga = kind.isin(["field_goal_made", "field_goal_missed"]).sum()
    fta = (kind == "free_throw").sum()
    turnovers = (kind == "turnover").sum()
    offensive = ((kind == "rebound") & (actions["action_subtype"] == "offensive")).sum()
    rebounds = (kind == "rebound").sum()
    possessions = fga - offensive + turnovers + 0.44 * fta
    per_possession = actions["points_scored"].sum() / possessions
    rate = offensive / rebounds
    print(
        f"check of the weights: {per_possession:.3f} points per clutch possession (turnover, steal: 1.0); "
        f"offensive rebound rate {rate:.3f} (a rebound is worth a possession times the chance the other "
        f"side had of it: offensive {per_possession * (1 - rate):.2f}, defensive {per_possession * rate:.2f};"
        " Game Score: 0.7, 0.3)"
    )


def shrinkage_check(actions: pd.DataFrame) -> None:
    """What an empirical-Bayes shrinkage of the shooting rate (points over expected per expected point)
    would use, by the method of moments over player-games: why the score does not shrink (see docs)."""
    shots = actions[actions["expected_points"].notna()].copy()
    value = np.where(shots["action_type"] == "free_throw", 1, 2)
    value = np.where(shots["action_subtype"] == "three_pointer", 3, value)
    shots["noise"] = shots["expected_points"] * (value - shots["expected_points"])  # binomial variance
    games = shots.groupby(["game_id", "player_id"])[
        ["expected_points", "points_over_expected", "noise"]
    ].sum()
    games = games[games["expected_points"] > 0]
    rate = games["points_over_expected"] / games["expected_points"]
    weight = games["expected_points"]
    mean = np.average(rate, weights=weight)
    # A rate's noise variance is noise / E^2; weighted by E, its average is sum(noise / E) / sum(E).
    noise_per_point = games["noise"].sum() / weight.sum()
    expected_noise = (games["noise"] / weight).sum() / weight.sum()
    between = np.average((rate - mean) ** 2, weights=weight) - expected_noise
    k = noise_per_point / between if between > 0 else float("inf")
    print(
        f"shrinkage check: rate mean {mean:+.3f} per expected point; noise {noise_per_point:.3f} per "
        f"expected point; between-game variance of the true rate {between:.4f}; k = {k:.1f} expected points "
        f"(a median player-game has {weight.median():.2f})"
    )


def fit(actions: pd.DataFrame) -> None:
    for name, keys in (
        ("GAME_SCALE", ["game_id", "player_id"]),
        ("SITUATION_SCALE", ["situation_id", "player_id"]),
    ):
        tally = scores.tally(actions, keys)
        value = scores.clutch_value(tally)
        scale = scores.fit_scale(value)
        score = scores.score_of_value(value, scale)
        print(
            f"{name} = Scale(mean={scale.mean:.4f}, sd={scale.sd:.4f})  # {len(tally):,} rows; scores: "
            f"mean {score.mean():.2f}, sd {score.std():.2f}, min {score.min():.2f}, max {score.max():.2f}, "
            f"p5 {np.percentile(score, 5):.2f}, p95 {np.percentile(score, 95):.2f}"
        )
        three = float(scores.score_of_value(3 - 1.05, scale)[()])  # a made three of 1.05 expected points
        print(f"  a made three alone (1.05 expected points): {three:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="a database where the season is loaded")
    parser.add_argument("--season", default="2022-23")
    args = parser.parse_args()
    url, server, name = args.database_url, None, None
    if url is None:
        if not SEASON_ARCHIVE.exists():
            print(f"no archive at {SEASON_ARCHIVE}", file=sys.stderr)
            return 2
        from clutch_pipeline.db.embedded import embedded_server

        folder = Path(tempfile.mkdtemp(prefix="clutch-scores-"))
        server = embedded_server(folder / "pgdata")
        admin, name = server.get_uri("postgres"), f"season_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = url_for_database(admin, name)
        upgrade(url)
        started = time.perf_counter()
        report = load_season(url)
        print(
            f"loaded {len(report.loaded)} games, {report.player_actions:,} clutch player actions in "
            f"{time.perf_counter() - started:.1f} s"
        )
    try:
        actions = season_actions(url, args.season)
        print(f"{args.season}: {len(actions):,} clutch player actions")
        fit(actions)
        possession_check(actions)
        shrinkage_check(actions)
    finally:
        if server is not None:
            server.cleanup()
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
