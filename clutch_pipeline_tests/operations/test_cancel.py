"""cancel_run: the user's way out of a run that will never end; refused while its process may run."""

from __future__ import annotations

import dagster as dg
import pytest

from clutch_pipeline.operations.cancel import CancelRefused, RunNotFound, cancel_run
from clutch_pipeline.operations.launcher import launcher_tags
from clutch_pipeline.operations.slots import pool_states
from clutch_pipeline_tests.operations.holders import POOL, gone_launcher, other_host_launcher, started_run


def _status(instance, run_id):
    return instance.get_run_by_id(run_id).status


def _holders(instance):
    return set(pool_states(instance, [POOL])[POOL].holders)


def test_a_run_whose_process_is_gone_is_canceled_and_its_slot_freed(instance):
    run_id = started_run(instance, gone_launcher().tags())

    canceled = cancel_run(instance, run_id)

    assert canceled.marked_canceled and canceled.pools_freed == (POOL,)
    assert _status(instance, run_id) == dg.DagsterRunStatus.CANCELED
    assert run_id not in _holders(instance)


def test_a_run_whose_process_is_alive_is_refused_politely(instance):
    run_id = started_run(instance, launcher_tags())

    with pytest.raises(CancelRefused, match=r"still running: pid \d+ on host .*--force"):
        cancel_run(instance, run_id)
    assert _status(instance, run_id) == dg.DagsterRunStatus.STARTED
    assert run_id in _holders(instance)


def test_force_cancels_a_run_whose_process_is_alive(instance):
    run_id = started_run(instance, launcher_tags())

    cancel_run(instance, run_id, force=True)

    assert _status(instance, run_id) == dg.DagsterRunStatus.CANCELED
    assert run_id not in _holders(instance)


def test_another_host_s_run_is_refused_without_force(instance):
    run_id = started_run(instance, other_host_launcher().tags())

    with pytest.raises(CancelRefused, match=r"another-host\.example"):
        cancel_run(instance, run_id)
    assert _status(instance, run_id) == dg.DagsterRunStatus.STARTED


def test_a_run_not_launched_by_the_cli_is_refused_without_force(instance):
    run_id = started_run(instance, {})

    with pytest.raises(CancelRefused, match="not launched by the clutch CLI"):
        cancel_run(instance, run_id)


def test_the_cancellation_is_recorded_in_the_run_s_event_log(instance):
    run_id = started_run(instance, gone_launcher().tags())

    cancel_run(instance, run_id)

    (event,) = [
        e for e in instance.all_logs(run_id) if e.dagster_event_type == dg.DagsterEventType.RUN_CANCELED
    ]
    assert "clutch runs cancel" in event.message


def test_an_ended_run_keeps_its_status_and_loses_its_leftover_slot(instance):
    run_id = started_run(instance, launcher_tags())
    instance.report_run_failed(instance.get_run_by_id(run_id), "failed, its slot left behind")

    canceled = cancel_run(instance, run_id)

    assert not canceled.marked_canceled
    assert _status(instance, run_id) == dg.DagsterRunStatus.FAILURE
    assert run_id not in _holders(instance)


def test_an_unknown_run_id_is_named_in_the_error(instance):
    with pytest.raises(RunNotFound, match="no run 0000"):
        cancel_run(instance, "0000")
