"""fail_dead_runs: a run whose CLI process is gone is failed, with a message, and its slots freed; a run
whose process may still be executing it is left alone."""

from __future__ import annotations

import dagster as dg

from clutch_pipeline.operations.dead_runs import fail_dead_runs
from clutch_pipeline.operations.launcher import launcher_tags
from clutch_pipeline.operations.slots import pool_states
from clutch_pipeline_tests.operations.holders import (
    POOL,
    gone_launcher,
    other_host_launcher,
    reused_pid_launcher,
    started_run,
)


def _status(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRunStatus:
    return instance.get_run_by_id(run_id).status


def _holders(instance: dg.DagsterInstance) -> set[str]:
    return set(pool_states(instance, [POOL])[POOL].holders)


def test_a_run_whose_process_is_gone_is_marked_failed(instance):
    run_id = started_run(instance, gone_launcher().tags())

    dead = fail_dead_runs(instance)

    assert [d.run_id for d in dead] == [run_id]
    assert _status(instance, run_id) == dg.DagsterRunStatus.FAILURE


def test_the_failed_run_s_event_log_says_its_process_is_gone(instance):
    launcher = gone_launcher()
    run_id = started_run(instance, launcher.tags())

    fail_dead_runs(instance)

    (failure,) = [
        e for e in instance.all_logs(run_id) if e.dagster_event_type == dg.DagsterEventType.RUN_FAILURE
    ]
    assert f"pid {launcher.pid} on host {launcher.host}" in failure.message
    assert "is gone" in failure.message and POOL in failure.message


def test_the_slot_of_a_run_whose_process_is_gone_is_freed(instance):
    run_id = started_run(instance, gone_launcher().tags())

    (dead,) = fail_dead_runs(instance)

    assert dead.pools_freed == (POOL,)
    assert run_id not in _holders(instance)
    assert pool_states(instance, [POOL])[POOL].free == 1


def test_a_reused_pid_does_not_keep_a_dead_run_alive(instance):
    run_id = started_run(instance, reused_pid_launcher().tags())

    fail_dead_runs(instance)

    assert _status(instance, run_id) == dg.DagsterRunStatus.FAILURE


def test_a_run_whose_process_is_alive_is_left_alone(instance):
    run_id = started_run(instance, launcher_tags())

    assert fail_dead_runs(instance) == []
    assert _status(instance, run_id) == dg.DagsterRunStatus.STARTED
    assert run_id in _holders(instance)


def test_another_host_s_runs_are_left_alone(instance):
    run_id = started_run(instance, other_host_launcher().tags())

    assert fail_dead_runs(instance) == []
    assert _status(instance, run_id) == dg.DagsterRunStatus.STARTED
    assert run_id in _holders(instance)


def test_runs_not_launched_by_the_cli_are_left_alone(instance):
    run_id = started_run(instance, {"dagster/backfill": "abc"})

    assert fail_dead_runs(instance) == []
    assert _status(instance, run_id) == dg.DagsterRunStatus.STARTED


def test_a_dead_run_queued_for_a_slot_leaves_the_queue(instance):
    holder = started_run(instance, launcher_tags())
    queued = started_run(instance, gone_launcher().tags(), holds=False)

    fail_dead_runs(instance)
    instance.event_log_storage.free_concurrency_slots_for_run(holder)

    # Had it stayed queued, the freed slot would have been handed to it, for ever.
    assert pool_states(instance, [POOL])[POOL].holders == {}
    assert _status(instance, queued) == dg.DagsterRunStatus.FAILURE


def test_an_ended_run_whose_process_is_gone_gets_its_slot_freed_and_keeps_its_status(instance):
    run_id = started_run(instance, gone_launcher().tags())
    instance.report_run_canceled(instance.get_run_by_id(run_id), "canceled from the UI")

    (dead,) = fail_dead_runs(instance)

    assert not dead.marked_failed
    assert _status(instance, run_id) == dg.DagsterRunStatus.CANCELED
    assert run_id not in _holders(instance)
