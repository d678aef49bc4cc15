"""A sensor for ``clutch dev``'s daemon: fails this host's CLI runs whose process is gone, every minute.

Dagster's run monitoring cannot see such runs (they have no run launcher); without this they would
show as STARTED in the UI for ever and keep their pool slots. The CLI does the same before each run
it launches; this covers the time between, so the UI tells the truth while nobody runs the CLI.
"""

from __future__ import annotations

import socket

import dagster as dg

from clutch_pipeline.operations.dead_runs import fail_dead_runs


@dg.sensor(
    name="fail_dead_cli_runs",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Runs by default. Every minute, marks failed the runs launched by the clutch CLI on this host "
        "whose process is gone (killed or crashed), and frees their concurrency pool slots."
    ),
)
def fail_dead_cli_runs(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    dead = fail_dead_runs(context.instance)
    for run in dead:
        context.log.warning(run.describe())
    if not dead:
        return dg.SkipReason(f"no run launched by the CLI on {socket.gethostname()} has lost its process")
    return dg.SkipReason(
        f"failed {len(dead)} run(s) whose process is gone: " + "; ".join(r.describe() for r in dead)
    )
