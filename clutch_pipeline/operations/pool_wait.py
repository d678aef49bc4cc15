"""Waiting for a pool slot before a run starts: asleep, saying what it waits for, and freeing dead runs.

Dagster 1.13's in-process executor, when a step's pool has no free slot, loops without sleeping until
one frees: ``InstanceConcurrencyContext.interval_to_next_pending_claim_check``
(dagster/_core/execution/plan/instance_concurrency_context.py:162) returns ``min([0, ...])``, never
more than 0, so ``ActiveExecution.sleep_til_ready`` (active.py:369) never sleeps and the loop of
``inner_plan_execution_iterator`` (execute_plan.py:59-66) spins at full CPU, printing nothing. Ctrl-C
and SIGTERM do not stop it either: Dagster holds interrupts back until a step executes.

Hence the CLI waits here first, before it creates the run, saying what for; and
``make_dagster_pool_waits_sleep`` makes Dagster's own loop nap and heed Ctrl-C, for a slot another run
takes between our wait and the step's claim."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from types import SimpleNamespace

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.execution.plan.active import ActiveExecution
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext

from clutch_pipeline.operations.dead_runs import fail_dead_runs
from clutch_pipeline.operations.launcher import Launcher, format_time
from clutch_pipeline.operations.slots import PoolState, pool_states


class PoolWaitTimeout(TimeoutError):
    pass


def job_pools(job: dg.JobDefinition) -> set[str]:
    """The concurrency pools the steps of ``job`` take a slot of."""
    return set(job.graph.pools)


def wait_for_pools(
    instance: dg.DagsterInstance,
    pools: Iterable[str],
    out: Callable[[str], None],
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    poll_seconds: float = 2.0,
    report_seconds: float = 60.0,
    timeout_seconds: float | None = None,
) -> None:
    """Return once every pool in ``pools`` has a free slot; meanwhile sleep and say who holds them.

    Each check first fails this host's runs whose process is gone (``fail_dead_runs``), so a slot
    left by a killed run is freed at once. What is waited for is said when it changes and every
    ``report_seconds``; ``PoolWaitTimeout`` after ``timeout_seconds`` (default: wait as long as it takes).
    """
    pools = sorted(set(pools))
    started = clock()
    said, said_at = None, started
    while True:
        for dead in fail_dead_runs(instance):
            out(dead.describe())
        blocked = [state for state in pool_states(instance, pools).values() if state.free == 0]
        if not blocked:
            return
        message = "; ".join(_waiting_for(instance, state) for state in blocked)
        now = clock()
        if message != said or now - said_at >= report_seconds:
            waited = f" (waiting {now - started:.0f} s so far)" if message == said else ""
            out(message + waited)
            said, said_at = message, now
        if timeout_seconds is not None and now - started >= timeout_seconds:
            raise PoolWaitTimeout(f"gave up after {timeout_seconds:.0f} s: {message}")
        sleep(poll_seconds)


def _waiting_for(instance: dg.DagsterInstance, state: PoolState) -> str:
    if not state.holders:
        raise ValueError(f"pool {state.pool} has a limit of {state.limit}: no step in it can ever run")
    records = instance.get_run_records(dg.RunsFilter(run_ids=list(state.holders)))
    holders = ", ".join(_holder(r) for r in records) or ", ".join(state.holders)
    slots = "its only slot" if state.limit == 1 else f"its {state.limit} slots"
    return (
        f"waiting for pool {state.pool}: {slots} held by {holders}. A run that will never end "
        f"frees its slot with `clutch runs cancel RUN_ID`"
    )


def _holder(record: dg.RunRecord) -> str:
    run = record.dagster_run
    launcher = Launcher.from_tags(run.tags)
    process = f"pid {launcher.pid} on host {launcher.host}" if launcher else "not launched by the CLI"
    return f"run {run.run_id} ({run.job_name}, {process}, since {format_time(record.start_time)})"


# ---------------------------------------------------------------------------------------------------
# Dagster's own wait

NAP_SECONDS = 0.5
_dagster_sleep_til_ready = ActiveExecution.sleep_til_ready


def _sleep_til_ready(self: ActiveExecution) -> None:
    """Dagster's pause between two looks at the steps it may start: a nap while a step is blocked on a
    pool (Dagster's own claim backoff still decides when the database is asked again), and the end of
    the run on Ctrl-C or SIGTERM, which Dagster otherwise holds back until a step executes."""
    if self.check_for_interrupts():
        raise DagsterExecutionInterruptedError("interrupted while waiting for a concurrency pool slot")
    concurrency = self._instance_concurrency_context
    if concurrency is not None and concurrency.has_pending_claims():
        time.sleep(NAP_SECONDS)
    else:
        _dagster_sleep_til_ready(self)


def _dagster_spins() -> bool:
    """Whether Dagster's wait for a claim due in a minute is 0 (then its in-process executor spins)."""
    method = InstanceConcurrencyContext.interval_to_next_pending_claim_check
    probe = SimpleNamespace(_pending_claims={"step"}, _pending_timeouts={"step": time.time() + 60})
    return method(probe) <= 0


def make_dagster_pool_waits_sleep() -> bool:
    """Make Dagster's in-process executor sleep while a step waits for a pool slot, and stop on Ctrl-C.

    Replaces ``ActiveExecution.sleep_til_ready`` in this process, only while Dagster's
    ``interval_to_next_pending_claim_check`` is the version that never lets it sleep (checked on a
    probe, so a fixed Dagster is left alone). Idempotent. True when this process's runs now sleep.
    """
    if ActiveExecution.sleep_til_ready is _sleep_til_ready or not _dagster_spins():
        return True
    ActiveExecution.sleep_til_ready = _sleep_til_ready
    return True
