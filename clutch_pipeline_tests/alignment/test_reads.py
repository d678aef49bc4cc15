"""The read API's queries (alignment/store/reads.py): on the database the main job filled (read-only),
and on hand-made rows where a rule needs proving."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from clutch_pipeline.alignment.store import reads
from clutch_pipeline_tests.alignment import context_rows as rows
from clutch_pipeline_tests.alignment.score_rows import add_game, add_player, add_team

SEASON = "2022-23"


@pytest.fixture(scope="module")
def main_conn(main_job_database: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(main_job_database, autocommit=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def best(main_conn) -> dict:
    """The top of the main job's leaderboard."""
    board, _ = reads.leaderboard(main_conn, SEASON, 1, 1, 0)
    return board[0]


def _game_score(conn, game, player, team, score: float, *, recovery: float | None = None) -> None:
    wearables = recovery is not None
    conn.execute(
        """INSERT INTO clutch_game_scores (game_id, player_id, team_id, season, game_date, situations,
               actions_total, points_scored, clutch_score, is_playoff, has_wearables_data,
               recovery_score_pregame)
           SELECT game_id, %s, %s, season, game_date, 1, 3, 2, %s, false, %s, %s
           FROM games WHERE game_id = %s""",
        (player, team, score, wearables, recovery, game.game_id),
    )


# ---------------------------------------------------------------------------------------------------
# Players and games


def test_a_player_is_found_by_his_nba_person_id_and_by_our_uuid_alike(main_conn, best):
    by_nba = reads.resolve_player(main_conn, str(best["nba_person_id"]))
    by_uuid = reads.resolve_player(main_conn, str(best["player_id"]))
    assert by_nba == by_uuid
    assert set(by_nba) == {"player_id", "nba_person_id", "name", "team_tricode"}
    assert by_nba["team_tricode"] == best["team_tricode"]


def test_an_unknown_or_malformed_player_ref_finds_nobody(main_conn):
    assert reads.resolve_player(main_conn, "999999999") is None
    assert reads.resolve_player(main_conn, str(uuid.uuid4())) is None
    assert reads.resolve_player(main_conn, "lebron") is None


def test_a_game_is_found_by_its_nba_game_id_and_by_our_uuid_alike(main_conn, best):
    game = reads.player_clutch_games(main_conn, best["player_id"], SEASON)[0]
    by_nba = reads.resolve_game(main_conn, game["nba_game_id"])
    assert by_nba == reads.resolve_game(main_conn, str(game["game_id"]))
    assert by_nba["season"] == SEASON and by_nba["game_date"] == game["game_date"]
    assert reads.resolve_game(main_conn, "0022299999") is None
    assert reads.resolve_game(main_conn, "22200001") is None


# ---------------------------------------------------------------------------------------------------
# A player's season


def test_a_players_clutch_games_come_in_date_order_with_the_opponents_tricode(main_conn, best):
    games = reads.player_clutch_games(main_conn, best["player_id"], SEASON)
    assert len(games) == best["games"]
    assert [g["game_date"] for g in games] == sorted(g["game_date"] for g in games)
    for g in games:
        assert len(g["opponent"]) == 3 and g["opponent"] != best["team_tricode"]
        assert isinstance(g["clutch_score"], float)
    assert reads.player_seasons(main_conn, best["player_id"]) == [SEASON]


