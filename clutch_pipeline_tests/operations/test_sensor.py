"""The sensor `clutch dev`'s daemon evaluates every minute: it fails this host's dead CLI runs, so the
UI shows them failed even when nobody runs the CLI."""

from __future__ import annotations

import dagster as dg

from clutch_pipeline.operations.launcher import launcher_tags
from clutch_pipeline.operations.sensors import fail_dead_cli_runs
from clutch_pipeline_tests.operations.holders import gone_launcher, started_run


def test_the_sensor_fails_a_run_whose_process_is_gone_and_says_so(instance):
    run_id = started_run(instance, gone_launcher().tags())

    result = fail_dead_cli_runs(dg.build_sensor_context(instance=instance))

    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    assert isinstance(result, dg.SkipReason) and run_id in result.skip_message


def test_the_sensor_leaves_live_runs_alone(instance):
    run_id = started_run(instance, launcher_tags())

    result = fail_dead_cli_runs(dg.build_sensor_context(instance=instance))

    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
    assert "no run launched by the CLI" in result.skip_message


def test_the_sensor_runs_by_default_every_minute():
    assert fail_dead_cli_runs.default_status == dg.DefaultSensorStatus.RUNNING
    assert fail_dead_cli_runs.minimum_interval_seconds == 60
