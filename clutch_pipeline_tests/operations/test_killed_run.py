"""Issue 18, item 2: a CLI run killed while it holds the only ``nba_api`` slot no longer blocks the next
run for ever. A real process executes a run on the PostgreSQL-backed instance and is SIGKILLed while
its step holds the slot; the next run, through ``wait_for_pools``, starts within seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from clutch_pipeline.operations.launcher import Launcher, launcher_tags
from clutch_pipeline.operations.pool_wait import job_pools, wait_for_pools
from clutch_pipeline.operations.slots import pool_states
from clutch_pipeline_tests.operations.holders import POOL, hold_nba_api_job, holding_for

ROOT = Path(__file__).resolve().parents[2]


def _start_holder(clutch_environment: dict[str, str], log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUTCH_", "DAGSTER_"))}
    env.update(clutch_environment)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "clutch_pipeline_tests.operations.holders", "600"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _run_holding_the_pool(instance: dg.DagsterInstance, process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the holder exited early:\n{log.read_text()[-2000:]}"
        for run_id in pool_states(instance, [POOL])[POOL].holders:
            launcher = Launcher.from_tags(instance.get_run_by_id(run_id).tags)
            if launcher is not None and launcher.pid == process.pid:
                return run_id
        time.sleep(0.2)
    raise TimeoutError("the holder process never took the nba_api slot")


def test_after_a_run_holding_nba_api_is_killed_the_next_run_starts_within_seconds(
    instance, clutch_environment, tmp_path
):
    process = _start_holder(clutch_environment, tmp_path / "holder.log")
    try:
        killed = _run_holding_the_pool(instance, process, tmp_path / "holder.log")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.STARTED

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
