"""``clutch runs cancel RUN_ID``: the way out for a run that will never end by itself.

A run is canceled and its pool slots freed when nothing executes it any more. A run whose process is
alive, or cannot be checked (another host's, or one the CLI did not launch), is left alone unless the
user insists (``force``): its process would go on using the API beside the next run.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from clutch_pipeline.operations.launcher import Launcher, Liveness, liveness
from clutch_pipeline.operations.slots import pool_states, pools_held


class RunNotFound(LookupError):
    pass


class CancelRefused(Exception):
    """The run's process may still be executing it; the message says how to stop it."""


@dataclass(frozen=True)
class Cancellation:
    run_id: str
    job_name: str
    status: dg.DagsterRunStatus  # before
    pools_freed: tuple[str, ...]
    marked_canceled: bool  # False when the run had ended already

    def describe(self) -> str:
        done = "canceled" if self.marked_canceled else f"had already ended ({self.status.value})"
        freed = f"; freed its slot in {', '.join(self.pools_freed)}" if self.pools_freed else ""
        return f"run {self.run_id} ({self.job_name}) {done}{freed}"


def cancel_run(instance: dg.DagsterInstance, run_id: str, force: bool = False) -> Cancellation:
    """Mark ``run_id`` canceled and free its slots; refuse, unless ``force``, while it may be running."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise RunNotFound(f"no run {run_id} in this Dagster instance (`clutch runs` lists them)")
    pools = pools_held(pool_states(instance)).get(run_id, ())
    if run.is_finished:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        return Cancellation(run_id, run.job_name, run.status, pools, marked_canceled=False)
    launcher = Launcher.from_tags(run.tags)
    state = liveness(launcher) if run.status != dg.DagsterRunStatus.QUEUED else Liveness.GONE
    if state != Liveness.GONE and not force:
        raise CancelRefused(_refusal(run, launcher, state))
    reason = {
        Liveness.GONE: "nothing executes it any more",
        Liveness.ALIVE: f"its process ({launcher.describe() if launcher else '?'}) still ran (--force)",
        Liveness.UNKNOWN: "its process could not be checked from this host (--force)",
    }[state]
    instance.report_run_canceled(run, f"Canceled with `clutch runs cancel`: {reason}.")
    instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    return Cancellation(run_id, run.job_name, run.status, pools, marked_canceled=True)


def _refusal(run: dg.DagsterRun, launcher: Launcher | None, state: Liveness) -> str:
    if launcher is None:
        return (
            f"Run {run.run_id} was not launched by the clutch CLI, so whether it still runs cannot be "
            "checked from here. Terminate it from the Dagster UI, or cancel it with --force."
        )
    if state == Liveness.UNKNOWN:
        return (
            f"Run {run.run_id} runs on host {launcher.host} (pid {launcher.pid}), which cannot be checked "
            f"from here. Stop it there, or cancel it with --force if you know that process is gone."
        )
    return (
        f"Run {run.run_id} ({run.job_name}) is still running: {launcher.describe()}. Stop that process "
        f"(Ctrl-C in its terminal, or `kill {launcher.pid}`) and the run ends by itself; --force marks it "
        "canceled and frees its slots while that process goes on."
    )
