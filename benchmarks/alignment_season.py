"""Benchmark: a whole season through the join layer (daily summaries, alignment, scores, features).

    python benchmarks/alignment_season.py [--repeat N] [--workers 2] [--sample 300]
                                          [--archive DIR] [--admin-url URL]

Setup (not timed against anything, its time printed): a freshly migrated database; the 2022-23 archive
(``--archive``: the folder with the play-by-play .tar.xz and the manifest) loaded as ``clutch nba
backfill`` loads it, without Dagster (``load_season``: raw actions, then clutch windows and player
actions with the season's shot model); then simulated WHOOP histories for EVERY player who played a
game of the season, written straight into the tables by ``benchmarks/season_wearables.py`` (see its
docstring: a consented device row, then the simulator's records normalized and written by the sync's
own ``whoop.store.write_records``, so the triggers of sql/013 queue the changed days as in production).
Each athlete is simulated over the season's days plus the 30 days before opening night (so that HRV
baselines exist from the first game), on a process pool; then ANALYZE, as autovacuum would soon after
such writes.

Each round then measures, side by side on the same data and server (a CHECKPOINT before each):

* the floor: the same computations done once in one process, no Dagster, no upserts: every input table
  COPY'd out into pandas frames (one COPY each), the daily summaries in plain pandas (the package does
  them in SQL), pregame and concurrent context, clutch scores, percentiles and features with the
  package's pure functions (alignment/pregame.py, concurrent.py, scores.py, features.py) over the
  whole season at once, and the results COPY'd into UNLOGGED scratch tables without indexes;
* the pipeline: one Dagster run per partitions definition through the run door (``clutch_pipeline.runs``)
  on our instance with its storage in PostgreSQL on the same server: ``refresh_daily_summaries`` over the
  queued local days, then ``align_clutch_games`` for the season with every game (pregame context, aligned
  actions, both score tables, percentiles, then ``ml_features``);
* the seed's per-action query (seed section 2.3: the closest reading within the 2 h before the action,
  one query per action) on a random sample of the season's clutch actions, extrapolated to all of them.

Prints wall times per run and per asset, rows written and rows/s, the floor's time and the ratio
pipeline / floor (target: within 2x), the seed's extrapolated time and its ratio to the pipeline's
alignment, and how many of the floor's rows equal the pipeline's. With ``--repeat N`` each round starts
from a copy of the set-up database (CREATE DATABASE ... TEMPLATE) and the medians are printed.
Uses a throwaway embedded PostgreSQL unless ``--admin-url`` names a server where it may create
databases.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql
from season_wearables import write_season  # beside this script

from clutch_pipeline.alignment import features as feature_rules
from clutch_pipeline.alignment import scores as score_rules
from clutch_pipeline.alignment import summaries as summary_rules
from clutch_pipeline.alignment.concurrent import ConcurrentRules
from clutch_pipeline.alignment.pregame import PregameRules, is_playoff, pregame_context
from clutch_pipeline.alignment.store.context import ACTION_COLUMNS, METRICS, PREGAME_COLUMNS
from clutch_pipeline.alignment.store.context import _concurrent as concurrent_rows
from clutch_pipeline.alignment.store.scores import GAME_COLUMNS, SITUATION_COLUMNS
from clutch_pipeline.db.connection import url_for_database
from clutch_pipeline.db.frames import UTC_TIME, copy_frame
from clutch_pipeline.db.migrations import upgrade

# ``../shared`` beside the repository, or ``../../shared`` from a worktree under ``wt/``.
SHARED = next(
    (
        up / "shared" / "data" / "nba_2022_23"
        for up in Path(__file__).resolve().parents[1:4]
        if (up / "shared" / "data" / "nba_2022_23").exists()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "nba_2022_23",
)
SEASON = "2022-23"
PRESEASON_DAYS = 30  # simulated before opening night: the HRV baseline's window
TIME = UTC_TIME
OUTPUT_TABLES = (
    "wearables_daily_summary",
    "pregame_context",
    "clutch_action_wearables",
    "clutch_performance_scores",
    "clutch_game_scores",
    "ml_features",
)


# -- Setup -----------------------------------------------------------------------------------------


def create_database(admin: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        if template is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        else:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
    return url_for_database(admin, name)


def drop_databases(admin: str, names: list[str]) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def setup(url: str, archive: Path, workers: int) -> dict:
    """Migrate, load the season, simulate and write every player's wearables; print what it took."""
    from clutch_pipeline_tests.alignment.score_rows import load_season

    began = time.perf_counter()
    upgrade(url)
    loaded = load_season(
        url, archive / "pbp_2022_23_regular_season_nbacom_v3.tar.xz", archive / "manifest_2022_23.csv"
    )
    loaded_seconds = time.perf_counter() - began
    print(
        f"setup: season loaded in {loaded_seconds:.1f} s ({len(loaded.loaded)} games, "
        f"{loaded.actions:,} actions, {loaded.situations:,} clutch windows, "
        f"{loaded.player_actions:,} clutch player actions)"
    )
    with psycopg.connect(url) as conn:
        first_game, last_game = conn.execute(
            "SELECT min(game_date), max(game_date) FROM games WHERE season = %s", (SEASON,)
        ).fetchone()
    first, last = first_game - timedelta(days=PRESEASON_DAYS), last_game + timedelta(days=1)
    now = datetime.combine(last + timedelta(days=3), datetime.min.time(), UTC)  # every record scored
    began = time.perf_counter()
    written = write_season(url, first_game, last_game, first, last, now, workers)
    seconds = time.perf_counter() - began
    records = sum(written.records.values())
    print(
        f"setup: {written.athletes} athletes simulated over {first} .. {last} ({(last - first).days + 1} "
        f"days) and written in {seconds:.1f} s on {workers} worker(s): {records:,} raw records "
        f"({dict(written.records)}), {written.readings:,} readings; worker seconds: simulate "
        f"{written.simulate_seconds:.0f}, normalize {written.normalize_seconds:.0f}, write "
        f"{written.write_seconds:.0f} "
        f"({(records + written.readings) / max(written.write_seconds, 1e-9):,.0f} rows/s per worker)"
    )
    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")  # what autovacuum does within a minute or two of such writes
    print(f"setup: ANALYZE in {time.perf_counter() - began:.1f} s")
    return {"first": first, "last": last, "first_game": first_game, "last_game": last_game}


