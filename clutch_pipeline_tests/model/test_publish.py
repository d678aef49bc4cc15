"""A model run against a real database and model store: what is recorded, what is published and when,
the backtest, and predictions from a published trace. Game scores are simulated with known effects
and written as the join layer writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from clutch_pipeline.model import store
from clutch_pipeline.model.fit import FitConfig
from clutch_pipeline.model.publish import backtest, latest_posterior, run_model
from clutch_pipeline.model.simulate import season
from clutch_pipeline.model.trace_store import open_trace_store

NOW = datetime(2023, 4, 10, 12, tzinfo=UTC)
FIRST_DAY = date(2022, 10, 18)
QUICK = FitConfig(draws=500, tune=500, holdout=False)


def _write_scores(conn, frame) -> None:
    """Players, two teams, one game per simulated game index and day, and a game score per row."""
    home, away = (
        conn.execute("INSERT INTO teams (nba_team_id) VALUES (%s) RETURNING team_id", (t,)).fetchone()[0]
        for t in (1610612738, 1610612748)
    )
    players = {}
    for number, person in enumerate(sorted(frame["player_id"].unique())):
        players[person] = conn.execute(
            "INSERT INTO players (nba_person_id, full_name) VALUES (%s, %s) RETURNING player_id",
            (number + 1, f"P{person}"),
        ).fetchone()[0]
    games = {}
    for number, game in enumerate(sorted(frame["game_id"].unique(), key=str)):
        day = FIRST_DAY + timedelta(days=number % 12)
        games[game] = conn.execute(
            "INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date, status)"
            " VALUES (%s, %s, %s, %s, 'final') RETURNING game_id, game_date",
            (f"00222{number:05d}", home, away, day),
        ).fetchone()
    for row in frame.itertuples():
        game_id, day = games[row.game_id]
        wearables = bool(row.has_wearables_data)
        conn.execute(
            """INSERT INTO clutch_game_scores (game_id, player_id, team_id, season, game_date, situations,
                   actions_total, clutch_score, score_margin, is_playoff, days_since_last_game,
                   hrv_baseline_deviation, recovery_score_pregame, sleep_performance_pregame,
                   has_wearables_data, points_over_expected)
               VALUES (%s, %s, %s, '2022-23', %s, 1, 3, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                game_id,
                players[row.player_id],
                home,
                day,
                round(min(max(row.clutch_score, 0), 100), 2),
                int(row.score_margin),
                bool(row.is_playoff),
                int(row.days_since_last_game),
                row.hrv_baseline_deviation if wearables else None,
                row.recovery_score_pregame if wearables else None,
                row.sleep_performance_pregame if wearables else None,
                wearables,
                row.clutch_score / 20 - 2.5,
            ),
        )


@pytest.fixture
def scored(conn):
    data = season(players=30, games=6, seed=3).frame
    data["game_id"] = data["game_id"].astype(str)
    _write_scores(conn, data)
    return conn


def test_a_fit_whose_checks_pass_is_recorded_and_published_as_the_latest(scored, tmp_path):
    traces = open_trace_store(str(tmp_path / "traces"))
    run = run_model(scored, traces, seasons=["2022-23"], now=NOW, config=QUICK)
    assert run.result.checks.passed, run.result.checks.to_dict()
    assert run.published and run.reason is None
    row = store.latest_published(scored)
    assert row["model_version"] == run.version == "clutch_model_v1_20230410T120000Z"
    assert row["rows"] == 180 and row["checks_passed"] and row["trace_sha256"] == traces.latest().sha256


def test_a_fit_whose_checks_fail_is_recorded_but_never_published(scored, tmp_path):
    traces = open_trace_store(str(tmp_path / "traces"))
    starved = FitConfig(draws=30, tune=30, holdout=False)  # far too few draws for ESS >= 400
    run = run_model(scored, traces, seasons=["2022-23"], now=NOW, config=starved)
    assert not run.published
    assert run.reason.startswith("blocking checks failed: ") and "min_bulk_ess" in run.reason
    assert traces.latest() is None
    assert store.latest_published(scored) is None
    assert store.latest_run(scored, "publish")["not_published_reason"] == run.reason


def test_a_failed_upload_leaves_the_previous_model_the_latest(scored, tmp_path):
    good = open_trace_store(str(tmp_path / "traces"))
    first = run_model(scored, good, seasons=["2022-23"], now=NOW, config=QUICK)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    second = run_model(
        scored,
        open_trace_store(str(blocked / "traces")),
        seasons=["2022-23"],
        now=NOW + timedelta(hours=1),
        config=QUICK,
    )
    assert not second.published and second.reason.startswith("trace upload failed")
    assert store.latest_published(scored)["model_version"] == first.version


def test_too_few_player_games_fit_nothing_and_say_so(conn, tmp_path):
    run = run_model(conn, open_trace_store(str(tmp_path)), seasons=["2022-23"], now=NOW, config=QUICK)
    assert run.result is None and "fewer than 20" in run.reason
    assert store.latest_run(conn, "publish")["rows"] == 0


def test_predictions_from_the_published_trace_equal_those_of_the_fit(scored, tmp_path):
    traces = open_trace_store(str(tmp_path / "traces"))
    run = run_model(scored, traces, seasons=["2022-23"], now=NOW, config=QUICK)
    rows = store.model_input(scored, ["2022-23"]).head(5)
    from_fit = run.result.predict(rows)
    from_trace = latest_posterior(scored, traces).predict(rows)
    assert (
        from_trace[["predicted", "lower", "upper"]]
        .round(6)
        .equals(from_fit[["predicted", "lower", "upper"]].round(6))
    )


def test_the_backtest_predicts_the_last_day_from_a_fit_on_the_days_before(scored):
    result = backtest(scored, seasons=["2022-23"], now=NOW, config=QUICK)
    last = store.last_game_day(scored, ["2022-23"])
    assert result.day == last and result.run.row["data_last_date"] < last
    predictions = scored.execute(
        "SELECT count(*), count(observed_clutch_score), bool_and(purpose = 'backtest')"
        " FROM clutch_predictions"
    ).fetchone()
    assert predictions == (result.predictions, result.predictions, True) and result.predictions > 0
    assert 0 <= result.coverage <= 1 and result.rmse > 0
    assert store.latest_published(scored) is None  # a backtest publishes nothing


def test_a_prediction_without_wearables_stores_none_and_says_so(scored):
    scored.execute(
        "UPDATE clutch_game_scores SET has_wearables_data = FALSE, hrv_baseline_deviation = NULL,"
        " recovery_score_pregame = NULL, sleep_performance_pregame = NULL"
        " WHERE game_date = (SELECT max(game_date) FROM clutch_game_scores)"
    )
    backtest(scored, seasons=["2022-23"], now=NOW, config=QUICK)
    rows = scored.execute(
        "SELECT has_wearables_data, num_nonnulls(hrv_baseline_deviation, recovery_score_pregame,"
        " sleep_performance_pregame) FROM clutch_predictions"
    ).fetchall()
    assert rows and all(row == (False, 0) for row in rows)
