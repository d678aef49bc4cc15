"""Operating runs: telling dead CLI runs from live ones, freeing what they hold, waiting for pools.

A run the CLI executes in its own process (``execute_in_process``) has no run launcher behind it, so
Dagster's run monitoring never checks it: if the process is killed, the run stays STARTED and keeps its
pool slots for ever. The CLI tags every run it launches with its process (``launcher_tags``); from
those tags ``fail_dead_runs`` tells a run whose process is gone, marks it failed and frees its slots.
"""

from clutch_pipeline.operations.cancel import Cancellation, CancelRefused, RunNotFound, cancel_run
from clutch_pipeline.operations.dead_runs import DeadRun, fail_dead_runs
from clutch_pipeline.operations.launcher import launcher_tags
from clutch_pipeline.operations.listing import RunInfo, recent_runs, runs_table, unfinished_runs
from clutch_pipeline.operations.pool_wait import (
    PoolWaitTimeout,
    job_pools,
    make_dagster_pool_waits_sleep,
    wait_for_pools,
)
from clutch_pipeline.operations.sensors import fail_dead_cli_runs

__all__ = [
    "CancelRefused",
    "Cancellation",
    "DeadRun",
    "PoolWaitTimeout",
    "RunInfo",
    "RunNotFound",
    "cancel_run",
    "fail_dead_cli_runs",
    "fail_dead_runs",
    "job_pools",
    "launcher_tags",
    "make_dagster_pool_waits_sleep",
    "recent_runs",
    "runs_table",
    "unfinished_runs",
    "wait_for_pools",
]