def test_a_game_without_wearables_gives_none_for_each_wearables_value(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        home, away = add_team(conn, 1610612738), add_team(conn, 1610612755)
        player = add_player(conn, 201143)
        game = add_game(conn, "0022200001", date(2022, 10, 18), home, away)
        _game_score(conn, game, player, home, 55.0)
        (row,) = reads.player_clutch_games(conn, player, SEASON)
    assert row["has_wearables_data"] is False and row["home"] is True
    assert row["hrv_baseline_deviation"] is None
    assert row["recovery_score_pregame"] is None
    assert row["sleep_performance_pregame"] is None


# ---------------------------------------------------------------------------------------------------
# A game's clutch windows, margin and actions


def test_a_games_clutch_windows_are_placed_on_the_game_clock_since_tip_off(main_conn, best):
    game = reads.player_clutch_games(main_conn, best["player_id"], SEASON)[0]
    detail = reads.game_clutch_detail(main_conn, game["game_id"])
    assert detail["situations"]
    for s in detail["situations"]:
        assert s["period"] >= 4
        assert 36 * 60 <= s["start_elapsed_s"] <= s["end_elapsed_s"]


def test_a_games_margin_starts_at_zero_and_ends_at_the_final_score(main_conn, best):
    game = reads.player_clutch_games(main_conn, best["player_id"], SEASON)[0]
    final = reads.resolve_game(main_conn, game["nba_game_id"])
    margin = reads.game_clutch_detail(main_conn, game["game_id"])["margin"]
    assert margin[0] == {"elapsed_s": 0.0, "margin": 0}
    assert margin[-1]["margin"] == final["home_score"] - final["away_score"]
    assert [m["elapsed_s"] for m in margin] == sorted(m["elapsed_s"] for m in margin)


def test_a_games_clutch_actions_carry_their_wearables_context_where_there_is_one(main_conn, best):
    game = reads.player_clutch_games(main_conn, best["player_id"], SEASON)[0]
    actions = reads.game_clutch_detail(main_conn, game["game_id"])["actions"]
    assert actions and all(a["elapsed_s"] >= 36 * 60 for a in actions)
    assert any(a["has_wearables_data"] and a["wearables_quality_score"] is not None for a in actions)
    assert all(a["wearables_quality_score"] is None for a in actions if not a["has_wearables_data"])


def test_the_margin_series_records_only_actions_that_changed_the_score(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        game = add_game(conn, "0022200002", date(2022, 10, 18), add_team(conn, 1), add_team(conn, 2))
        scores = [(1, "PT12M00.00S", "0", "0"), (1, "PT11M30.00S", "", ""), (1, "PT11M00.00S", "2", "0"),
                  (2, "PT06M00.00S", "2", "0"), (4, "PT01M00.00S", "2", "3")]  # fmt: skip
        for order, (period, clock, home, away) in enumerate(scores):
            payload = {"period": period, "clock": clock, "scoreHome": home, "scoreAway": away}
            conn.execute(
                "INSERT INTO nba_raw_actions (nba_game_id, source, action_key, action_order, payload)"
                " VALUES ('0022200002', 'v3', %s, %s, %s)",
                (order + 1, order, json.dumps(payload)),
            )
        series = reads.score_margin_series(conn, game.game_id)
    assert series == [
        {"elapsed_s": 0.0, "margin": 0},
        {"elapsed_s": 60.0, "margin": 2},
        {"elapsed_s": 3 * 720 + 660.0, "margin": -1},
    ]


# ---------------------------------------------------------------------------------------------------
# The leaderboard and the correlation


def test_the_leaderboard_ranks_by_mean_score_and_breaks_ties_by_nba_person_id(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        home, away = add_team(conn, 1610612738), add_team(conn, 1610612755)
        game = add_game(conn, "0022200003", date(2022, 10, 18), home, away)
        second = add_game(conn, "0022200004", date(2022, 10, 20), home, away)
        for person, score in [(30, 60.0), (20, 60.0), (10, 40.0)]:
            player = add_player(conn, person)
            _game_score(conn, game, player, home, score)
            _game_score(conn, second, player, home, score)
        single = add_player(conn, 5)
        _game_score(conn, game, single, away, 99.0)
        board, total = reads.leaderboard(conn, SEASON, 2, 10, 0)
        page, same_total = reads.leaderboard(conn, SEASON, 2, 1, 1)
    assert [(r["rank"], r["nba_person_id"]) for r in board] == [(1, 20), (1, 30), (3, 10)]
    assert total == same_total == 3
    assert [r["nba_person_id"] for r in page] == [30]


def test_a_page_past_the_end_is_empty_and_still_gives_the_total(main_conn):
    _, total = reads.leaderboard(main_conn, SEASON, 1, 10, 0)
    page, same_total = reads.leaderboard(main_conn, SEASON, 1, 10, total + 5)
    assert page == [] and same_total == total > 0


def test_the_correlation_of_each_wearables_value_has_its_sample_size_and_interval(main_conn):
    correlations = reads.wearables_correlation(main_conn, SEASON, 1)
    assert [c["covariate"] for c in correlations] == list(reads.COVARIATES)
    for c in correlations:
        assert c["n"] > 3
        assert -1 <= c["ci_low"] < c["r"] < c["ci_high"] <= 1


def test_the_correlation_is_none_under_three_player_games(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        home, away = add_team(conn, 1), add_team(conn, 2)
        game = add_game(conn, "0022200005", date(2022, 10, 18), home, away)
        for person, recovery in [(1, 40.0), (2, 80.0)]:
            _game_score(conn, game, add_player(conn, person), home, recovery / 2, recovery=recovery)
        correlation = reads.wearables_correlation(conn, SEASON, 1)[0]
    assert correlation == {"covariate": "recovery_score_pregame", "n": 2, "r": None, "ci_low": None,
                           "ci_high": None}  # fmt: skip


def test_fishers_interval_is_symmetric_in_z_and_narrows_with_n():
    low, high = reads.fisher_interval(0.3, 103)
    assert math.atanh(0.3) - math.atanh(low) == pytest.approx(1.959964 / 10)
    assert math.atanh(high) - math.atanh(0.3) == pytest.approx(1.959964 / 10)
    assert reads.fisher_interval(0.3, 3) == (None, None)


# ---------------------------------------------------------------------------------------------------
# An athlete's wearables


def test_daily_summaries_come_in_date_order_within_the_dates_asked(main_conn, best):
    summaries = reads.daily_summaries(main_conn, best["player_id"], date(2022, 10, 10), date(2022, 10, 20))
    days = [s["summary_date"] for s in summaries]
    assert days and days == sorted(days)
    assert date(2022, 10, 10) <= days[0] and days[-1] <= date(2022, 10, 20)


def test_the_latest_wearables_are_the_24_hours_ending_at_his_latest_reading(database_url):
    at = datetime(2022, 10, 20, 12, tzinfo=UTC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        player = rows.player(conn)
        device = rows.device(conn, player)
        rows.workout(conn, device, player, at - timedelta(hours=30), at - timedelta(hours=29))  # too old
        rows.night(conn, device, player, at - timedelta(hours=10), at - timedelta(hours=2))
        rows.workout(conn, device, player, at - timedelta(hours=1), at)
        latest = reads.latest_wearables(conn, player)
    assert latest["window_end"] == at and latest["window_start"] == at - timedelta(hours=24)
    assert {r["record_type"] for r in latest["readings"]} == {"sleep", "recovery", "workout"}
    assert len([r for r in latest["readings"] if r["record_type"] == "workout"]) == 3  # one workout's
    assert all(latest["window_start"] < (r["end"] or r["start"]) <= at for r in latest["readings"])


def test_an_athlete_without_readings_has_an_empty_latest_window(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        latest = reads.latest_wearables(conn, rows.player(conn))
    assert latest == {"window_start": None, "window_end": None, "readings": []}
