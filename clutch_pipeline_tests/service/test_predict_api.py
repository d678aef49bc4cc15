"""``POST /api/analytics/clutch/predict`` through a real HTTP client against the running app, on the main
job's database and the latest published model: a named game with the stored pregame context, a
described game, wearables given or missing (never filled in), and plain errors.

The main job's own published model is used when it has one; otherwise a copy of its database gets a
small model fitted and published to a temporary store (the shared database stays read-only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
import requests
from psycopg import sql

from clutch_pipeline.db.connection import url_for_database
from clutch_pipeline.model import store as model_store
from clutch_pipeline.model.fit import FitConfig
from clutch_pipeline.model.publish import run_model
from clutch_pipeline.model.trace_store import open_trace_store
from clutch_pipeline.service.app import ServiceConfig, create_app
from clutch_pipeline.service.server import serve_in_background

API_KEY = "predict-test-key"
KEY = {"X-API-Key": API_KEY}
PATH = "/api/analytics/clutch/predict"
WEARABLES = ("hrv_baseline_deviation", "recovery_score_pregame", "sleep_performance_pregame")
NOW = datetime(2022, 11, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def published(main_job_database, main_job_home, pg_admin_url, run_tag, tmp_path_factory) -> Iterator[tuple]:
    """(database URL, model store, model version) with a published model."""
    traces = main_job_home / "traces"
    with psycopg.connect(main_job_database) as conn:
        run = model_store.latest_published(conn)
        source = conn.info.dbname
    if run is not None and traces.exists():
        yield main_job_database, str(traces), run["model_version"]
        return
    name = f"predict_{run_tag}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(source))
        )
    url = url_for_database(pg_admin_url, name)
    folder = tmp_path_factory.mktemp("predict-traces")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            fitted = run_model(
                conn,
                open_trace_store(str(folder)),
                seasons=["2022-23"],
                now=NOW,
                config=FitConfig(holdout=False),  # the full draws: 500 fail R-hat <= 1.01 now and then
            )
        assert fitted.published, fitted.reason
        yield url, str(folder), fitted.version
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def api(published) -> Iterator[str]:
    url, traces, _ = published
    config = ServiceConfig(database_url=url, whoop=None, api_keys=(API_KEY,), model_store=traces)
    with serve_in_background(lambda _: create_app(config)) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def context(published) -> dict:
    """A player's stored pregame context for a game, one with wearables values."""
    with psycopg.connect(published[0]) as conn:
        row = conn.execute(
            """SELECT p.nba_person_id, p.player_id, g.nba_game_id, g.game_id,
                      c.recovery_score_pregame::float8
               FROM pregame_context c JOIN players p USING (player_id) JOIN games g USING (game_id)
               WHERE c.recovery_score_pregame IS NOT NULL AND c.hrv_baseline_deviation IS NOT NULL
                 AND c.sleep_performance_pregame IS NOT NULL
               ORDER BY g.nba_game_id, p.nba_person_id LIMIT 1"""
        ).fetchone()
    person, player_uuid, game, game_uuid, recovery = row
    return {
        "person": person,
        "player_uuid": str(player_uuid),
        "game": game,
        "game_uuid": str(game_uuid),
        "recovery": recovery,
    }


def post(api: str, body, headers: dict | None = KEY) -> requests.Response:
    return requests.post(api + PATH, json=body, headers=headers, timeout=60)


# ---------------------------------------------------------------------------------------------------
# A named game


def test_a_named_game_is_predicted_from_his_stored_pregame_context(api, published, context):
    answer = post(api, {"player": str(context["person"]), "game": context["game"]})
    body = answer.json()
    assert answer.status_code == 200, body
    assert body["model_version"] == published[2] and body["interval_probability"] == 0.94
    assert 0 <= body["interval_low"] <= body["predicted_clutch_score"] <= body["interval_high"] <= 100
    assert body["wearables_used"] is True and body["wearables_source"] == "pregame_context"
    assert body["inputs"]["recovery_score_pregame"] == context["recovery"]
    assert not set(WEARABLES) & set(body["missing_covariates"])
    assert body["game"]["nba_game_id"] == context["game"]
    assert body["player"]["nba_person_id"] == context["person"]


def test_a_player_and_game_named_by_uuid_get_the_same_prediction_as_by_nba_ids(api, context):
    by_nba = post(api, {"player": str(context["person"]), "game": context["game"]}).json()
    by_uuid = post(api, {"player": context["player_uuid"], "game": context["game_uuid"]}).json()
    assert by_uuid == by_nba


def test_wearables_given_replace_the_stored_ones_and_say_so(api, context):
    body = post(
        api, {"player": str(context["person"]), "game": context["game"], "wearables": {"recovery_score": 5}}
    ).json()
    assert body["wearables_source"] == "request" and body["inputs"]["recovery_score_pregame"] == 5
    assert set(body["missing_covariates"]) >= {"hrv_baseline_deviation", "sleep_performance_pregame"}


