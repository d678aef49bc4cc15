"""A run that holds the ``nba_api`` pool: as a real process (``python -m`` this module) or as recorded
state on an instance, for the tests of dead CLI runs.

Run as a module, it opens the instance `clutch` opens (runs.open_instance, from the CLUTCH_* variables
it is given) and executes ``hold_nba_api_job`` with the CLI's launcher tags; its one step takes the
only ``nba_api`` slot and sleeps until the process is killed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import psutil

from clutch_pipeline.operations.launcher import Launcher, launcher_tags
from clutch_pipeline.operations.pool_wait import make_dagster_pool_waits_sleep
from clutch_pipeline.runs import open_instance
from clutch_pipeline.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
POOL = "nba_api"
STEP = "hold_nba_api"


@dg.op(pool=POOL, config_schema={"seconds": dg.Field(float, default_value=0.0)})
def hold_nba_api(context) -> None:
    context.log.info(f"holding the {POOL} slot for {context.op_config['seconds']} s")
    time.sleep(context.op_config["seconds"])


@dg.job
def hold_nba_api_job():
    hold_nba_api()


def holding_for(seconds: float) -> dict:
    return {"ops": {STEP: {"config": {"seconds": seconds}}}}


def started_run(instance: dg.DagsterInstance, tags: dict[str, str], *, holds: bool = True) -> str:
    """A STARTED run of ``hold_nba_api_job`` with ``tags``, holding (or queued for) the nba_api slot,
    as its process leaves it on the instance; the run id."""
    run = instance.create_run_for_job(hold_nba_api_job, tags=tags)
    instance.report_dagster_event(
        dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, job_name=run.job_name), run_id=run.run_id
    )
    status = instance.event_log_storage.claim_concurrency_slot(POOL, run.run_id, STEP)
    assert status.is_claimed == holds, f"expected the slot to be {'free' if holds else 'taken'}"
    return run.run_id


def gone_launcher() -> Launcher:
    """A process of this host that existed and has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    launcher = Launcher(socket.gethostname(), process.pid, psutil.Process(process.pid).create_time())
    process.kill()
    process.wait()
    return launcher


def reused_pid_launcher() -> Launcher:
    """A launcher whose pid is alive today, but in a process that started an hour after the launcher."""
    current = Launcher.current()
    return Launcher(current.host, current.pid, current.started - 3600)


def other_host_launcher() -> Launcher:
    return Launcher("another-host.example", psutil.Process().pid, Launcher.current().started)


def start_process(clutch_environment: dict[str, str], seconds: float, log: Path) -> subprocess.Popen:
    """This module as a process of its own: a CLI run of ``hold_nba_api_job`` on the given instance."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUTCH_", "DAGSTER_"))}
    env.update(clutch_environment)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "clutch_pipeline_tests.operations.holders", str(seconds)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def run_of_process(
    instance: dg.DagsterInstance, process: subprocess.Popen, log: Path, *, queued: bool
) -> str:
    """The run ``process`` executes, once it holds (or, ``queued``, waits for) the nba_api slot."""
    from clutch_pipeline.operations.slots import pool_states

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the process exited early:\n{log.read_text()[-2000:]}"
        state = pool_states(instance, [POOL])[POOL]
        for run_id in state.queued if queued else state.holders:
            launcher = Launcher.from_tags(instance.get_run_by_id(run_id).tags)
            if launcher is not None and launcher.pid == process.pid:
                return run_id
        time.sleep(0.2)
    raise TimeoutError(f"the process never {'queued for' if queued else 'took'} the {POOL} slot")


if __name__ == "__main__":
    make_dagster_pool_waits_sleep()  # as the CLI does before it launches runs
    instance = open_instance(load_settings()).dagster
    hold_nba_api_job.execute_in_process(
        instance=instance, run_config=holding_for(float(sys.argv[1])), tags=launcher_tags()
    )
