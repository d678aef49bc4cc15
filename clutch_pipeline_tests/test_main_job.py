"""The main job proves the pipeline finds what is there: a planted wearables effect, and no effect when
none was planted. Both on the main job's own bundled games, through run_main_job on real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql

from clutch_pipeline.db.connection import url_for_database
from clutch_pipeline.main_job import (
    MainJobOptions,
    MainJobOptionsConflict,
    MainJobReport,
    run_main_job,
    wearables_effects,
    wearables_verdict,
)
from clutch_pipeline.model.calibration import shuffled_false_positives
from clutch_pipeline.model.data import ModelInput
from clutch_pipeline.model.store import model_input, seasons_with_scores
from clutch_pipeline.settings import load_settings
from clutch_pipeline_tests.environment import exported

# Readiness sds per sd of clutch points over expected: strong enough to be found on a month of games
# (docs/main-job.md gives the intervals measured at 1 and 2).
PLANTED = 2.0


def _latest_published_effects(url: str) -> list[dict]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT effects FROM model_runs WHERE purpose = 'publish' ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    assert row is not None, "the main job recorded no published fit"
    return wearables_effects(row[0])


def _recovery(effects: list[dict]) -> dict:
    return next(e for e in effects if e["covariate"] == "recovery_score_pregame")


@dataclass(frozen=True)
class Planted:
    app_url: str
    report: MainJobReport
    second_run_refused: MainJobOptionsConflict | None  # a run without the plant, on the same database


@pytest.fixture(scope="module")
def planted_main_job(main_job_database, pg_admin_url, run_tag, tmp_path_factory) -> Iterator[Planted]:
    """A fresh database (and Dagster database, and CLUTCH_HOME) filled by the main job with a planted
    effect, set up in the environment as the root conftest's ``main_job_database`` does; then a second
    run on it without the plant. The session's own main job runs first (``main_job_database``), so that
    it never runs under this fixture's environment (its trace would land in this CLUTCH_HOME)."""
    names = [f"planted_{run_tag}_{uuid.uuid4().hex[:6]}" for _ in range(2)]
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        for name in names:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    app, dagster = (url_for_database(pg_admin_url, name) for name in names)
    environ = {
        "CLUTCH_DATABASE_URL": app,
        "CLUTCH_DAGSTER_DATABASE_URL": dagster,
        "CLUTCH_HOME": str(tmp_path_factory.mktemp("planted-home")),
    }
    try:
        with exported(environ):
            report = run_main_job(load_settings(), options=MainJobOptions(plant_effect=PLANTED))
            assert report.success, [s.title for s in report.steps if not s.success]
            refused = None
            try:
                run_main_job(load_settings(), options=MainJobOptions())
            except MainJobOptionsConflict as exc:
                refused = exc
            yield Planted(app, report, refused)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            for name in names:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_a_planted_effect_is_found_the_recovery_interval_excludes_zero_above_it(planted_main_job):
    recovery = _recovery(_latest_published_effects(planted_main_job.app_url))

    assert recovery["per_sd_94"][0] > 0, recovery


def test_a_planted_effect_is_found_jointly_and_the_report_says_so(planted_main_job):
    report = planted_main_job.report

    assert report.wearables_joint()["excludes_zero"], report.wearables_joint()
    assert wearables_verdict(report.wearables_effects(), report.wearables_joint()).startswith("effect found")


def test_without_a_planted_effect_no_positive_recovery_effect_is_found(main_job_database):
    recovery = _recovery(_latest_published_effects(main_job_database))

    assert recovery["per_sd_94"][0] < 0, recovery


def test_without_a_planted_effect_no_wearables_effect_is_found_zero_lies_inside_the_joint_region(
    main_job_database,
):
    """The issue's "with none it covers zero", asked as the one question the report answers: does any
    wearables effect exist? (Taken alone, recovery's interval excludes 0 at simulator seed 0, beside
    HRV's on the other side: a chance split of two covariates correlated at 0.9, measured in
    docs/model.md, Calibration; the next test holds the single intervals to their nominal rate.)"""
    with psycopg.connect(main_job_database) as conn:
        effects = conn.execute(
            "SELECT effects FROM model_runs WHERE purpose = 'publish' ORDER BY started_at DESC LIMIT 1"
        ).fetchone()[0]

    joint = effects["wearables_joint"]

    assert joint["names"] == ["hrv_baseline_deviation", "recovery_score_pregame", "sleep_performance_pregame"]
    assert not joint["excludes_zero"], joint
    assert wearables_verdict(wearables_effects(effects), joint).startswith("no wearables effect found")


def test_without_a_planted_effect_shuffled_wearables_exclude_zero_no_more_than_the_nominal_six_percent(
    main_job_database,
):
    """The honest form of "no effect is found where there is none": the main job's own player-games with
    their wearables shuffled across player-games (no link to play left) give recovery intervals that
    exclude 0 at about the nominal rate; 0.12 allows for 100 shuffles (P(> 12 of 100 | 6%) < 1%)."""
    with psycopg.connect(main_job_database) as conn:
        frame = model_input(conn, seasons_with_scores(conn))

    rates = shuffled_false_positives(ModelInput.from_frame(frame), shuffles=100, seed=0)

    assert rates["recovery_score_pregame"] <= 0.12, rates
    assert rates["hrv_baseline_deviation"] <= 0.12, rates


def test_a_run_without_the_plant_on_a_planted_database_is_refused_with_the_reason(planted_main_job):
    refused = planted_main_job.second_run_refused

    assert refused is not None
    assert "synced with planted effect 2 on clutch points over expected" in str(refused)
    assert "needs a fresh database" in str(refused)
