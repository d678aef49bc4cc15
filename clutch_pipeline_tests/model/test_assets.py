"""The model's Dagster assets, materialized the documented way on a real database and model store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.model.assets import clutch_model, clutch_predictions
from clutch_pipeline.model.resources import ModelStoreResource
from clutch_pipeline.model.simulate import season
from clutch_pipeline_tests.model.test_publish import _write_scores


def _scheduled_game_with_context(conn, wearables: bool) -> None:
    """Tomorrow's game for the first two players, one of them with his morning's wearables."""
    tip = datetime.now(UTC) + timedelta(days=1)
    game = conn.execute(
        "INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date, tipoff_at, status)"
        " SELECT '0022299999', home_team_id, away_team_id, %s, %s, 'scheduled' FROM games LIMIT 1"
        " RETURNING game_id, home_team_id",
        (tip.date(), tip),
    ).fetchone()
    game, team = game
    players = [p for (p,) in conn.execute("SELECT player_id FROM players ORDER BY nba_person_id LIMIT 2")]
    conn.execute(
        "INSERT INTO pregame_context (game_id, player_id, team_id, played, is_playoff, days_since_last_game)"
        " VALUES (%s, %s, %s, FALSE, FALSE, 2)",
        (game, players[0], team),
    )
    conn.execute(
        "INSERT INTO pregame_context (game_id, player_id, team_id, played, is_playoff, days_since_last_game,"
        " has_wearables_data, recovery_score_pregame, sleep_performance_pregame, hrv_baseline_deviation)"
        " VALUES (%s, %s, %s, FALSE, FALSE, 1, %s, %s, %s, %s)",
        (game, players[1], team, wearables, *((66, 81, -4.5) if wearables else (None, None, None))),
    )


def test_a_published_model_predicts_the_upcoming_games_without_inventing_wearables(
    conn, database_url, tmp_path
):
    frame = season(players=30, games=6, seed=3).frame
    frame["game_id"] = frame["game_id"].astype(str)
    _write_scores(conn, frame)
    _scheduled_game_with_context(conn, wearables=True)
    resources = {
        "postgres": PostgresResource(database_url=database_url),
        "model_store": ModelStoreResource(location=str(tmp_path / "traces")),
    }
    config = {"ops": {"clutch_model": {"config": {"draws": 500, "tune": 500}}}}

    result = dg.materialize([clutch_model, clutch_predictions], resources=resources, run_config=config)

    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == dict.fromkeys(
        ["max_rhat", "min_bulk_ess", "divergences", "exact_posterior_agreement_mcse"], True
    )
    rows = conn.execute(
        "SELECT has_wearables_data, recovery_score_pregame, score_margin, purpose FROM clutch_predictions"
        " ORDER BY has_wearables_data"
    ).fetchall()
    assert [(r[0], r[1] is not None, r[2], r[3]) for r in rows] == [
        (False, False, 0, "upcoming"),
        (True, True, 0, "upcoming"),
    ]


def test_a_model_whose_checks_fail_blocks_the_predictions(conn, database_url, tmp_path):
    frame = season(players=30, games=6, seed=3).frame
    frame["game_id"] = frame["game_id"].astype(str)
    _write_scores(conn, frame)
    resources = {
        "postgres": PostgresResource(database_url=database_url),
        "model_store": ModelStoreResource(location=str(tmp_path / "traces")),
    }
    starved = {"ops": {"clutch_model": {"config": {"draws": 30, "tune": 30}}}}

    result = dg.materialize(
        [clutch_model, clutch_predictions], resources=resources, run_config=starved, raise_on_error=False
    )

    assert not result.success
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert "min_bulk_ess" in failed
    assert not [
        e for e in result.get_asset_materialization_events() if e.asset_key.path == ["clutch_predictions"]
    ]
    assert conn.execute("SELECT count(*) FROM model_runs WHERE published").fetchone() == (0,)
