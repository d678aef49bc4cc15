"""Issue 18, item 2: a CLI run killed while it holds the only ``nba_api`` slot no longer blocks the next
run for ever. A real process executes a run on the PostgreSQL-backed instance and is SIGKILLed while
its step holds the slot; the next run, through ``wait_for_pools``, starts within seconds."""

from __future__ import annotations

import signal
import time

import dagster as dg

from clutch_pipeline.nba.archive import SAMPLE_ARCHIVE, PlayByPlayArchive
from clutch_pipeline.operations.launcher import launcher_tags
from clutch_pipeline.operations.pool_wait import job_pools, wait_for_pools
from clutch_pipeline.operations.slots import pool_states
from clutch_pipeline.runs import launch_run, nba_games_launch, open_instance
from clutch_pipeline.settings import load_settings
from clutch_pipeline_tests.operations.holders import (
    POOL,
    hold_nba_api_job,
    holding_for,
    run_of_process,
    start_process,
)


def _killed_holder(instance: dg.DagsterInstance, clutch_environment: dict, tmp_path) -> str:
    """A real process executing a run that holds the only nba_api slot, SIGKILLed: its run id."""
    process = start_process(clutch_environment, 600, tmp_path / "holder.log")
    try:
        killed = run_of_process(instance, process, tmp_path / "holder.log", queued=False)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.STARTED
    return killed


def test_after_a_run_holding_nba_api_is_killed_the_next_run_starts_within_seconds(
    instance, clutch_environment, tmp_path
):
    killed = _killed_holder(instance, clutch_environment, tmp_path)

    started, said = time.monotonic(), []
    wait_for_pools(instance, job_pools(hold_nba_api_job), said.append, timeout_seconds=60)
    result = hold_nba_api_job.execute_in_process(
        instance=instance, run_config=holding_for(0), tags=launcher_tags(), raise_on_error=False
    )
    seconds = time.monotonic() - started

    assert result.success and seconds < 20
    assert said == [next(iter(said))] and said[0].startswith(
        f"run {killed} (hold_nba_api_job): its process is gone"
    )
    assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.FAILURE
    assert killed not in pool_states(instance, [POOL])[POOL].holders


def test_the_run_door_frees_a_killed_runs_slot_and_loads_games_within_seconds(
    instance, clutch_environment, tmp_path
):
    killed = _killed_holder(instance, clutch_environment, tmp_path)
    opened = open_instance(load_settings(clutch_environment))
    game = sorted(PlayByPlayArchive(SAMPLE_ARCHIVE).game_ids())[0]
    launch = nba_games_launch("one game", [game], {"archive_path": str(SAMPLE_ARCHIVE)})

    started, said = time.monotonic(), []
    try:
        report = launch_run(opened, launch, on_wait=said.append)
    finally:
        opened.dispose()

    assert report.success, report.error
    assert time.monotonic() - started < 30
    assert said and said[0].startswith(f"run {killed} (hold_nba_api_job): its process is gone")
    assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.FAILURE