def checkpoint(admin: str) -> None:
    """Write out what earlier work left in shared buffers, before the next measurement starts."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


# -- The pipeline ----------------------------------------------------------------------------------


@dataclass
class PipelineResult:
    runs: dict[str, float] = field(default_factory=dict)  # run title -> wall seconds
    assets: dict[str, dict] = field(default_factory=dict)  # asset -> its metadata
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows after the runs

    @property
    def seconds(self) -> float:
        return sum(self.runs.values())


def pipeline(url: str, dagster_url: str, home: Path) -> PipelineResult:
    """The two runs, as the sensors (or ``clutch run``) would launch them, on our Dagster instance."""
    from clutch_pipeline.runs import alignment_launch, launch_run, open_instance, summaries_launch
    from clutch_pipeline.settings import load_settings

    settings = load_settings(
        {"CLUTCH_HOME": str(home), "CLUTCH_DATABASE_URL": url, "CLUTCH_DAGSTER_DATABASE_URL": dagster_url}
    )
    instance = open_instance(settings)
    with psycopg.connect(url) as conn:
        first, last = conn.execute(
            "SELECT min(local_date), max(local_date) FROM wearables_changed_days"
            " WHERE consumer = 'daily_summary'"
        ).fetchone()
    result = PipelineResult()
    try:
        for launch in (summaries_launch((str(first), str(last))), alignment_launch(SEASON, all_games=True)):
            report = launch_run(instance, launch, launched_by="benchmark")
            assert report.success, report.error
            result.runs[launch.title] = report.seconds
            result.assets.update(report.materialized)
    finally:
        instance.dispose()
    with psycopg.connect(url) as conn:
        for table in OUTPUT_TABLES:
            result.rows[table] = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
    return result


# -- The floor: the same computations in one process, from COPY'd frames, results COPY'd back --------


copy_out = copy_frame  # the stages' own reader: the floor reads as fast as they do


SUMMARY_METRICS = {
    "hrv_rmssd",
    "resting_heart_rate",
    "recovery_score",
    "day_strain",
    "sleep_performance",
    "sleep_efficiency",
    "respiratory_rate",
    "sleep_total_minutes",
    "sleep_rem_minutes",
    "sleep_deep_minutes",
}
READ_METRICS = sorted(SUMMARY_METRICS | {m for names in METRICS.values() for m in names})
KEY = ["device_id", "record_type", "record_id"]


# Every input table the join layer reads, each in one COPY (only the columns it uses), with the
# columns to type: (query, params, typed columns).
INPUTS = {
    "records": (
        """SELECT r.device_id, r.player_id, r.record_type, r.record_id, r.record_start AS start,
                  r.record_end AS "end", r.score_state, r.payload->>'nap' AS nap,
                  r.payload->>'timezone_offset' AS utc_offset,
                  r.payload #>> '{score,user_calibrating}' AS user_calibrating
           FROM wearables_raw_records r
           JOIN wearables_devices d ON d.device_id = r.device_id AND d.consent_granted""",
        None,
        {"times": ("start", "end"), "bools": ("nap", "user_calibrating")},
    ),
    "readings": (
        """SELECT device_id, source_record_type AS record_type, source_record_id AS record_id,
                  metric_type, metric_value, quality_score
           FROM wearables_readings WHERE metric_type = ANY(%(metrics)s)""",
        {"metrics": READ_METRICS},
        {"numbers": ("metric_value", "quality_score")},
    ),
    "devices": (
        "SELECT player_id, device_id FROM wearables_devices WHERE consent_granted AND device_type = 'whoop'",
        None,
        {},
    ),
    "games": (
        "SELECT game_id, season, season_type, game_date, tipoff_at, home_team_id, away_team_id FROM games",
        None,
        {"times": ("tipoff_at",), "dates": ("game_date",)},
    ),
    "game_players": ("SELECT game_id, player_id, team_id FROM nba_game_players", None, {}),
    "situations": (
        "SELECT situation_id, game_id, start_timestamp, window_number, score_margin FROM clutch_situations",
        None,
        {"times": ("start_timestamp",), "numbers": ("window_number", "score_margin")},
    ),
    "actions": (
        """SELECT game_id, situation_id, player_id, team_id, action_type, action_subtype, is_successful,
                  points_scored, expected_points, points_over_expected, source, source_action_key,
                  action_timestamp, time_error_seconds
           FROM clutch_player_actions""",
        None,
        {
            "times": ("action_timestamp",),
            "numbers": ("points_scored", "expected_points", "points_over_expected", "time_error_seconds"),
            "bools": ("is_successful",),
        },
    ),
}
WEARABLES_INPUTS = ("records", "readings", "devices")  # what the daily summaries read


def read_inputs(conn: psycopg.Connection, step) -> dict[str, pd.DataFrame]:
    """Every input table in one COPY each; ``step`` is told when each is read."""
    frames = {}
    for name, (query, params, typed) in INPUTS.items():
        frames[name] = copy_out(conn, query, params, **typed)
        step(f"COPY out {name}")
    return frames


def _offset_minutes(text: pd.Series) -> pd.Series:
    """WHOOP's "+hh:mm" / "-hh:mm" as minutes (NaN when absent), parsed once per distinct value."""
    minutes = {}
    for value in text.dropna().unique():
        sign = -1 if value.startswith("-") else 1
        hours, mins = value[1:].split(":")
        minutes[value] = sign * (int(hours) * 60 + int(mins))
    return text.map(minutes).astype(float)


