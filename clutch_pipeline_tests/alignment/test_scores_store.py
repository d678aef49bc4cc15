"""score_games and update_percentiles on hand-made rows in PostgreSQL (alignment/store/scores.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import psycopg
import pytest

from clutch_pipeline.alignment import scores
from clutch_pipeline.alignment.store.scores import score_games, update_percentiles
from clutch_pipeline_tests.alignment.score_rows import (
    Game,
    add_action,
    add_context,
    add_game,
    add_game_player,
    add_player,
    add_situation,
    add_team,
)


@dataclass
class Scene:
    game: Game
    star: uuid.UUID  # home; wearables context
    guard: uuid.UUID  # away; context without wearables
    bench: uuid.UUID  # home; no context row and not in nba_game_players


def add_clutch(conn: psycopg.Connection, game: Game, star, guard, bench) -> None:
    """Two windows: home up 3 at the first's start, away up 2 at the second's."""
    first, second = add_situation(conn, game, 3), add_situation(conn, game, -2)
    home, away = game.home, game.away
    add_action(
        conn, game, first, star, home, "field_goal_made", points=3, expected=1.05, subtype="three_pointer"
    )
    add_action(conn, game, first, star, home, "assist")
    add_action(conn, game, second, star, home, "field_goal_missed", expected=1.0)
    add_action(conn, game, second, star, home, "turnover")
    add_action(conn, game, second, star, home, "rebound", subtype="offensive")
    add_action(conn, game, first, guard, away, "steal")
    add_action(conn, game, first, guard, away, "free_throw", points=1, expected=0.78)
    add_action(conn, game, second, guard, away, "block")
    add_action(conn, game, second, bench, home, "rebound", subtype="defensive")


@pytest.fixture
def scene(conn: psycopg.Connection) -> Scene:
    home, away = add_team(conn, 1610612738), add_team(conn, 1610612755)
    star, guard, bench = add_player(conn, 1), add_player(conn, 2), add_player(conn, 3)
    game = add_game(conn, "0022200100", date(2022, 11, 1), home, away)
    add_game_player(conn, game, star, home)
    add_game_player(conn, game, guard, away)
    add_clutch(conn, game, star, guard, bench)
    add_context(conn, game, star, recovery=70.0)
    add_context(conn, game, guard)
    return Scene(game, star, guard, bench)


def situation_rows(conn: psycopg.Connection, game_id: uuid.UUID) -> list[dict]:
    """A game's per-situation rows, by player and window, without what changes on every write."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        rows = cur.execute(
            "SELECT s.window_number, c.* FROM clutch_performance_scores c"
            " JOIN clutch_situations s USING (situation_id) WHERE c.game_id = %s"
            " ORDER BY c.player_id, s.window_number",
            (game_id,),
        ).fetchall()
    for row in rows:
        for moving in ("score_id", "situation_id", "calculated_at", "updated_at"):
            row.pop(moving)
    return rows


def game_rows(conn: psycopg.Connection, game_id: uuid.UUID) -> dict[uuid.UUID, dict]:
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        rows = cur.execute("SELECT * FROM clutch_game_scores WHERE game_id = %s", (game_id,)).fetchall()
    return {row["player_id"]: {k: v for k, v in row.items() if k != "computed_at"} for row in rows}


def test_one_row_per_player_and_situation_he_acted_in_and_one_per_player_and_game(conn, scene):
    counts = score_games(conn, [scene.game.game_id])
    assert (counts.games, counts.situation_scores, counts.game_scores) == (1, 5, 3)
    assert counts.game_scores_with_wearables == 1
    games = game_rows(conn, scene.game.game_id)
    assert {p: r["situations"] for p, r in games.items()} == {scene.star: 2, scene.guard: 2, scene.bench: 1}
    star = games[scene.star]
    assert (star["actions_total"], star["actions_successful"], float(star["success_rate"])) == (5, 1, 0.5)
    assert (star["points_scored"], star["assists"], star["turnovers"], star["rebounds"]) == (3, 1, 1, 1)
    assert (games[scene.guard]["steals"], games[scene.guard]["blocks"]) == (1, 1)
    assert float(star["expected_points"]) == pytest.approx(2.05)
    assert float(star["points_over_expected"]) == pytest.approx(0.95)


def test_the_margin_is_the_situations_start_margin_from_the_players_side(conn, scene):
    score_games(conn, [scene.game.game_id])
    margins = {
        (r["player_id"], r["window_number"]): r["score_margin"]
        for r in situation_rows(conn, scene.game.game_id)
    }
    assert margins == {
        (scene.star, 1): 3,
        (scene.star, 2): -2,
        (scene.guard, 1): -3,
        (scene.guard, 2): 2,
        (scene.bench, 2): -2,  # his team from his clutch actions: he is not in nba_game_players
    }
    games = game_rows(conn, scene.game.game_id)
    # The game row: at the start of his first situation.
    assert {p: r["score_margin"] for p, r in games.items()} == {
        scene.star: 3,
        scene.guard: -3,
        scene.bench: -2,
    }
    assert games[scene.bench]["team_id"] == scene.game.home


