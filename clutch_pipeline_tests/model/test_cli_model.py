"""`clutch model export-data`, `clutch model fit --data` and `clutch predict` as a user runs them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from clutch_pipeline.cli import main
from clutch_pipeline.model.data import COLUMNS, OPTIONAL
from clutch_pipeline.model.simulate import season
from clutch_pipeline_tests.model.test_publish import _write_scores


def test_export_data_writes_the_csv_contract_from_the_database(conn, database_url, monkeypatch, tmp_path):
    frame = season(players=10, games=3, seed=1).frame
    frame["game_id"] = frame["game_id"].astype(str)
    _write_scores(conn, frame)
    monkeypatch.setenv("CLUTCH_DATABASE_URL", database_url)
    out = tmp_path / "input.csv"

    result = CliRunner().invoke(main, ["model", "export-data", "--out", str(out)])

    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0].split(",") == [*COLUMNS, *OPTIONAL]
    assert len(lines) == 1 + 30


def test_fit_from_a_csv_prints_diagnostics_effects_and_holdout_as_json(tmp_path):
    path = tmp_path / "input.csv"
    season(players=30, games=6, seed=2).frame.to_csv(path, index=False)

    result = CliRunner().invoke(
        main, ["model", "fit", "--data", str(path), "--draws", "500", "--tune", "500"]
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rows"] == 180 and report["players"] == 30
    assert {c["name"] for c in report["diagnostics"]["checks"]} == {
        "max_rhat",
        "min_bulk_ess",
        "divergences",
        "exact_posterior_agreement_mcse",
    }
    effects = {e["covariate"]: e for e in report["effects_per_unit"]}
    low, high = effects["score_margin"]["interval_94"]
    assert low <= effects["score_margin"]["mean"] <= high
    assert report["holdout"]["model"]["rmse"] > 0


def test_fit_from_a_csv_missing_a_column_is_one_line(tmp_path):
    path = tmp_path / "input.csv"
    season(players=5, games=2).frame.drop(columns=["score_margin"]).to_csv(path, index=False)

    result = CliRunner().invoke(main, ["model", "fit", "--data", str(path)])

    assert result.exit_code == 1
    assert result.output.startswith("Error: missing columns: score_margin")
    assert "Traceback" not in result.output


def test_predict_without_a_published_model_says_so(conn, database_url, monkeypatch, tmp_path):
    frame = season(players=4, games=2, seed=1).frame
    frame["game_id"] = frame["game_id"].astype(str)
    _write_scores(conn, frame)
    player, game = conn.execute(
        "SELECT p.nba_person_id, g.nba_game_id, p.player_id, g.game_id FROM clutch_game_scores s"
        " JOIN players p USING (player_id) JOIN games g USING (game_id) LIMIT 1"
    ).fetchone()[:2]
    conn.execute(
        "INSERT INTO pregame_context (game_id, player_id, played, is_playoff)"
        " SELECT g.game_id, p.player_id, TRUE, FALSE FROM games g, players p"
        " WHERE g.nba_game_id = %s AND p.nba_person_id = %s",
        (game, player),
    )
    monkeypatch.setenv("CLUTCH_DATABASE_URL", database_url)
    monkeypatch.setenv("CLUTCH_MODEL_STORE", str(tmp_path / "traces"))

    result = CliRunner().invoke(main, ["predict", "--player", str(player), "--game", game])

    assert result.exit_code == 1
    assert "no published model" in result.output


def test_predict_from_the_published_model_prints_and_records_the_prediction(
    conn, database_url, monkeypatch, tmp_path
):
    from datetime import UTC, datetime

    from clutch_pipeline.model.fit import FitConfig
    from clutch_pipeline.model.publish import run_model
    from clutch_pipeline.model.trace_store import open_trace_store

    frame = season(players=30, games=6, seed=3).frame
    frame["game_id"] = frame["game_id"].astype(str)
    _write_scores(conn, frame)
    traces = tmp_path / "traces"
    quick = FitConfig(draws=500, tune=500, holdout=False)
    assert run_model(
        conn, open_trace_store(str(traces)), seasons=["2022-23"], now=datetime.now(UTC), config=quick
    ).published
    player, game = conn.execute(
        "SELECT p.nba_person_id, g.nba_game_id FROM clutch_game_scores s"
        " JOIN players p USING (player_id) JOIN games g USING (game_id) ORDER BY 1, 2 LIMIT 1"
    ).fetchone()
    conn.execute(
        "INSERT INTO pregame_context (game_id, player_id, played, is_playoff, days_since_last_game)"
        " SELECT g.game_id, p.player_id, FALSE, FALSE, 2 FROM games g, players p"
        " WHERE g.nba_game_id = %s AND p.nba_person_id = %s",
        (game, player),
    )
    monkeypatch.setenv("CLUTCH_DATABASE_URL", database_url)
    monkeypatch.setenv("CLUTCH_MODEL_STORE", str(traces))

    result = CliRunner().invoke(main, ["predict", "--player", str(player), "--game", game, "--margin", "-3"])

    assert result.exit_code == 0, result.output
    prediction = json.loads(result.output)
    assert prediction["interval_low"] <= prediction["predicted_clutch_score"] <= prediction["interval_high"]
    assert prediction["has_wearables_data"] is False and prediction["recovery_score_pregame"] is None
    assert prediction["score_margin"] == -3
    stored = conn.execute("SELECT purpose, has_wearables_data FROM clutch_predictions").fetchall()
    assert stored == [("request", False)]
