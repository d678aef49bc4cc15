"""compute_features on a real database: which dates, which rows, point in time, idempotent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clutch_pipeline.alignment.store.features import compute_features
from clutch_pipeline_tests.alignment.feature_rows import (
    SEASON,
    World,
    add_context,
    add_score,
    add_summary,
    days,
    features,
    new_world,
)

FIRST = date(2022, 10, 18)  # the season's first game
GAME_DAYS = [FIRST + timedelta(days=3 * i) for i in range(12)]  # Oct 18 .. Nov 20


def _athlete(world: World, with_device: bool = True):
    """A player in every game of GAME_DAYS (scores for the first 10, the last 2 scheduled), with a
    daily summary of every day from 30 days before the first game to the last game when he has a
    device, his clutch score alternating with and without wearables."""
    player = world.player()
    device = world.device(player) if with_device else None
    for i, day in enumerate(GAME_DAYS):
        game = world.game(day)
        if i < 10:
            add_score(world.conn, game, player, day, 40 + 2 * i, with_device and i % 2 == 0)
        else:
            add_context(world.conn, game, player, played=False)
    if device:
        for n, day in enumerate(days(FIRST - timedelta(days=30), 30 + 34)):
            values = {
                "hrv_rmssd_avg": 60 + n % 9,
                "hrv_baseline_deviation": n % 5,
                "recovery_score": 50 + n % 40,
                "sleep_performance_score": 70 + n % 11,
                "day_strain": 8 + n % 7,
            }
            add_summary(world.conn, device, player, day, **values)
    return player, device


@pytest.fixture
def world(conn) -> World:
    return new_world(conn)


def test_features_are_computed_as_of_every_game_date_played_or_scheduled(conn, world):
    player, _ = _athlete(world)

    counts = compute_features(conn, SEASON)

    as_of = {day for _, day in features(conn, player)}
    assert as_of == set(GAME_DAYS)
    assert (counts.players, counts.as_of_dates) == (1, 12)
    assert counts.rows_written == sum(counts.by_feature.values()) == len(features(conn, player))


def test_a_scheduled_game_gets_the_same_features_as_a_played_one(conn, world):
    player, _ = _athlete(world)

    compute_features(conn, SEASON)

    names = {(name, day) for name, day in features(conn, player)}
    assert {n for n, d in names if d == GAME_DAYS[-1]} == {n for n, d in names if d == GAME_DAYS[9]}


def test_a_player_without_wearables_gets_only_rows_that_do_not_use_them(conn, world):
    player, _ = _athlete(world, with_device=False)

    compute_features(conn, SEASON)

    rows = conn.execute(
        "SELECT DISTINCT feature_name, uses_wearables FROM ml_features WHERE entity_id = %s", (player,)
    ).fetchall()
    assert rows == [("clutch_score_without_wearables", False)]


def test_every_wearables_feature_is_marked_as_using_wearables(conn, world):
    player, _ = _athlete(world)

    compute_features(conn, SEASON)

    unmarked = conn.execute(
        "SELECT DISTINCT feature_name FROM ml_features WHERE entity_id = %s AND NOT uses_wearables", (player,)
    ).fetchall()
    assert unmarked == []


def test_changing_data_dated_on_or_after_a_date_does_not_move_features_as_of_it(conn, world):
    player, _ = _athlete(world)
    compute_features(conn, SEASON)
    before = features(conn, player)
    cut = GAME_DAYS[6]

    conn.execute(
        "UPDATE wearables_daily_summary SET hrv_rmssd_avg = 5, hrv_baseline_deviation = -90,"
        " recovery_score = 1, sleep_performance_score = 2, day_strain = 21 WHERE summary_date >= %s",
        (cut,),
    )
    conn.execute(
        "UPDATE clutch_game_scores SET clutch_score = 99, has_wearables_data = TRUE WHERE game_date >= %s",
        (cut,),
    )
    conn.execute("DELETE FROM wearables_daily_summary WHERE summary_date = %s", (cut + timedelta(days=1),))
    compute_features(conn, SEASON)
    after = features(conn, player)

    assert {k: v for k, v in after.items() if k[1] <= cut} == {k: v for k, v in before.items() if k[1] <= cut}
    assert {k: v for k, v in after.items() if k[1] > cut} != {k: v for k, v in before.items() if k[1] > cut}


def test_recomputing_is_idempotent(conn, world):
    _athlete(world)
    _athlete(world, with_device=False)
    first = compute_features(conn, SEASON)
    rows = conn.execute(
        "SELECT entity_id, feature_name, as_of_date, feature_value, uses_wearables FROM ml_features"
    ).fetchall()

    second = compute_features(conn, SEASON)

    again = conn.execute(
        "SELECT entity_id, feature_name, as_of_date, feature_value, uses_wearables FROM ml_features"
    ).fetchall()
    assert sorted(again) == sorted(rows)
    assert (second.rows_deleted, second.rows_written, second.rows_unchanged) == (0, 0, first.rows_written)


def test_a_recompute_rewrites_only_the_rows_whose_value_changed(conn, world):
    player, _ = _athlete(world)
    compute_features(conn, SEASON)
    stored = features(conn, player)

    conn.execute("UPDATE clutch_game_scores SET clutch_score = 99 WHERE game_date = %s", (GAME_DAYS[8],))
    counts = compute_features(conn, SEASON)

    moved = {k for k, v in features(conn, player).items() if stored[k] != v}
    assert moved == {("clutch_score_with_wearables", day) for day in GAME_DAYS[9:]}
    assert (counts.rows_deleted, counts.rows_written) == (3, 3)


def test_a_recompute_removes_features_that_can_no_longer_be_computed(conn, world):
    player, _ = _athlete(world)
    compute_features(conn, SEASON)

    conn.execute("DELETE FROM wearables_daily_summary WHERE player_id = %s", (player,))
    compute_features(conn, SEASON)

    assert {name for name, _ in features(conn, player)} == {
        "clutch_score_with_wearables",
        "clutch_score_without_wearables",
    }


def test_other_seasons_and_other_features_are_left_alone(conn, world):
    player, _ = _athlete(world)
    other_season = world.game(date(2023, 11, 1), season_code="23")
    add_context(conn, other_season, player)
    for name, day in (("hrv_avg_last_7_days", date(2023, 11, 1)), ("team_pace", FIRST)):
        conn.execute(
            "INSERT INTO ml_features (entity_type, entity_id, feature_name, feature_value,"
            " calculation_window, as_of_date) VALUES ('player', %s, %s, 1, 'x', %s)",
            (player, name, day),
        )

    compute_features(conn, SEASON)

    kept = conn.execute("SELECT count(*) FROM ml_features WHERE calculation_window = 'x'").fetchone()[0]
    assert kept == 2


def test_too_little_history_gives_no_row(conn, world):
    player, _ = _athlete(world)

    compute_features(conn, SEASON)

    stored = features(conn, player)
    # At the first game the season has no day and no game yet; the 30 days before it hold the rest.
    assert {name for name, day in stored if day == FIRST} == {
        "hrv_avg_last_7_days",
        "hrv_trend_slope",
        "hrv_delta_pregame_vs_baseline",
        "sleep_quality_variance",
        "fatigue_index",
    }


def test_a_season_whose_players_are_all_gone_loses_its_rows(conn, world):
    player, _ = _athlete(world)
    compute_features(conn, SEASON)

    conn.execute("DELETE FROM pregame_context")
    conn.execute("DELETE FROM clutch_game_scores")
    counts = compute_features(conn, SEASON)

    assert features(conn, player) == {}
    assert (counts.players, counts.rows_written) == (0, 0)
    assert counts.rows_deleted > 0
