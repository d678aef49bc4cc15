"""What `clutch runs` lists: status, job, the process executing each run, the pools it holds."""

from __future__ import annotations

import dagster as dg

from clutch_pipeline.operations.launcher import Launcher, Liveness, launcher_tags
from clutch_pipeline.operations.listing import recent_runs, runs_table, unfinished_runs
from clutch_pipeline_tests.operations.holders import POOL, gone_launcher, started_run


def test_unfinished_runs_show_job_status_process_and_pools_held(instance):
    run_id = started_run(instance, {**launcher_tags(), "clutch/launched_by": "clutch nba backfill"})

    (run,) = unfinished_runs(instance)

    assert (run.run_id, run.job_name, run.status) == (run_id, "hold_nba_api_job", dg.DagsterRunStatus.STARTED)
    assert (run.launcher.host, run.launcher.pid) == (Launcher.current().host, Launcher.current().pid)
    assert run.liveness == Liveness.ALIVE
    assert run.launched_by == "clutch nba backfill"
    assert run.pools_held == (POOL,)


def test_a_run_queued_for_a_pool_shows_what_it_waits_for(instance):
    started_run(instance, launcher_tags())
    queued = started_run(instance, launcher_tags(), holds=False)

    (run,) = [r for r in unfinished_runs(instance) if r.run_id == queued]

    assert run.pools_held == () and run.pools_waited_for == (POOL,)


def test_unfinished_runs_leave_out_ended_runs(instance):
    ended = started_run(instance, launcher_tags())
    instance.report_run_failed(instance.get_run_by_id(ended), "done")

    assert unfinished_runs(instance) == []


def test_recent_runs_include_ended_runs_newest_first(instance):
    first = started_run(instance, launcher_tags())
    instance.report_run_failed(instance.get_run_by_id(first), "done")
    second = started_run(instance, launcher_tags(), holds=False)

    assert [r.run_id for r in recent_runs(instance, limit=5)] == [second, first]


def test_the_table_marks_a_run_whose_process_is_gone(instance):
    launcher = gone_launcher()
    run_id = started_run(instance, launcher.tags())

    table = runs_table(unfinished_runs(instance))

    (line,) = [line for line in table.splitlines() if run_id in line]
    assert f"pid {launcher.pid}@{launcher.host} (gone)" in line
    assert "STARTED" in line and f"holds {POOL}" in line
