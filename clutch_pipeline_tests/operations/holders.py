"""A run that holds the ``nba_api`` pool: as a real process (``python -m`` this module) or as recorded
state on an instance, for the tests of dead CLI runs.

Run as a module, it opens the instance `clutch` opens (prepare_instance, from the CLUTCH_* variables
it is given) and executes ``hold_nba_api_job`` with the CLI's launcher tags; its one step takes the
only ``nba_api`` slot and sleeps until the process is killed.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import dagster as dg
import psutil

from clutch_pipeline.jobs import prepare_instance
from clutch_pipeline.operations.launcher import Launcher, launcher_tags
from clutch_pipeline.settings import load_settings

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


if __name__ == "__main__":
    instance, _ = prepare_instance(load_settings())
    hold_nba_api_job.execute_in_process(
        instance=instance, run_config=holding_for(float(sys.argv[1])), tags=launcher_tags()
    )
