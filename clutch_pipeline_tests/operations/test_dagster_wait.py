"""Dagster's own wait for a pool slot sleeps and heeds Ctrl-C (in Dagster 1.13, without our fix, it spins
at full CPU and ignores both Ctrl-C and SIGTERM)."""

from __future__ import annotations

import signal
import threading
import time
import uuid

import dagster as dg

from clutch_pipeline.operations.launcher import launcher_tags
from clutch_pipeline.operations.pool_wait import make_dagster_pool_waits_sleep
from clutch_pipeline.operations.slots import pool_states
from clutch_pipeline_tests.operations.holders import (
    POOL,
    hold_nba_api_job,
    run_of_process,
    start_process,
    started_run,
)

WAIT_SECONDS = 3.0


class BlockedWindow(threading.Thread):
    """Once ``run_id`` queues for the pool, measure this process's CPU for a while, then free ``holder``."""

    def __init__(self, instance, run_id: str, holder: str):
        super().__init__(daemon=True)
        self.instance, self.run_id, self.holder = instance, run_id, holder
        self.cpu_seconds: float | None = None

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while self.run_id not in pool_states(self.instance, [POOL])[POOL].queued:
            assert time.monotonic() < deadline, "the run never queued for the pool"
            time.sleep(0.05)
        before = time.process_time()
        time.sleep(WAIT_SECONDS)
        self.cpu_seconds = time.process_time() - before
        self.instance.event_log_storage.free_concurrency_slots_for_run(self.holder)


def test_a_run_blocked_on_a_pool_sleeps_until_its_slot_frees(instance):
    assert make_dagster_pool_waits_sleep()
    holder = started_run(instance, {})
    run_id = str(uuid.uuid4())
    window = BlockedWindow(instance, run_id, holder)
    window.start()

    result = hold_nba_api_job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)

    window.join()
    assert result.success
    # Spinning, the waiting loop alone takes a whole core: about WAIT_SECONDS of CPU.
    assert window.cpu_seconds < 0.25 * WAIT_SECONDS


def test_making_dagster_sleep_twice_changes_nothing():
    assert make_dagster_pool_waits_sleep()
    assert make_dagster_pool_waits_sleep()


def test_ctrl_c_ends_a_run_waiting_for_a_pool_slot(instance, clutch_environment, tmp_path):
    started_run(instance, launcher_tags())
    process = start_process(clutch_environment, 0, tmp_path / "waiting.log")
    try:
        waiting = run_of_process(instance, process, tmp_path / "waiting.log", queued=True)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    finally:
        process.kill()
        process.wait()

    assert instance.get_run_by_id(waiting).status == dg.DagsterRunStatus.FAILURE
    assert waiting not in pool_states(instance, [POOL])[POOL].queued
