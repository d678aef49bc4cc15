"""Concurrent context (clutch_action_wearables): the athlete's state at each clutch action."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from clutch_pipeline.alignment.store.context import align_games
from clutch_pipeline_tests.alignment import context_rows as rows

TIP = datetime(2023, 1, 10, 0, 30, tzinfo=UTC)  # 19:30 US Eastern, 9 January
CLUTCH = TIP + timedelta(hours=2, minutes=5)  # the fourth quarter's last minutes
NIGHT_START = datetime(2023, 1, 9, 4, 0, tzinfo=UTC)
WAKE = datetime(2023, 1, 9, 13, 0, tzinfo=UTC)
NOW = datetime(2023, 6, 1, tzinfo=UTC)


@pytest.fixture
def world(conn):
    home, away = rows.team(conn), rows.team(conn)
    athlete = rows.player(conn)
    game = rows.game(conn, home, away, TIP)
    rows.played(conn, game, athlete, home)
    situation = rows.situation(conn, game, CLUTCH - timedelta(minutes=2))
    return {
        "conn": conn,
        "player": athlete,
        "game": game,
        "situation": situation,
        "home": home,
        "device": rows.device(conn, athlete),
    }


def _act(w, at=CLUTCH, key=1, **kw) -> None:
    rows.action(w["conn"], w["situation"], w["game"], w["player"], at, key, **kw)


def _aligned(w) -> list[dict]:
    align_games(w["conn"], [w["game"]], now=NOW)
    cur = w["conn"].execute(
        "SELECT * FROM clutch_action_wearables WHERE game_id = %s ORDER BY source_action_key", (w["game"],)
    )
    return [dict(zip([d.name for d in cur.description], r, strict=True)) for r in cur.fetchall()]


def test_the_workout_that_contains_the_action_is_matched_with_gap_zero(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    game_workout = rows.workout(
        conn, dev, pl, TIP - timedelta(minutes=10), TIP + timedelta(hours=2, minutes=30), strain=17.5
    )
    rows.workout(conn, dev, pl, TIP - timedelta(hours=8), TIP - timedelta(hours=7))  # shootaround
    rows.summary(conn, dev, pl, date(2023, 1, 9), completeness=1.0)
    _act(world)

    [row] = _aligned(world)

    assert (row["workout_record_id"], row["workout_match"]) == (game_workout, "contains")
    assert row["workout_gap_minutes"] == Decimal("0.00")
    assert row["workout_strain"] == Decimal("17.50") and row["workout_max_heart_rate"] == Decimal("185.00")
    assert row["quality_score"] == Decimal("1.00")
    assert row["device_id"] == dev and row["action_timestamp"] == CLUTCH


def test_the_nearest_workout_within_the_window_is_matched_with_its_gap(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.summary(conn, dev, pl, date(2023, 1, 9), completeness=1.0)
    before = rows.workout(conn, dev, pl, TIP - timedelta(hours=1), CLUTCH - timedelta(minutes=45))
    rows.workout(conn, dev, pl, CLUTCH + timedelta(minutes=50), CLUTCH + timedelta(hours=2))  # farther
    _act(world)

    [row] = _aligned(world)

    assert (row["workout_record_id"], row["workout_match"]) == (before, "nearest")
    assert row["workout_gap_minutes"] == Decimal("45.00")
    assert row["quality_score"] == Decimal("0.70")


def test_no_workout_outside_the_window_is_matched(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.night(conn, dev, pl, NIGHT_START, WAKE)  # a pregame context, so the action gets a row
    rows.workout(conn, dev, pl, TIP - timedelta(hours=5), CLUTCH - timedelta(hours=2, minutes=1))
    rows.workout(conn, dev, pl, CLUTCH + timedelta(hours=2, minutes=1), CLUTCH + timedelta(hours=3))
    _act(world)

    [row] = _aligned(world)

    assert row["workout_match"] is None and row["workout_record_id"] is None
    assert row["workout_gap_minutes"] is None and row["workout_strain"] is None


def test_a_cycle_is_never_a_match_though_it_contains_the_action(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.night(conn, dev, pl, NIGHT_START, WAKE)
    rows.cycle(conn, dev, pl, NIGHT_START, None)
    rows.cycle(conn, dev, pl, NIGHT_START, CLUTCH + timedelta(hours=3))
    _act(world)

    [row] = _aligned(world)

    assert row["workout_match"] is None


def test_readings_are_interpolated_only_between_readings_on_both_sides(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.night(conn, dev, pl, NIGHT_START, WAKE, hrv=80, resting_hr=50)
    _act(world)

    [alone] = _aligned(world)
    next_wake = CLUTCH + (CLUTCH - WAKE)  # the action halfway between the wake-ups
    rows.night(conn, dev, pl, CLUTCH + timedelta(hours=4), next_wake, hrv=100, resting_hr=54)
    [bracketed] = _aligned(world)

    assert alone["interpolated"] is False and alone["hrv_rmssd_interpolated"] is None
    assert bracketed["interpolated"] is True
    assert bracketed["hrv_rmssd_interpolated"] == Decimal("90.00")
    assert bracketed["resting_hr_interpolated"] == Decimal("52.00")


def test_no_interpolation_across_a_missing_morning(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.night(conn, dev, pl, NIGHT_START, WAKE)
    rows.night(conn, dev, pl, CLUTCH + timedelta(hours=28), CLUTCH + timedelta(hours=36))  # two days on
    _act(world)

    [row] = _aligned(world)

    assert row["interpolated"] is False and row["hrv_rmssd_interpolated"] is None


def test_an_estimated_event_time_lowers_the_quality(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.workout(conn, dev, pl, TIP - timedelta(minutes=10), TIP + timedelta(hours=2, minutes=30))
    rows.summary(conn, dev, pl, date(2023, 1, 9), completeness=1.0)
    _act(world, key=1, time_error_seconds=0.0)
    _act(world, key=2, time_error_seconds=116.0)
    _act(world, key=3, time_error_seconds=None)

    exact, estimated, unknown = _aligned(world)

    assert exact["quality_score"] == Decimal("1.00")
    assert estimated["quality_score"] == Decimal("0.72") and estimated["time_error_seconds"] == 116.0
    assert unknown["quality_score"] == Decimal("0.50")


def test_low_completeness_and_an_unscored_record_of_the_day_lower_the_quality(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.workout(conn, dev, pl, TIP - timedelta(minutes=10), TIP + timedelta(hours=2, minutes=30))
    rows.workout(conn, dev, pl, WAKE + timedelta(hours=1), WAKE + timedelta(hours=2), state="PENDING_SCORE")
    rows.summary(conn, dev, pl, date(2023, 1, 9), completeness=0.6)
    _act(world)

    [row] = _aligned(world)

    assert row["quality_score"] == Decimal("0.64")  # 1.0 x 0.8 (pending) x (0.5 + 0.5 x 0.6)


def test_a_game_without_wearables_data_has_pregame_rows_and_no_action_rows(conn):
    home, away = rows.team(conn), rows.team(conn)
    with_device, without = rows.player(conn), rows.player(conn)
    rows.device(conn, with_device)  # consented, but nothing recorded
    game = rows.game(conn, home, away, TIP)
    situation = rows.situation(conn, game, CLUTCH)
    for key, pl in enumerate((with_device, without)):
        rows.played(conn, game, pl, home)
        rows.action(conn, situation, game, pl, CLUTCH, key)

    counts = align_games(conn, [game], now=NOW)

    flags = conn.execute(
        "SELECT has_wearables_data FROM pregame_context WHERE game_id = %s", (game,)
    ).fetchall()
    assert flags == [(False,), (False,)]
    assert conn.execute("SELECT count(*) FROM clutch_action_wearables").fetchone()[0] == 0
    assert (counts.clutch_actions, counts.action_rows, counts.pregame_rows) == (2, 0, 2)


def test_a_game_where_nobody_has_a_device_gets_nba_context_only(conn):
    home, away, pl = rows.team(conn), rows.team(conn), rows.player(conn)
    game = rows.game(conn, home, away, TIP)
    rows.played(conn, game, pl, home)
    rows.action(conn, rows.situation(conn, game, CLUTCH), game, pl, CLUTCH, 1)

    counts = align_games(conn, [game], now=NOW)

    assert (counts.pregame_rows, counts.pregame_with_wearables, counts.action_rows) == (1, 0, 0)