def located_records(records: pd.DataFrame, readings: pd.DataFrame) -> pd.DataFrame:
    """Each record with its local day (sql/013's rule), its pairing with its sleep or recovery, and its
    readings as columns (the wide frame both the summaries and the context read)."""
    records = records.copy()
    records["nap"] = records["nap"].eq(True)
    records["offset"] = _offset_minutes(records["utc_offset"])
    is_sleep, is_recovery = records["record_type"] == "sleep", records["record_type"] == "recovery"
    # A recovery's partner is its sleep (same id), a sleep's its recovery.
    sleeps = records.loc[is_sleep, ["device_id", "record_id", "offset", "nap", "start", "end"]]
    partner = pd.concat(
        [
            sleeps.rename(columns=lambda c: c if c in KEY else f"o_{c}").assign(record_type="recovery"),
            records.loc[is_recovery, ["device_id", "record_id"]].assign(record_type="sleep"),
        ]
    ).assign(o_present=True)
    records = records.merge(partner, on=KEY, how="left")
    is_sleep, is_recovery = records["record_type"] == "sleep", records["record_type"] == "recovery"
    present = records["o_present"].eq(True)
    records["paired"] = present & (is_sleep | ~records["o_nap"].eq(True))
    records["sleep_length"] = (records["end"] - records["start"]).where(is_sleep)
    records.loc[is_recovery, "sleep_length"] = (records["o_end"] - records["o_start"])[is_recovery]
    offset = (
        records["offset"].where(records["offset"].notna(), records["o_offset"].where(is_recovery)).fillna(0)
    )
    base = records["start"].where(~is_sleep, records["end"].fillna(records["start"]))
    base = base.where(records["record_type"] != "cycle", records["start"] + pd.Timedelta(hours=12))
    records["local_date"] = (base.dt.tz_convert(None) + pd.to_timedelta(offset, unit="min")).dt.normalize()
    wide = readings.set_index([*KEY, "metric_type"])["metric_value"].unstack("metric_type")
    recovery = readings.loc[readings["record_type"] == "recovery"]
    wide["quality"] = recovery.groupby(KEY)["quality_score"].min()
    records = records.merge(wide.reset_index(), on=KEY, how="left")
    return records.drop(columns=[c for c in records.columns if c.startswith("o_")] + ["utc_offset", "offset"])


SUMMARY_COLUMNS = [
    "hrv_rmssd_avg",
    "hrv_rmssd_min",
    "hrv_rmssd_max",
    "hrv_baseline_deviation",
    "resting_hr_avg",
    "resting_hr_min",
    "hr_variability_index",
    "day_strain",
    "recovery_score",
    "sleep_performance_score",
    "total_sleep_minutes",
    "rem_sleep_minutes",
    "deep_sleep_minutes",
    "sleep_efficiency",
    "respiratory_rate_avg",
    "data_completeness",
]
DAY = ["device_id", "local_date"]