def test_a_game_score_is_the_formula_over_all_his_situations_together(conn, scene):
    score_games(conn, [scene.game.game_id])
    w = scores.WEIGHTS
    # Points over expected (3 - 1.05) + (0 - 1.0), an assist, a turnover, an offensive rebound.
    star_value = 0.95 + w.assist - w.turnover + w.offensive_rebound
    star = game_rows(conn, scene.game.game_id)[scene.star]
    assert float(star["clutch_score"]) == round(
        float(scores.score_of_value(star_value, scores.GAME_SCALE)), 2
    )
    per_situation = {
        r["window_number"]: r
        for r in situation_rows(conn, scene.game.game_id)
        if r["player_id"] == scene.star
    }
    first_value = 1.95 + w.assist
    assert float(per_situation[1]["clutch_score"]) == round(
        float(scores.score_of_value(first_value, scores.SITUATION_SCALE)), 2
    )
    assert per_situation[1]["calculation_method"] == scores.METHOD


def test_the_pregame_context_is_copied_and_players_without_wearables_are_scored_with_nulls(conn, scene):
    score_games(conn, [scene.game.game_id])
    games = game_rows(conn, scene.game.game_id)
    star, guard, bench = games[scene.star], games[scene.guard], games[scene.bench]
    assert star["has_wearables_data"] and float(star["recovery_score_pregame"]) == 70.0
    assert float(star["day_strain_pregame"]) == 11.2 and float(star["wearables_quality_score"]) == 0.9
    assert (float(star["hrv_rmssd_pregame"]), float(star["hrv_baseline_deviation"])) == (61.5, -4.5)
    wearables = (
        "hrv_rmssd_pregame",
        "hrv_baseline_deviation",
        "recovery_score_pregame",
        "sleep_performance_pregame",
        "day_strain_pregame",
        "wearables_quality_score",
    )
    for row in (guard, bench):
        assert row["has_wearables_data"] is False and all(row[c] is None for c in wearables)
        assert 0 <= row["clutch_score"] <= 100
    assert (star["days_since_last_game"], guard["days_since_last_game"], bench["days_since_last_game"]) == (
        2,
        2,
        None,
    )
    assert not any(r["is_playoff"] for r in games.values())
    for row in situation_rows(conn, scene.game.game_id):
        assert row["has_wearables_data"] == (row["player_id"] == scene.star)
        assert (row["recovery_score_pregame"] is not None) == row["has_wearables_data"]
        assert (row["season"], row["game_date"]) == ("2022-23", date(2022, 11, 1))


def test_scoring_a_game_twice_writes_the_same_rows(conn, scene):
    score_games(conn, [scene.game.game_id])
    first = situation_rows(conn, scene.game.game_id), game_rows(conn, scene.game.game_id)
    score_games(conn, [scene.game.game_id])
    assert (situation_rows(conn, scene.game.game_id), game_rows(conn, scene.game.game_id)) == first


def test_a_reloaded_game_with_new_situation_and_action_ids_scores_identically(conn, scene):
    score_games(conn, [scene.game.game_id])
    before = situation_rows(conn, scene.game.game_id), game_rows(conn, scene.game.game_id)
    old = set(scene.game.situations)
    # What a reload does: the game's clutch rows deleted (cascading to its situation scores), recreated.
    conn.execute("DELETE FROM clutch_situations WHERE game_id = %s", (scene.game.game_id,))
    scene.game.situations.clear()
    add_clutch(conn, scene.game, scene.star, scene.guard, scene.bench)
    assert not old & set(scene.game.situations)
    score_games(conn, [scene.game.game_id])
    assert (situation_rows(conn, scene.game.game_id), game_rows(conn, scene.game.game_id)) == before


def test_a_game_that_lost_its_clutch_actions_loses_its_scores(conn, scene):
    score_games(conn, [scene.game.game_id])
    conn.execute("DELETE FROM clutch_player_actions WHERE game_id = %s", (scene.game.game_id,))
    counts = score_games(conn, [scene.game.game_id])
    assert (counts.situation_scores, counts.game_scores) == (0, 0)
    assert conn.execute("SELECT count(*) FROM clutch_game_scores").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM clutch_performance_scores").fetchone()[0] == 0


def percentiles(conn, table: str) -> dict:
    return {
        (r[0], r[1]): (float(r[2]), float(r[3]))
        for r in conn.execute(f"SELECT game_id, player_id, clutch_score, clutch_percentile FROM {table}")
    }


def test_percentiles_rank_each_table_among_its_season_so_far(conn, scene):
    later = add_game(conn, "0022200200", date(2022, 11, 5), scene.game.away, scene.game.home)
    situation = add_situation(conn, later, 1)
    add_action(conn, later, situation, scene.guard, later.home, "field_goal_made", points=3, expected=0.9)
    add_action(conn, later, situation, scene.star, later.away, "turnover")
    score_games(conn, [scene.game.game_id, later.game_id])
    changed = update_percentiles(conn, "2022-23")
    assert changed == 5 + 2 + 3 + 2  # every row of both tables
    games = percentiles(conn, "clutch_game_scores")
    first_day = sorted(s for (g, _), (s, _) in games.items() if g == scene.game.game_id)
    for (game_id, _player), (score, percentile) in games.items():
        pool = first_day if game_id == scene.game.game_id else [s for s, _ in games.values()]
        assert percentile == round(100 * sum(s <= score for s in pool) / len(pool), 2)
    assert max(p for (g, _), (_, p) in games.items() if g == scene.game.game_id) == 100.0
    situations = conn.execute(
        "SELECT count(*) FROM clutch_performance_scores WHERE clutch_percentile IS NULL"
    ).fetchone()[0]
    assert situations == 0
    assert update_percentiles(conn, "2022-23") == 0  # nothing moved: nothing rewritten
    assert update_percentiles(conn, "2023-24") == 0
