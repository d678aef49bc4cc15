"""The one Definitions: what it holds, named, so nothing appears or disappears unnoticed."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from clutch_pipeline.definitions import defs

REPO = Path(__file__).resolve().parents[1]

ASSETS = {
    "database_schema",
    "nba_play_by_play",
    "clutch_situations",
    "clutch_player_actions",
    "whoop_cycles",
    "whoop_recoveries",
    "whoop_sleeps",
    "whoop_workouts",
    "wearables_daily_summary",
    "pregame_context",
    "clutch_action_wearables",
    "clutch_performance_scores",
    "clutch_game_scores",
    "ml_features",
    "clutch_model",
    "clutch_predictions",
    "kpi_daily",
}
CHECKS = {
    "schema_matches_migrations",
    "every_game_loaded",
    "official_clutch_totals",
    "pregame_measured_before_tipoff",
    "clutch_scores_consistent",
    "wearables_context_coverage",
    "daily_summaries_fresh",
    "max_rhat",
    "min_bulk_ess",
    "divergences",
    "exact_posterior_agreement_mcse",
    "wearables_uptime_on_target",
    "sync_latency_median_minutes_on_target",
    "sync_latency_p95_minutes_on_target",
    "model_rmse_on_target",
    "poe_sign_accuracy_on_target",
    "page_load_seconds_on_target",
}
SCHEDULES = {"whoop_hourly_sync", "wearables_retention_daily", "kpis_hourly"}
SENSORS = {
    "alert_on_run_failure",
    "fail_dead_cli_runs",
    "nba_live_games",
    "whoop_sync_planner",
    "wearables_summary_refresh",
    "alignment_refresh",
    "wearables_alerts",
}
JOBS = {
    "apply_schema",
    "load_nba_games",
    "sync_whoop",
    "apply_wearables_retention",
    "refresh_daily_summaries",
    "align_clutch_games",
    "fit_clutch_model",
    "measure_kpis",
}


def _asset_specs():
    return list(defs.resolve_all_asset_specs())


def test_definitions_name_every_asset():
    assert {spec.key.to_user_string() for spec in _asset_specs()} == ASSETS


def test_definitions_name_every_asset_check():
    checks = defs.resolve_asset_graph().asset_check_keys
    assert {key.name for key in checks} == CHECKS


def test_definitions_name_every_schedule_and_sensor():
    assert {s.name for s in defs.schedules or []} == SCHEDULES
    assert {s.name for s in defs.sensors or []} == SENSORS


def test_definitions_name_every_job():
    assert {job.name for job in defs.resolve_all_job_defs()} >= JOBS


def test_every_asset_has_a_description_and_a_group():
    for spec in _asset_specs():
        assert spec.description, spec.key
        assert spec.group_name and spec.group_name != "default", spec.key


def test_every_asset_has_owners_and_names_its_table_and_docs_page():
    for spec in _asset_specs():
        assert spec.owners and all(o.startswith("team:") for o in spec.owners), spec.key
        assert spec.metadata.get("dagster/table_name"), spec.key
        assert (REPO / spec.metadata["docs"]).is_file(), spec.key


def _upstream(key: str) -> set[str]:
    """Every asset ``key`` reads, directly or not."""
    graph = defs.resolve_asset_graph()
    seen, todo = set(), [dg.AssetKey(key)]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent.to_user_string() not in seen:
                seen.add(parent.to_user_string())
                todo.append(parent)
    return seen


def _paths(start: str, end: str) -> list[list[str]]:
    """Every path of deps from ``start`` down to ``end``."""
    graph = defs.resolve_asset_graph()
    if start == end:
        return [[end]]
    children = graph.get(dg.AssetKey(start)).child_keys
    return [[start, *rest] for child in children for rest in _paths(child.to_user_string(), end)]


def test_the_lineage_runs_from_nba_and_whoop_through_alignment_and_scores_to_the_model_and_predictions():
    """The data flow of docs/architecture.md: each source stage reaches the predictions through the
    alignment (pregame context), the game scores and the model, and nothing skips the scores."""
    for source in ("clutch_player_actions", "whoop_recoveries"):
        paths = _paths(source, "clutch_predictions")
        assert paths, source
        through_the_model = [p for p in paths if "clutch_model" in p]
        assert through_the_model, source
        for path in through_the_model:
            assert "clutch_game_scores" in path and path.index("clutch_game_scores") < path.index(
                "clutch_model"
            ), path
    assert any("wearables_daily_summary" in p for p in _paths("whoop_recoveries", "pregame_context"))
    assert {"pregame_context", "clutch_game_scores", "clutch_model"} <= _upstream("clutch_predictions")


def test_the_features_are_built_from_the_scores_and_the_daily_summaries():
    # The model reads clutch_game_scores, not ml_features (model/store.py): the lineage says so.
    assert {"clutch_game_scores", "wearables_daily_summary", "nba_play_by_play", "whoop_sleeps"} <= (
        _upstream("ml_features")
    )


def test_every_sensor_states_its_default_status():
    for sensor in defs.sensors or []:
        assert sensor.default_status in (dg.DefaultSensorStatus.RUNNING, dg.DefaultSensorStatus.STOPPED)
        assert sensor.description


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
