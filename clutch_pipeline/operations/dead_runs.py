"""Runs launched by the CLI whose process is gone: marked failed, and their pool slots freed.

Dagster's run monitoring asks a run launcher whether a run's worker lives; a run the CLI executes in
its own process has none, so when that process is killed the run stays STARTED and keeps its slots,
and every later run of the same pool waits for ever. The CLI tags its runs with their process
(``launcher_tags``); a run whose process is gone cannot finish, so it is failed here, with a message in
its event log saying why, and whatever it held or queued for in a pool is released.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import dagster as dg

from clutch_pipeline.operations.launcher import HOST_TAG, Launcher, Liveness, liveness
from clutch_pipeline.operations.slots import pool_states, pools_held, pools_waited_for

# The statuses of a run that a CLI process executes and has not ended (QUEUED runs wait for the daemon).
EXECUTING = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


@dataclass(frozen=True)
class DeadRun:
    """A run whose process is gone, and what was done about it."""

    run_id: str
    job_name: str
    launcher: Launcher
    status: dg.DagsterRunStatus  # before it was failed
    pools_freed: tuple[str, ...]
    marked_failed: bool  # False when it had ended already and only its slots were left over

    def describe(self) -> str:
        done = "marked failed" if self.marked_failed else f"already {self.status.value}"
        freed = f", freed its slot in {', '.join(self.pools_freed)}" if self.pools_freed else ""
        gone = f"its process is gone ({self.launcher.describe()})"
        return f"run {self.run_id} ({self.job_name}): {gone}; {done}{freed}"


def fail_dead_runs(instance: dg.DagsterInstance, host: str | None = None) -> list[DeadRun]:
    """Fail this host's CLI runs whose process is gone, and free their pool slots.

    Runs of other hosts, and runs the CLI did not launch, are left alone: their processes cannot be
    looked at from here.
    """
    host = host or socket.gethostname()
    states = pool_states(instance)
    held = pools_held(states)
    in_pools = set(held) | set(pools_waited_for(states))
    runs = {r.run_id: r for r in instance.get_runs(dg.RunsFilter(statuses=EXECUTING, tags={HOST_TAG: host}))}
    if in_pools - set(runs):
        pooled = instance.get_runs(dg.RunsFilter(run_ids=sorted(in_pools - set(runs)), tags={HOST_TAG: host}))
        runs.update((r.run_id, r) for r in pooled)
    dead = []
    for run in runs.values():
        launcher = Launcher.from_tags(run.tags)
        if launcher is not None and liveness(launcher, host) == Liveness.GONE:
            dead.append(bury_run(instance, run, launcher, held.get(run.run_id, ())))
    return dead


def bury_run(
    instance: dg.DagsterInstance, run: dg.DagsterRun, launcher: Launcher, pools: tuple[str, ...]
) -> DeadRun:
    """Fail ``run`` (unless it has ended) with a message naming its lost process; free its slots."""
    current = instance.get_run_by_id(run.run_id) or run
    failing = current.status in EXECUTING
    if failing:
        freeing = f" Its slots in pool {', '.join(pools)} were freed." if pools else ""
        instance.report_run_failed(
            current,
            f"The process executing this run is gone ({launcher.describe()}): it was killed or crashed "
            f"before it could record the run's end. Marked failed by clutch.{freeing}",
        )
    # Also drops the run's queued steps, which would otherwise be handed the next free slot.
    instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    return DeadRun(run.run_id, run.job_name, launcher, current.status, pools, failing)
