"""Benchmark: how often the model finds a planted wearables effect on the whole 2022-23 season, by size.

    python benchmarks/planted_effect_season.py [--effects 0 0.1 0.2 0.4] [--seeds 0 1 2] [--workers 2]

What `clutch run --plant-effect X` does on the bundled month, here on every game of the season: each
player's game-day readiness is tied to his clutch points over expected that game with strength X (the
main job's own ``whoop.simulator.planted.planted_readiness`` on the main job's own store query), the
simulator makes his WHOOP history from it (``build_athletes``: his team's real schedule, travel, sleep,
load), and the clutch model (``model.fit.fit_model``, the one ``clutch_model`` fits) is fitted on every
player-game's clutch score with its pregame wearables. Detected: the recovery effect's 94% interval
excludes 0 on the planted side (for X = 0: on either side, a false positive). Prints each fit and the
detection rate per effect size over the seeds.

Why not the whole Dagster pipeline per fit: the pipeline between the simulator and the model (the OAuth
and HTTP sync, normalization, daily summaries, alignment) carries each number through unchanged, which
its own tests and ``benchmarks/alignment_season.py`` check; run per effect and seed over a season it
would take an hour. So the benchmark takes the simulator's ground truth of each game morning
(``DayTruth``: the recovery score and the HRV the morning's recovery record carries) and computes what
the join layer would: ``recovery_score_pregame`` is that morning's recovery, ``hrv_baseline_deviation`` the
morning's HRV against the mean of his previous 30 days (at least BASELINE_MIN_DAYS of them), as
``alignment/summaries.py`` does. The clutch score is the scores stage's own (``alignment.scores``: tally,
value, the fixed season scale). Two simplifications, the same for every effect size: no sleep performance
(the model drops an empty covariate) and the clutch margin at 0 (dropped as constant); so it measures the
model's power on the recovery and HRV path, which is where the plant acts.

Setup: a throwaway embedded PostgreSQL (or ``--admin-url``), the season loaded as the NBA backfill loads
it (``load_season``, about 25 s). Needs ``../shared/data/nba_2022_23``: without it, says so and exits 0.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from clutch_pipeline.alignment import scores
from clutch_pipeline.alignment.store.scores import read_inputs
from clutch_pipeline.alignment.summaries import BASELINE_DAYS, baseline_deviation
from clutch_pipeline.db.connection import url_for_database
from clutch_pipeline.db.migrations import upgrade
from clutch_pipeline.model.data import ModelInput
from clutch_pipeline.model.fit import FitConfig, fit_model
from clutch_pipeline.whoop.simulator import build_athletes
from clutch_pipeline.whoop.simulator import store as simulator_store
from clutch_pipeline.whoop.simulator.planted import PLANTED_ON, planted_readiness

SEASON = "2022-23"
PRESEASON_DAYS = BASELINE_DAYS + 2
CHUNK = 24  # athletes per task


def _shared() -> Path | None:
    for up in Path(__file__).resolve().parents[1:4]:
        folder = up / "shared" / "data" / "nba_2022_23"
        if (folder / "pbp_2022_23_regular_season_nbacom_v3.tar.xz").exists():
            return folder
    return None


# -- The season's clutch scores, as the scores stage computes them ----------------------------------


def season_scores(url: str) -> pd.DataFrame:
    """One row per player-game with a clutch action: NBA ids, date, clutch score, points over expected."""
    with psycopg.connect(url) as conn:
        games = dict(conn.execute("SELECT game_id, nba_game_id FROM games WHERE season = %s", (SEASON,)))
        dates = dict(conn.execute("SELECT game_id, game_date FROM games WHERE season = %s", (SEASON,)))
        people = dict(conn.execute("SELECT player_id, nba_person_id FROM players"))
        actions = read_inputs(conn, list(games))["actions"]
    tally = scores.tally(actions, ["game_id", "player_id"])
    value = scores.clutch_value(tally)
    return pd.DataFrame(
        {
            "player_id": tally["player_id"].map(people).astype(int),
            "game_id": tally["game_id"].map(games),
            "game_date": tally["game_id"].map(dates),
            "clutch_score": scores.score_of_value(np.asarray(value, dtype=float), scores.GAME_SCALE),
            "points_over_expected": tally["points_over_expected"].astype(float),
        }
    )


# -- The simulator's game mornings, per athlete ------------------------------------------------------


def _mornings(task: tuple[str, list[int], date, date, dict, int]) -> list[tuple[int, date, float, float]]:
    """(person id, day, recovery score, HRV baseline deviation %) of every simulated day with a baseline."""
    url, person_ids, first, last, readiness, seed = task
    with psycopg.connect(url) as conn:
        athletes = build_athletes(conn, person_ids, first, last, readiness=readiness, seed=seed)
    out = []
    for athlete in athletes:
        days = athlete.days
        hrv = [d.hrv_rmssd_milli for d in days]
        for i, truth in enumerate(days):
            deviation = baseline_deviation(hrv[i], hrv[max(0, i - BASELINE_DAYS) : i])
            if deviation is not None:
                out.append((athlete.person_id, truth.day, float(truth.recovery_score), float(deviation)))
    return out


def mornings(
    url: str, person_ids: list[int], first: date, last: date, readiness: dict, seed: int, pool
) -> pd.DataFrame:
    chunks = [person_ids[i : i + CHUNK] for i in range(0, len(person_ids), CHUNK)]
    tasks = [
        (url, chunk, first, last, {k: v for k, v in readiness.items() if k[0] in set(chunk)}, seed)
        for chunk in chunks
    ]
    rows = [row for part in pool.map(_mornings, tasks) for row in part]
    return pd.DataFrame(
        rows, columns=["player_id", "game_date", "recovery_score_pregame", "hrv_baseline_deviation"]
    )


# -- One fit ----------------------------------------------------------------------------------------


def model_frame(season: pd.DataFrame, wearables: pd.DataFrame) -> pd.DataFrame:
    frame = season.merge(wearables, on=["player_id", "game_date"], how="left")
    frame["has_wearables_data"] = frame["recovery_score_pregame"].notna()
    frame["sleep_performance_pregame"] = np.nan
    frame["score_margin"] = 0.0
    frame["is_playoff"] = False
    frame["days_since_last_game"] = np.nan
    return frame


def recovery_effect(frame: pd.DataFrame) -> tuple[dict, dict, float]:
    began = time.perf_counter()
    result = fit_model(ModelInput.from_frame(frame), FitConfig(holdout=False))
    effects = {e["covariate"]: e for e in result.effects()}

    def per_sd(name: str) -> dict:
        e = effects[name]
        return {
            "mean": e["mean"] * e["unit_sd"],
            "low": e["interval_94"][0] * e["unit_sd"],
            "high": e["interval_94"][1] * e["unit_sd"],
            "passed": result.checks.passed,
        }

    return per_sd("recovery_score_pregame"), per_sd("hrv_baseline_deviation"), time.perf_counter() - began


def _interval(e: dict) -> str:
    return f"{e['mean']:+.2f} per sd [{e['low']:+.2f}, {e['high']:+.2f}]"


def detected(effect: float, interval: dict) -> bool:
    if effect > 0:
        return interval["low"] > 0
    return interval["low"] > 0 or interval["high"] < 0


# -- Main -------------------------------------------------------------------------------------------


def run(url: str, effects: list[float], seeds: list[int], workers: int) -> dict[float, list[bool]]:
    season = season_scores(url)
    first_game, last_game = season["game_date"].min(), season["game_date"].max()
    first = first_game - timedelta(days=PRESEASON_DAYS)
    with psycopg.connect(url) as conn:
        player_games = simulator_store.clutch_poe_by_player_game(conn, first_game, last_game)
        person_ids = simulator_store.person_ids_in_games(conn, first_game, last_game)
    print(
        f"season: {len(season):,} player-games with a clutch action, {season['player_id'].nunique()} "
        f"players; {len(person_ids)} athletes simulated over {first} .. {last_game}; planted on {PLANTED_ON}"
    )
    found: dict[float, list[bool]] = {x: [] for x in effects}
    with ProcessPoolExecutor(workers) as pool:
        for seed in seeds:
            for x in effects:
                began = time.perf_counter()
                readiness = planted_readiness(player_games, x, seed=seed)
                wearables = mornings(url, person_ids, first, last_game, readiness, seed, pool)
                simulated = time.perf_counter() - began
                recovery, hrv, fitted = recovery_effect(model_frame(season, wearables))
                found[x].append(detected(x, recovery))
                verdict = "DETECTED" if found[x][-1] else "not detected"
                checks = "passed" if recovery["passed"] else "FAILED"
                print(
                    f"effect {x:g}, seed {seed}: recovery {_interval(recovery)}, HRV deviation "
                    f"{_interval(hrv)}; checks {checks}; {verdict} (simulated in {simulated:.0f} s, "
                    f"fitted in {fitted:.1f} s)",
                    flush=True,
                )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--effects", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.4])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--admin-url", default=None, help="a server where the benchmark may create a database"
    )
    args = parser.parse_args()
    shared = _shared()
    if shared is None:
        print("skipped: ../shared/data/nba_2022_23 (the 2022-23 play-by-play archive) is not on this machine")
        return 0
    from clutch_pipeline_tests.alignment.score_rows import load_season

    server, admin = None, args.admin_url
    if admin is None:
        from clutch_pipeline.db.embedded import embedded_server

        server = embedded_server(Path(tempfile.mkdtemp(prefix="clutch-planted-")) / "pgdata")
        admin = server.get_uri("postgres")
    name = f"planted_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = url_for_database(admin, name)
    began = time.perf_counter()
    try:
        upgrade(url)
        loaded = load_season(
            url, shared / "pbp_2022_23_regular_season_nbacom_v3.tar.xz", shared / "manifest_2022_23.csv"
        )
        print(f"setup: {len(loaded.loaded)} games loaded in {time.perf_counter() - began:.1f} s")
        found = run(url, args.effects, args.seeds, args.workers)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if server is not None:
            server.cleanup()
    print(
        "\ndetection rate of the planted effect (recovery's 94% interval excludes 0 on its side; "
        "at 0: false positives)"
    )
    for x, hits in found.items():
        print(f"  effect {x:g}: {sum(hits)} of {len(hits)}")
    print(f"total {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