# ---------------------------------------------------------------------------------------------------
# A described game


def test_a_described_game_without_wearables_says_they_were_missing_and_not_used(api, context):
    described = {"days_since_last_game": 2, "home": True}
    body = post(api, {"player": str(context["person"]), "context": described}).json()
    assert body["wearables_used"] is False and body["wearables_source"] is None
    assert set(WEARABLES) <= set(body["missing_covariates"])
    assert all(body["inputs"][name] is None for name in WEARABLES)
    assert body["game"] is None


def test_partial_wearables_are_used_and_the_rest_stay_missing(api, context):
    body = post(
        api,
        {
            "player": str(context["person"]),
            "context": {"days_since_last_game": 2, "home": True},
            "wearables": {"recovery_score": 80},
        },
    ).json()
    assert body["wearables_used"] is True and body["wearables_source"] == "request"
    assert body["missing_covariates"] == ["hrv_baseline_deviation", "sleep_performance_pregame"]


def test_an_unknown_days_since_last_game_is_reported_missing(api, context):
    body = post(api, {"player": str(context["person"]), "context": {"home": False}}).json()
    assert "days_since_last_game" in body["missing_covariates"]


def test_home_is_used_by_the_model_and_moves_the_prediction(api, context):
    home, away = (
        post(api, {"player": str(context["person"]), "context": {"home": at_home}}).json()
        for at_home in (True, False)
    )
    assert home["unused_inputs"] == [] and home["inputs"]["is_home"] is True
    assert home["predicted_clutch_score"] != away["predicted_clutch_score"]


def test_a_described_game_without_home_is_a_400_that_asks_for_it(api, context):
    answer = post(api, {"player": str(context["person"]), "context": {}})
    assert answer.status_code == 400
    assert "context.home" in answer.json()["detail"]


def test_the_score_margin_asked_is_the_one_used(api, context):
    body = post(api, {"player": str(context["person"]), "context": {"home": True}, "score_margin": -4}).json()
    assert body["inputs"]["score_margin"] == -4


# ---------------------------------------------------------------------------------------------------
# Errors


def test_predicting_needs_the_api_key(api, context):
    assert post(api, {"player": str(context["person"]), "context": {}}, headers=None).status_code == 401


@pytest.mark.parametrize("extra", [{}, {"game": "0022200001", "context": {}}], ids=["neither", "both"])
def test_a_request_must_name_a_game_or_describe_one_but_not_both(api, context, extra):
    answer = post(api, {"player": str(context["person"]), **extra})
    assert answer.status_code == 400 and "name a game or describe one" in answer.json()["detail"]


def test_an_unknown_player_is_a_404(api):
    answer = post(api, {"player": "999999999", "context": {}})
    assert answer.status_code == 404 and answer.json() == {"detail": "no player 999999999"}


def test_an_unknown_game_is_a_404(api, context):
    answer = post(api, {"player": str(context["person"]), "game": "0022299999"})
    assert answer.status_code == 404 and answer.json() == {"detail": "no game 0022299999"}


def test_a_game_he_has_no_pregame_context_for_is_a_404_that_says_so(api, published, context):
    with psycopg.connect(published[0]) as conn:
        (other,) = conn.execute(
            """SELECT g.nba_game_id FROM games g WHERE NOT EXISTS (
                   SELECT 1 FROM pregame_context c JOIN players p USING (player_id)
                   WHERE c.game_id = g.game_id AND p.nba_person_id = %s) ORDER BY 1 LIMIT 1""",
            (context["person"],),
        ).fetchone()
    answer = post(api, {"player": str(context["person"]), "game": other})
    assert answer.status_code == 404 and "no pregame context" in answer.json()["detail"]


@pytest.mark.parametrize(
    "wearables", [{"recovery_score": 150}, {"sleep_performance": -1}, {"recovery_score": "high"}]
)
def test_a_wearables_value_out_of_range_is_a_422_with_a_plain_message(api, context, wearables):
    answer = post(api, {"player": str(context["person"]), "context": {"home": True}, "wearables": wearables})
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(f"body wearables {next(iter(wearables))}: ")


def test_without_a_published_model_predicting_is_a_503_with_a_plain_message(database_url, tmp_path):
    config = ServiceConfig(database_url, None, (API_KEY,), model_store=str(tmp_path / "traces"))
    with serve_in_background(lambda _: create_app(config)) as base_url:
        answer = post(base_url, {"player": "1", "context": {}})
    assert answer.status_code == 503 and answer.json()["detail"].startswith("no published model yet")


def test_without_a_model_store_predicting_is_a_503_that_names_the_setting(published):
    config = ServiceConfig(published[0], None, (API_KEY,))
    with serve_in_background(lambda _: create_app(config)) as base_url:
        answer = post(base_url, {"player": "1", "context": {}})
    assert answer.status_code == 503 and "CLUTCH_MODEL_STORE" in answer.json()["detail"]