def _chosen(days: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the main sleep of each day, the record of each day and type that gives the day's score): the
    ranks of alignment/store/summaries.py's _VALUES."""
    nights = days.loc[(days["record_type"] == "sleep") & ~days["nap"]]
    main = nights.sort_values(
        [*DAY, "paired", "sleep_length", "record_id"], ascending=[True, True, False, False, True]
    ).drop_duplicates(DAY)
    ranked = days.assign(valued=days["recovery_score"].notna() | days["day_strain"].notna())
    chosen = ranked.sort_values(
        [*DAY, "record_type", "valued", "paired", "sleep_length", "start", "record_id"],
        ascending=[True, True, True, False, False, False, False, True],
    ).drop_duplicates([*DAY, "record_type"])
    return main.set_index(DAY), chosen


def _round(values, digits: int = 2):
    """Round half away from zero, as PostgreSQL rounds numerics (pandas rounds floats half to even, and
    a stored 65.905 is the float 65.90499...): the readings have at most 4 decimals."""
    scale = 10.0**digits
    return np.sign(values) * np.floor(np.abs(values) * scale + 0.5 + 1e-6) / scale


def daily_summaries(records: pd.DataFrame, first, last) -> pd.DataFrame:
    """One row per device and local day first..last that has a record, as the summaries' SQL computes it."""
    days = records.loc[records["local_date"].between(pd.Timestamp(first), pd.Timestamp(last))]
    main, chosen = _chosen(days)
    out = days.groupby(DAY)[["player_id"]].first()
    recoveries = days.loc[days["record_type"] == "recovery"].groupby(DAY)
    for column, metric, how in (
        ("hrv_rmssd_avg", "hrv_rmssd", "mean"),
        ("hrv_rmssd_min", "hrv_rmssd", "min"),
        ("hrv_rmssd_max", "hrv_rmssd", "max"),
        ("resting_hr_avg", "resting_heart_rate", "mean"),
        ("resting_hr_min", "resting_heart_rate", "min"),
    ):
        out[column] = _round(recoveries[metric].agg(how))
    cycle = chosen.loc[chosen["record_type"] == "cycle"].set_index(DAY)["day_strain"]
    recovery = chosen.loc[chosen["record_type"] == "recovery"].set_index(DAY)["recovery_score"]
    out["day_strain"], out["recovery_score"] = _round(cycle), _round(recovery)
    out["sleep_performance_score"] = _round(main["sleep_performance"])
    out["sleep_efficiency"] = _round(main["sleep_efficiency"])
    out["respiratory_rate_avg"] = _round(main["respiratory_rate"])
    nights = days.loc[(days["record_type"] == "sleep") & ~days["nap"]].groupby(DAY)
    for column, metric in (
        ("total_sleep_minutes", "sleep_total_minutes"),
        ("rem_sleep_minutes", "sleep_rem_minutes"),
        ("deep_sleep_minutes", "sleep_deep_minutes"),
    ):
        out[column] = _round(nights[metric].sum(min_count=1), 0).astype("Int64")
    found = (
        cycle.notna().reindex(out.index, fill_value=False).astype(int)
        + recovery.notna().reindex(out.index, fill_value=False).astype(int)
        + main["sleep_total_minutes"].notna().reindex(out.index, fill_value=False).astype(int)
    )
    out["data_completeness"] = _round(found / summary_rules.EXPECTED_RECORDS)
    out = out.reset_index().rename(columns={"local_date": "summary_date"})
    return _derived(out)


def _derived(out: pd.DataFrame) -> pd.DataFrame:
    """The baseline deviation (30 days before, at least 14) and the variability index (ln RMSSD's CV
    over the 7 days ending on the day, at least 5), per device, with pandas' time-based windows."""
    out = out.sort_values(["device_id", "summary_date"]).reset_index(drop=True)
    hrv = out.set_index("summary_date").groupby("device_id", sort=True)["hrv_rmssd_avg"]
    window = f"{summary_rules.BASELINE_DAYS}D"
    total = hrv.rolling(window, closed="left").sum().to_numpy()
    count = hrv.rolling(window, closed="left").count().to_numpy()
    baseline = np.where(count >= summary_rules.BASELINE_MIN_DAYS, total / np.maximum(count, 1), np.nan)
    baseline = np.where(baseline > 0, baseline, np.nan)
    out["hrv_baseline_deviation"] = _round(100 * (out["hrv_rmssd_avg"] - baseline) / baseline)
    logs = np.log(out["hrv_rmssd_avg"].where(out["hrv_rmssd_avg"] > 0))
    week = logs.set_axis(out["summary_date"]).groupby(out["device_id"].to_numpy(), sort=True)
    window = f"{summary_rules.VARIABILITY_DAYS}D"
    mean, sd = week.rolling(window).mean().to_numpy(), week.rolling(window).std().to_numpy()
    n = week.rolling(window).count().to_numpy()
    ok = (n >= summary_rules.VARIABILITY_MIN_DAYS) & (mean > 0)
    out["hr_variability_index"] = np.where(ok, _round(100 * sd / np.where(ok, mean, 1)), np.nan)
    return out


def wearables_frames(records: pd.DataFrame, summaries: pd.DataFrame, devices: pd.DataFrame) -> dict:
    """The frames the pregame and concurrent rules take, shaped as alignment/store/context.py shapes
    them (there per batch of games, here the whole season at once)."""
    by_type = {t: records.loc[records["record_type"] == t].reset_index(drop=True) for t in METRICS}
    recoveries = by_type["recovery"]
    recoveries["at"] = recoveries["start"]
    calibrating = (recoveries["quality"] <= 0.5) | recoveries["user_calibrating"].eq(True)
    recoveries["calibrating"] = calibrating.astype(object).where(recoveries["recovery_score"].notna())
    bad = records.loc[records["score_state"].isin(["UNSCORABLE", "PENDING_SCORE"])]
    cycles = by_type["cycle"]
    return {
        "sleeps": by_type["sleep"],
        "recoveries": recoveries,
        "cycles": cycles.loc[cycles["end"].notna()],
        "workouts": by_type["workout"],
        "summaries": summaries[
            ["device_id", "player_id", "summary_date", "hrv_baseline_deviation", "data_completeness"]
        ],
        "unscored": bad.assign(at=bad["end"].fillna(bad["start"]))[["player_id", "at", "local_date"]],
        "devices": devices,
    }


def align(inputs: dict, frames: dict, games: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pregame context of every player and game of the season, the season's aligned clutch actions)."""
    played = inputs["game_players"].merge(inputs["games"][["game_id", "game_date"]], on="game_id")
    roster = played.loc[played["game_id"].isin(games["game_id"]), ["game_id", "player_id", "team_id"]]
    roster = roster.assign(played=True).merge(
        games[["game_id", "game_date", "tipoff_at", "season_type"]], on="game_id"
    )
    roster["is_playoff"] = is_playoff(roster["season_type"])
    history = played[["player_id", "team_id", "game_date"]]
    pregame = pregame_context(roster, history, frames, PregameRules())
    actions = inputs["actions"].loc[inputs["actions"]["game_id"].isin(games["game_id"])]
    actions = actions[
        [
            "game_id",
            "source",
            "source_action_key",
            "action_type",
            "player_id",
            "action_timestamp",
            "time_error_seconds",
        ]
    ]
    aligned = concurrent_rows(actions, games, pregame, frames, ConcurrentRules())
    return pregame, aligned


CONTEXT = [
    "game_id",
    "player_id",
    "is_playoff",
    "days_since_last_game",
    "has_wearables_data",
    "hrv_rmssd_pregame",
    "hrv_baseline_deviation",
    "recovery_score_pregame",
    "sleep_performance_pregame",
    "day_strain_previous",
    "wearables_quality_score",
]


def score(inputs: dict, games: pd.DataFrame, pregame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(situation scores, game scores) of the season, with their percentiles so far."""
    actions = inputs["actions"].loc[inputs["actions"]["game_id"].isin(games["game_id"])]
    actions = actions.assign(points_scored=actions["points_scored"].astype("Int64"))
    situations = inputs["situations"].merge(
        games[["game_id", "home_team_id", "away_team_id", "season", "season_type", "game_date"]], on="game_id"
    )
    situations["score_margin"] = situations["score_margin"].astype("Int64")
    players = inputs["game_players"].loc[inputs["game_players"]["game_id"].isin(games["game_id"])]
    parts = {
        "actions": actions,
        "situations": situations,
        "game_players": players,
        "context": pregame[CONTEXT],
    }
    by_situation = score_rules.situation_scores(**parts)
    by_game = score_rules.game_scores(**parts)
    for rows in (by_situation, by_game):
        rows["clutch_percentile"] = score_rules.percentiles_so_far(
            rows["game_date"].to_numpy(), rows["clutch_score"].to_numpy()
        )
    by_situation["calculation_method"] = score_rules.METHOD
    return by_situation, by_game


def season_features(
    summaries: pd.DataFrame, pregame: pd.DataFrame, by_game: pd.DataFrame, start
) -> pd.DataFrame:
    as_of = pd.concat([pregame[["player_id", "game_date"]], by_game[["player_id", "game_date"]]])
    as_of = as_of.rename(columns={"game_date": "as_of_date"}).drop_duplicates()
    scores = by_game[["player_id", "game_date", "clutch_score", "has_wearables_data"]]
    return feature_rules.player_features(summaries, scores, as_of, start)


def copy_in(conn: psycopg.Connection, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """The frame's columns COPY'd (CSV) into an UNLOGGED scratch table shaped like ``table``, no index."""
    scratch = sql.Identifier(f"floor_{table}")
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(scratch))
    conn.execute(
        sql.SQL("CREATE UNLOGGED TABLE {} (LIKE {} INCLUDING DEFAULTS)").format(
            scratch, sql.Identifier(table)
        )
    )
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(scratch, names)
    with conn.cursor().copy(statement) as copy:
        copy.write(frame[columns].to_csv(index=False, header=False))


@dataclass
class FloorResult:
    seconds: float
    parts: dict[str, float]
    rows: dict[str, int]


def floor(url: str, first, last) -> FloorResult:
    """The join layer's whole season once, in this process, from COPY'd frames to UNLOGGED tables."""
    parts: dict[str, float] = {}
    began = lap = time.perf_counter()

    def step(name: str) -> None:
        nonlocal lap
        parts[name] = time.perf_counter() - lap
        lap = time.perf_counter()

    with psycopg.connect(url) as conn:
        inputs = read_inputs(conn, step)
        records = located_records(inputs["records"], inputs["readings"])
        summaries = daily_summaries(records, first, last)
        step("daily summaries")
        games = inputs["games"].loc[inputs["games"]["season"] == SEASON]
        frames = wearables_frames(records, summaries, inputs["devices"])
        pregame, aligned = align(inputs, frames, games)
        step("pregame + concurrent")
        by_situation, by_game = score(inputs, games, pregame)
        step("scores + percentiles")
        features = season_features(summaries, pregame, by_game, games["game_date"].min())
        step("features")
        outputs = _outputs(summaries, pregame, aligned, by_situation, by_game, features)
        for table, (frame, columns) in outputs.items():
            copy_in(conn, table, frame, columns)
            step(f"COPY in {table}")
        conn.commit()
    return FloorResult(time.perf_counter() - began, parts, {t: len(f) for t, (f, _) in outputs.items()})


def _outputs(summaries, pregame, aligned, by_situation, by_game, features) -> dict:
    """Each result frame with the columns it is COPY'd with, named as the pipeline's tables."""
    now = datetime.now(UTC).isoformat()
    pregame = pregame.assign(
        computed_at=now,
        days_since_last_game=pregame["days_since_last_game"].astype("Int64"),
        local_date=pd.to_datetime(pregame["local_date"]).dt.strftime("%Y-%m-%d"),
    )
    aligned = aligned.assign(computed_at=now, has_wearables_data=True)
    features = features.assign(entity_type="player")
    return {
        "wearables_daily_summary": (summaries, ["device_id", "player_id", "summary_date", *SUMMARY_COLUMNS]),
        "pregame_context": (pregame, PREGAME_COLUMNS),
        "clutch_action_wearables": (aligned, ACTION_COLUMNS),
        "clutch_performance_scores": (
            by_situation,
            [*SITUATION_COLUMNS, "calculation_method", "clutch_percentile"],
        ),
        "clutch_game_scores": (by_game, [*GAME_COLUMNS, "clutch_percentile"]),
        "ml_features": (features, ["entity_type", *feature_rules.OUTPUT_COLUMNS]),
    }


# -- The floor against the pipeline (not timed) ----------------------------------------------------

# Per table: its key, and the columns whose values must agree (numbers within a cent: the floor rounds
# in floating point where the SQL rounds numerics, so a value ending in 5 may land on either side).
COMPARED = {
    "wearables_daily_summary": (["device_id", "summary_date"], SUMMARY_COLUMNS),
    "pregame_context": (
        ["game_id", "player_id"],
        [
            "has_wearables_data",
            "days_since_last_game",
            "sleep_record_id",
            "hrv_rmssd_pregame",
            "recovery_score_pregame",
            "sleep_performance_pregame",
            "day_strain_previous",
            "hrv_baseline_deviation",
            "wearables_quality_score",
        ],
    ),
    "clutch_action_wearables": (
        ["game_id", "source", "source_action_key", "action_type"],
        ["workout_record_id", "workout_gap_minutes", "hrv_rmssd_interpolated", "quality_score"],
    ),
    "clutch_performance_scores": (
        ["game_id", "player_id", "situation_id"],
        ["actions_total", "points_over_expected", "clutch_score", "clutch_percentile", "has_wearables_data"],
    ),
    "clutch_game_scores": (
        ["game_id", "player_id"],
        ["actions_total", "points_over_expected", "clutch_score", "clutch_percentile", "has_wearables_data"],
    ),
    "ml_features": (["entity_id", "feature_name", "as_of_date"], ["feature_value", "uses_wearables"]),
}


def _agrees(column: str) -> sql.Composable:
    f, p = sql.SQL("f.{}").format(sql.Identifier(column)), sql.SQL("p.{}").format(sql.Identifier(column))
    return sql.SQL(
        "({f} IS NOT DISTINCT FROM {p} OR abs(({f})::text::float8 - ({p})::text::float8) <= 0.0101)"
    ).format(f=f, p=p)


def compare(url: str) -> dict[str, tuple[int, int, dict[str, int]]]:
    """Per table: (pipeline rows, of them equal in every compared column to the floor's row of the same
    key, and per column the rows that differ)."""
    found = {}
    with psycopg.connect(url) as conn:
        for table, (key, columns) in COMPARED.items():
            joined = sql.SQL(" AND ").join(sql.SQL("f.{k} = p.{k}").format(k=sql.Identifier(k)) for k in key)
            counts = sql.SQL(", ").join(
                sql.SQL("count(*) FILTER (WHERE f.{} IS NULL OR NOT {})").format(
                    sql.Identifier(key[0]), _agrees(c)
                )
                for c in columns
            )
            every = sql.SQL(" AND ").join(_agrees(c) for c in columns)
            query = sql.SQL(
                "SELECT count(*), count(*) FILTER (WHERE f.{k0} IS NOT NULL AND {every}), {counts}"
                " FROM {table} p LEFT JOIN {floor} f ON {joined}"
            ).format(
                k0=sql.Identifier(key[0]),
                every=every,
                counts=counts,
                table=sql.Identifier(table),
                floor=sql.Identifier(f"floor_{table}"),
                joined=joined,
            )
            row = conn.execute(query).fetchone()
            found[table] = (row[0], row[1], {c: n for c, n in zip(columns, row[2:], strict=True) if n})
    return found


# -- The seed's per-action query (seed section 2.3), on a sample -----------------------------------

SEED_QUERY = """
    SELECT * FROM wearables_readings
    WHERE player_id = %s
      AND reading_timestamp BETWEEN %s AND %s
      AND metric_type IN ('hrv_rmssd', 'recovery_score', 'heart_rate')
    ORDER BY ABS(EXTRACT(EPOCH FROM (reading_timestamp - %s)))
    LIMIT 1
"""


@dataclass
class SeedResult:
    sample: int
    actions: int  # the season's clutch actions
    seconds: float  # the sample's
    found: int  # of the sample, actions that found a reading

    @property
    def season_seconds(self) -> float:
        return self.seconds / self.sample * self.actions


def seed_queries(url: str, sample: int, seed: int = 0) -> SeedResult:
    """``alignWearablesToClutchEvent`` as the seed writes it: one query per action for the reading
    closest to it within the 2 hours before it (the same connection, the statement prepared once)."""
    with psycopg.connect(url) as conn:
        actions = conn.execute(
            """SELECT a.player_id, a.action_timestamp FROM clutch_player_actions a
               JOIN games g ON g.game_id = a.game_id AND g.season = %s
               WHERE a.action_timestamp IS NOT NULL ORDER BY a.action_id""",
            (SEASON,),
        ).fetchall()
        picked = np.random.default_rng(seed).choice(
            len(actions), size=min(sample, len(actions)), replace=False
        )
        found = 0
        began = time.perf_counter()
        for index in picked:
            player, at = actions[index]
            row = conn.execute(SEED_QUERY, (player, at - timedelta(hours=2), at, at), prepare=True).fetchone()
            found += row is not None
        seconds = time.perf_counter() - began
    return SeedResult(len(picked), len(actions), seconds, found)


# -- Reporting -------------------------------------------------------------------------------------


@dataclass
class Round:
    floor: FloorResult
    pipeline: PipelineResult
    seed: SeedResult

    @property
    def align_seconds(self) -> float:
        """The alignment run's own alignment step (pregame and concurrent context, read and written)."""
        return float(self.pipeline.assets["pregame_context"]["step_seconds"]["align"])


# The floor's parts (its ``parts`` keys) that do the work of each of the pipeline's assets.
FLOOR_PARTS = {
    "summaries": [
        *(f"COPY out {name}" for name in WEARABLES_INPUTS),
        "daily summaries",
        "COPY in wearables_daily_summary",
    ],
    "alignment": [
        *(f"COPY out {name}" for name in INPUTS if name not in WEARABLES_INPUTS),
        "pregame + concurrent",
        "scores + percentiles",
        *(f"COPY in {table}" for table in OUTPUT_TABLES[1:5]),
    ],
    "features": ["features", "COPY in ml_features"],
}


def print_round(number: int, this: Round) -> None:
    p, f = this.pipeline, this.floor
    print(
        f"round {number}: floor {f.seconds:.1f} s, pipeline {p.seconds:.1f} s "
        f"(ratio {p.seconds / f.seconds:.2f}); "
        f"seed per-action query {this.seed.season_seconds:.1f} s for the season (ratio to the pipeline's "
        f"alignment step {this.seed.season_seconds / this.align_seconds:.2f}); load average "
        f"{os.getloadavg()[0]:.1f}"
    )


def print_details(last: Round, agreement: dict) -> None:
    p, f, s = last.pipeline, last.floor, last.seed
    print("\nthe pipeline's runs (last round):")
    for title, seconds in p.runs.items():
        print(f"  {title}: {seconds:.1f} s")
    print("  assets (their own seconds, from the run's metadata):")
    summary, context = p.assets["wearables_daily_summary"], p.assets["pregame_context"]
    print(f"    wearables_daily_summary: {summary['seconds']} s")
    steps = ", ".join(f"{k} {v} s" for k, v in context["step_seconds"].items())
    rest = float(context["seconds"]) - sum(float(v) for v in context["step_seconds"].values())
    print(
        f"    clutch_alignment (pregame_context ... clutch_game_scores): {context['seconds']} s ({steps}; "
        f"the rest, {rest:.1f} s: the queue consumed, coverage and the plot)"
    )
    print(f"    ml_features: {p.assets['ml_features']['seconds']} s")
    print("  rows written (rows/s of the run that wrote them):")
    summaries_run = next(t for t in p.runs if "summaries" in t)
    alignment_run = next(t for t in p.runs if t != summaries_run)
    for table, rows in p.rows.items():
        run = summaries_run if table == "wearables_daily_summary" else alignment_run
        print(f"    {table}: {rows:,} ({rows / p.runs[run]:,.0f} rows/s)")
    total = sum(p.rows.values())
    print(f"    all six tables: {total:,} rows, {total / p.seconds:,.0f} rows/s of the two runs")
    print(f"\nthe floor (last round): {f.seconds:.1f} s, {sum(f.rows.values()) / f.seconds:,.0f} rows/s")
    for part, seconds in f.parts.items():
        print(f"  {part}: {seconds:.1f} s")
    print(
        "\neach asset's own time beside the floor's parts that do its work (the floor reads the WHOOP"
        " tables once, counted under the summaries; the alignment asset reads them again per batch):"
    )
    for asset, seconds, parts in (
        ("wearables_daily_summary", summary["seconds"], FLOOR_PARTS["summaries"]),
        ("clutch_alignment", context["seconds"], FLOOR_PARTS["alignment"]),
        ("ml_features", p.assets["ml_features"]["seconds"], FLOOR_PARTS["features"]),
    ):
        mine = sum(f.parts[part] for part in parts)
        print(f"  {asset}: {float(seconds):.1f} s, floor {mine:.1f} s, ratio {float(seconds) / mine:.2f}")
    print("\nthe floor's rows against the pipeline's (same key, every compared column equal):")
    for table, (rows, equal, differing) in agreement.items():
        print(f"  {table}: {equal:,} of {rows:,}" + (f" (differing: {differing})" if differing else ""))
    print(
        f"\nthe seed's per-action query: {s.sample} actions in {s.seconds * 1000:.0f} ms "
        f"({s.seconds / s.sample * 1000:.2f} ms each), {s.found} of them found a reading within the 2 h "
        f"before; extrapolated to the season's {s.actions:,} actions: {s.season_seconds:.1f} s"
    )


def print_medians(rounds: list[Round]) -> None:
    floors = [r.floor.seconds for r in rounds]
    pipelines = [r.pipeline.seconds for r in rounds]
    seeds = [r.seed.season_seconds for r in rounds]
    aligns = [r.align_seconds for r in rounds]
    floor_m, pipeline_m = statistics.median(floors), statistics.median(pipelines)
    print(f"\nmedians over {len(rounds)} round(s):")
    print(f"  floor {floor_m:.1f} s; pipeline {pipeline_m:.1f} s (the two runs' wall time)")
    print(
        f"  ratio pipeline / floor: {pipeline_m / floor_m:.2f} (target: within 2x); median of the rounds' "
        f"own ratios {statistics.median(p / f for p, f in zip(pipelines, floors, strict=True)):.2f}"
    )
    print(
        f"  seed per-action query, extrapolated: {statistics.median(seeds):.1f} s; ratio to the pipeline's "
        f"alignment step ({statistics.median(aligns):.1f} s): "
        f"{statistics.median(s / a for s, a in zip(seeds, aligns, strict=True)):.2f}, to the whole pipeline: "
        f"{statistics.median(s / p for s, p in zip(seeds, pipelines, strict=True)):.2f}"
    )


# -- Main ------------------------------------------------------------------------------------------


def run_round(admin: str, url: str, span: dict, sample: int) -> tuple[Round, dict]:
    dagster = f"bench_dagster_{uuid.uuid4().hex[:6]}"
    dagster_url = create_database(admin, dagster)
    try:
        checkpoint(admin)
        floor_result = floor(url, span["first"], span["last"])
        checkpoint(admin)
        pipeline_result = pipeline(url, dagster_url, Path(tempfile.mkdtemp(prefix="clutch-bench-home-")))
        agreement = compare(url)
        seed = seed_queries(url, sample)
    finally:
        drop_databases(admin, [dagster])
    return Round(floor_result, pipeline_result, seed), agreement


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=SHARED, help="folder of the 2022-23 archive")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="processes simulating the athletes")
    parser.add_argument("--sample", type=int, default=300, help="actions given the seed's query")
    parser.add_argument("--admin-url", default=None)
    args = parser.parse_args()
    if not (args.archive / "manifest_2022_23.csv").exists():
        print(f"no 2022-23 archive in {args.archive}: pass --archive", file=sys.stderr)
        return 2
    started = time.perf_counter()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the start: {load} ({os.cpu_count()} cores)")
    server = None
    admin = args.admin_url
    if admin is None:
        from clutch_pipeline.db.embedded import embedded_server

        server = embedded_server(Path(tempfile.mkdtemp(prefix="clutch-bench-")) / "pgdata")
        admin = server.get_uri("postgres")
    base = f"bench_season_{uuid.uuid4().hex[:6]}"
    rounds: list[Round] = []
    try:
        span = setup(create_database(admin, base), args.archive, args.workers)
        for number in range(1, args.repeat + 1):
            name = base
            if args.repeat > 1:  # every round from the same set-up state
                began = time.perf_counter()
                name = f"{base}_r{number}"
                create_database(admin, name, template=base)
                print(f"round {number}: copied the set-up database in {time.perf_counter() - began:.1f} s")
            try:
                result, agreement = run_round(admin, url_for_database(admin, name), span, args.sample)
            finally:
                if name != base:
                    drop_databases(admin, [name])
            rounds.append(result)
            print_round(number, result)
    finally:
        drop_databases(admin, [base])
        if server is not None:
            server.cleanup()
    print_details(rounds[-1], agreement)
    print_medians(rounds)
    print(
        f"\ntotal wall time {time.perf_counter() - started:.0f} s; load average at the end: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
