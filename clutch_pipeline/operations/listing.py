"""What ``clutch runs`` shows: recent or unfinished runs, who executes them, which pools they hold."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from clutch_pipeline.operations.launcher import Launcher, Liveness, format_time, liveness
from clutch_pipeline.operations.slots import pool_states, pools_held, pools_waited_for

LAUNCHED_BY_TAG = "clutch/launched_by"

UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    job_name: str
    status: dg.DagsterRunStatus
    launched_by: str | None  # the CLI command, from the run's tags
    launcher: Launcher | None  # None: not launched by the CLI (the daemon, the UI)
    liveness: Liveness
    started: float | None
    ended: float | None
    pools_held: tuple[str, ...]
    pools_waited_for: tuple[str, ...]


def unfinished_runs(instance: dg.DagsterInstance) -> list[RunInfo]:
    """Every run that has not ended, newest first."""
    return _run_infos(instance, dg.RunsFilter(statuses=UNFINISHED), limit=None)


def recent_runs(instance: dg.DagsterInstance, limit: int = 20) -> list[RunInfo]:
    """The ``limit`` most recently created runs, newest first."""
    return _run_infos(instance, None, limit=limit)


def _run_infos(
    instance: dg.DagsterInstance, filters: dg.RunsFilter | None, limit: int | None
) -> list[RunInfo]:
    states = pool_states(instance)
    held, waiting = pools_held(states), pools_waited_for(states)
    infos = []
    for record in instance.get_run_records(filters=filters, limit=limit):
        run = record.dagster_run
        launcher = Launcher.from_tags(run.tags)
        infos.append(
            RunInfo(
                run_id=run.run_id,
                job_name=run.job_name,
                status=run.status,
                launched_by=run.tags.get(LAUNCHED_BY_TAG),
                launcher=launcher,
                liveness=liveness(launcher) if not run.is_finished else Liveness.UNKNOWN,
                started=record.start_time,
                ended=record.end_time,
                pools_held=held.get(run.run_id, ()),
                pools_waited_for=waiting.get(run.run_id, ()),
            )
        )
    return infos


def runs_table(runs: list[RunInfo]) -> str:
    """A plain-text table of ``runs``, one line each, for the terminal."""
    header = ("RUN ID", "JOB", "STATUS", "STARTED", "PROCESS", "POOLS")
    rows = [header] + [
        (
            run.run_id,
            run.job_name,
            run.status.value,
            format_time(run.started),
            _process(run),
            _pools(run),
        )
        for run in runs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _process(run: RunInfo) -> str:
    if run.launcher is None:
        return "daemon/UI"
    where = f"pid {run.launcher.pid}@{run.launcher.host}"
    return where if run.liveness == Liveness.UNKNOWN else f"{where} ({run.liveness.value})"


def _pools(run: RunInfo) -> str:
    parts = [f"holds {p}" for p in run.pools_held] + [f"waits for {p}" for p in run.pools_waited_for]
    return ", ".join(parts) or "-"
