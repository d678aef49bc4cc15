"""The one door through which the CLI, the main job and benchmarks launch Dagster runs.

Opening the instance (the project's ``dagster.yaml`` on our PostgreSQL, pool limits set), launching an
asset job over exactly the partitions asked for, and reporting what it materialized all happen here.
Runs execute in this process (``execute_in_process``), so a command's progress and its failure are the
user's terminal's; they are recorded in the instance like any other run and carry the code location
``clutch_pipeline``, so the UI lists them under their job and on the Overview timeline.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import yaml
from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME
from dagster._core.remote_origin import (
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from clutch_pipeline.db.connection import (
    DatabaseUrls,
    check_reachable,
    connect,
    psycopg2_url,
    resolve_database_urls,
)
from clutch_pipeline.db.locks import LockScope, advisory_lock
from clutch_pipeline.operations import job_pools, launcher_tags, make_dagster_pool_waits_sleep, wait_for_pools
from clutch_pipeline.project import project_file
from clutch_pipeline.settings import Settings

log = logging.getLogger(__name__)

DEFINITIONS_MODULE = "clutch_pipeline.definitions"
CODE_LOCATION = "clutch_pipeline"  # as workspace.yaml and [tool.dagster] name it

# Dagster's console logger prints every event at DEBUG; the CLI shows its own progress instead.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

EventCallback = Callable[[dg.EventLogEntry], None]


# ---------------------------------------------------------------------------------------------------
# The instance


def dagster_environment(settings: Settings, urls: DatabaseUrls) -> dict[str, str]:
    """The environment of the Dagster processes ``clutch dev`` starts: what Dagster reads only from the
    environment (its home, how many events it stores per INSERT), and the database URLs this process
    resolved, so that those processes join the server it keeps running instead of resolving their own."""
    return {
        "DAGSTER_HOME": str(settings.dagster_home),
        "DAGSTER_EVENT_BATCH_SIZE": str(settings.dagster_event_batch_size),
        "CLUTCH_HOME": str(settings.clutch_home),
        "CLUTCH_DATABASE_URL": urls.app,
        "CLUTCH_DAGSTER_DATABASE_URL": urls.dagster,
    }


def _set_what_dagster_reads_from_this_process_environment(settings: Settings) -> None:
    """The one write to ``os.environ`` in the package: Dagster reads ``DAGSTER_EVENT_BATCH_SIZE`` from the
    environment of the process that stores a run's events, and nowhere else. For runs executed in this
    process that is us."""
    os.environ["DAGSTER_EVENT_BATCH_SIZE"] = str(settings.dagster_event_batch_size)


def _storage_overrides(dagster_yaml: Path, urls: DatabaseUrls) -> dict:
    """The three storages of ``dagster.yaml`` with the Dagster database this process resolved, so the
    settings handed to ``open_instance`` win over the process environment. (Dagster replaces a whole
    section with its override: each keeps its module and class.)"""
    config = yaml.safe_load(dagster_yaml.read_text())
    url = psycopg2_url(urls.dagster)
    return {
        name: {**config[name], "config": {**(config[name].get("config") or {}), "postgres_url": url}}
        for name in ("run_storage", "event_log_storage", "schedule_storage")
    }


@dataclass(frozen=True)
class OpenInstance:
    """The Dagster instance ``clutch`` opened, with the databases and settings it was opened for: every
    run launched on it uses those (its resources are built from them, not from the environment)."""

    dagster: dg.DagsterInstance
    urls: DatabaseUrls
    settings: Settings

    def resources(self) -> dict[str, object]:
        from clutch_pipeline.db.resources import PostgresResource
        from clutch_pipeline.definitions import build_resources

        return {**build_resources(self.settings), "postgres": PostgresResource(database_url=self.urls.app)}

    def dispose(self) -> None:
        self.dagster.dispose()


def open_instance(settings: Settings) -> OpenInstance:
    """Open the Dagster instance on PostgreSQL with the project's ``dagster.yaml`` and its pool limits.

    Starts the embedded PostgreSQL first when no server is configured; an unreachable server raises
    ``DatabaseUnreachable`` with one line to show, before Dagster's own retries begin.
    """
    from dagster._core.instance.ref import InstanceRef

    urls = resolve_database_urls(settings)
    check_reachable(urls.app)
    check_reachable(urls.dagster)
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    source, target = project_file("dagster.yaml"), settings.dagster_home / "dagster.yaml"
    if not target.exists() or target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)
    _set_what_dagster_reads_from_this_process_environment(settings)
    overrides = _storage_overrides(target, urls)
    ref = InstanceRef.from_dir(str(settings.dagster_home), overrides=overrides)
    # Dagster creates its tables the first time its storages open a database; two commands starting
    # at once on a fresh one would both try: they take turns.
    with connect(urls.app, autocommit=True) as conn, advisory_lock(conn, LockScope.SCHEMA, "dagster-storage"):
        instance = dg.DagsterInstance.from_ref(ref)
        instance.run_storage.has_run("")  # opens every storage now, inside the lock
        instance.event_log_storage.get_concurrency_keys()
        instance.schedule_storage.all_instigator_state()
    # dagster-postgres opens a new connection for every query unless told otherwise; a run executed in
    # this process records thousands of events (one per partition and asset), so keep connections
    # pooled as the webserver does: three times faster bookkeeping on a season backfill.
    instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=10)
    configure_pools(instance, settings.pool_limits, urls.app)
    return OpenInstance(instance, urls, settings)


def configure_pools(instance: dg.DagsterInstance, limits: Mapping[str, int], app_url: str) -> None:
    """Set each named pool's limit (dagster.yaml can set only the default for unnamed pools).

    Two commands starting at once would both insert a new pool's slots (a unique violation): they take
    turns on an advisory lock.
    """
    storage = instance.event_log_storage
    with connect(app_url, autocommit=True) as conn, advisory_lock(conn, LockScope.SCHEMA, "dagster-pools"):
        for pool, limit in limits.items():
            if storage.get_concurrency_info(pool).slot_count != limit:
                storage.set_concurrency_slots(pool, limit)


# ---------------------------------------------------------------------------------------------------
# Launching


@dataclass(frozen=True)
class Launch:
    """One asset job over some partitions: what a command asks the door to run."""

    job_name: str
    title: str
    run_config: Mapping = field(default_factory=dict)
    # Dynamic partitions to register and run, all in one run where they are contiguous.
    partitions_def_name: str | None = None
    partition_keys: tuple[str, ...] = ()
    # Time partitions: the first and last key of the one run.
    partition_range: tuple[str, str] | None = None
    # One partition of a static or time partitions definition (an NBA season).
    partition_key: str | None = None
    # Resources in place of the definitions' own for this run (e.g. WHOOP pointed at a simulator);
    # handed over as objects, so nothing of them is written to the run's stored config.
    resources: Mapping[str, object] = field(default_factory=dict)


@dataclass
class RunReport:
    launch: Launch
    run_ids: list[str]
    success: bool
    seconds: float
    materialized: dict[str, dict] = field(default_factory=dict)
    error: str | None = None

    @property
    def run_id(self) -> str:
        return self.run_ids[0] if len(self.run_ids) == 1 else f"{self.run_ids[0]} (+{len(self.run_ids) - 1})"

    def facts(self) -> dict[str, str]:
        """Each materialized asset with its plain figures, for a terminal."""
        return {
            asset: ", ".join(f"{k}={v}" for k, v in metadata.items() if isinstance(v, int | float | str))
            for asset, metadata in self.materialized.items()
        }


def partition_runs(
    instance: dg.DagsterInstance, partitions_def_name: str, keys: tuple[str, ...] | list[str]
) -> list[dict[str, str]]:
    """Register ``keys`` as dynamic partitions and give the run tags that cover exactly them.

    One run over a range when the keys are contiguous in the instance's partition order (a single-run
    backfill); otherwise, rather than load games nobody asked for, one run per key.
    """
    instance.add_dynamic_partitions(partitions_def_name, list(keys))
    order = instance.get_dynamic_partitions(partitions_def_name)
    wanted = set(keys)
    positions = sorted(order.index(k) for k in wanted)
    if positions and positions[-1] - positions[0] + 1 == len(wanted):
        return [
            {
                "dagster/asset_partition_range_start": order[positions[0]],
                "dagster/asset_partition_range_end": order[positions[-1]],
            }
        ]
    return [{"dagster/partition": key} for key in keys]


def _partition_tags(instance: dg.DagsterInstance, launch: Launch) -> list[dict[str, str]]:
    if launch.partition_keys and launch.partitions_def_name:
        return partition_runs(instance, launch.partitions_def_name, launch.partition_keys)
    if launch.partition_key is not None:
        return [{"dagster/partition": launch.partition_key}]
    if launch.partition_range is not None:
        first, last = launch.partition_range
        return [{"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}]
    return [{}]


def launch_run(
    opened: OpenInstance,
    launch: Launch,
    on_event: EventCallback | None = None,
    launched_by: str = "clutch",
    on_wait: Callable[[str], None] = log.info,
) -> RunReport:
    """Run ``launch`` on the instance in this process, reporting its events as they come; stops at the
    first failed run when it takes several.

    Each run carries this process's host, pid and start time (``operations.launcher_tags``), so that if
    the process is killed the run can be told dead and its pool slots freed. Before a run starts, the
    door waits asleep for its pools, saying through ``on_wait`` which run holds them, and frees the
    slots of runs whose process is gone (``operations.wait_for_pools``): Dagster's own wait spins.
    """
    from clutch_pipeline.definitions import defs

    make_dagster_pool_waits_sleep()
    started = time.perf_counter()
    instance = opened.dagster
    job = defs.resolve_job_def(launch.job_name)
    resources = {**opened.resources(), **launch.resources}
    report = RunReport(launch, [], True, 0.0)
    for partition_tags in _partition_tags(instance, launch):
        run_id = str(uuid.uuid4())
        report.run_ids.append(run_id)
        if on_event is not None:
            instance.add_event_listener(run_id, on_event)
        wait_for_pools(instance, job_pools(job), on_wait)
        with runs_created_in_code_location(instance, launch.job_name):
            result = job.execute_in_process(
                instance=instance,
                run_id=run_id,
                run_config={**QUIET_LOGS, **launch.run_config},
                raise_on_error=False,
                tags={**launcher_tags(), "clutch/launched_by": launched_by, **partition_tags},
                resources=resources,
            )
        _collect(report, result)
        if not result.success:
            break
    report.seconds = time.perf_counter() - started
    return report


def _collect(report: RunReport, result: dg.ExecuteInProcessResult) -> None:
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        # Plots (markdown images) are for the UI, not a terminal.
        report.materialized[materialization.asset_key.to_user_string()] = {
            key: value.value
            for key, value in materialization.metadata.items()
            if not isinstance(value, dg.MarkdownMetadataValue)
        }
    if not result.success:
        failures = [e for e in result.all_events if e.is_failure]
        report.success = False
        report.error = failures[0].message if failures else "run failed"


def code_location_origin(job_name: str) -> RemoteJobOrigin:
    """Where the UI finds ``job_name``: the code location ``workspace.yaml`` loads. A run carrying it is
    listed on the job's page and on the Overview timeline; a run without one only in the Runs list."""
    location = ManagedGrpcPythonEnvCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(
            executable_path=sys.executable, module_name=DEFINITIONS_MODULE
        ),
        location_name=CODE_LOCATION,
    )
    return RemoteJobOrigin(RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME), job_name)


@contextmanager
def runs_created_in_code_location(instance: dg.DagsterInstance, job_name: str) -> Iterator[None]:
    """Runs created on ``instance`` during the block carry the code location of ``job_name``.

    ``execute_in_process`` creates its run without an origin and offers no way to give one; it creates
    the run through ``instance.create_run_for_job``, which accepts one. For the block, that call on this
    instance (and only it) passes the origin.
    """
    create = instance.create_run_for_job
    origin = code_location_origin(job_name)

    def create_with_origin(*args, **kwargs):
        kwargs.setdefault("remote_job_origin", origin)
        return create(*args, **kwargs)

    instance.create_run_for_job = create_with_origin
    try:
        yield
    finally:
        del instance.create_run_for_job


# ---------------------------------------------------------------------------------------------------
# What the commands launch


def whoop_sync_launch(players: list[int], days: tuple[str, str], *, incremental: bool) -> Launch:
    """``sync_whoop`` over the UTC days ``days``: the days themselves, or incrementally from each
    device's watermark (recorded against those days, as the hourly schedule does)."""
    from clutch_pipeline.jobs import whoop_sync_job
    from clutch_pipeline.whoop.assets import whoop_sync

    title = f"whoop: sync {'incrementally' if incremental else f'{days[0]} .. {days[1]}'}"
    config = {"players": players, "incremental": incremental}
    return Launch(
        whoop_sync_job.name,
        title,
        run_config={"ops": {whoop_sync.op.name: {"config": config}}},
        partition_range=days,
    )


def nba_games_launch(title: str, games: list[str] | tuple[str, ...], op_config: Mapping) -> Launch:
    """``load_nba_games`` over exactly ``games`` (registered as partitions), in one run where they are
    contiguous."""
    from clutch_pipeline.jobs import nba_games_job
    from clutch_pipeline.nba.assets import nba_games_load
    from clutch_pipeline.nba.partitions import nba_games

    return Launch(
        nba_games_job.name,
        title,
        run_config={"ops": {nba_games_load.op.name: {"config": dict(op_config)}}},
        partitions_def_name=nba_games.name,
        partition_keys=tuple(games),
    )


def backfill_launch(plan) -> Launch:
    """The one run of a season backfill planned by ``nba.backfill.plan_backfill``."""
    return Launch(
        plan.job_name,
        plan.title,
        run_config=plan.run_config,
        partitions_def_name=plan.partitions_def_name,
        partition_keys=tuple(plan.games),
    )


def summaries_launch(days: tuple[str, str]) -> Launch:
    """``refresh_daily_summaries`` over the athletes' local days ``days`` (first, last), one run."""
    from clutch_pipeline.alignment.partitions import SUMMARIES_JOB

    return Launch(SUMMARIES_JOB, f"alignment: daily summaries {days[0]} .. {days[1]}", partition_range=days)


def alignment_launch(season: str, *, all_games: bool = False) -> Launch:
    """``align_clutch_games`` for one season: the games that need it (or all), then its features."""
    from clutch_pipeline.alignment.partitions import ALIGNMENT_JOB, ALIGNMENT_OP

    return Launch(
        ALIGNMENT_JOB,
        f"alignment: align and score {season}" + (" (every game)" if all_games else ""),
        run_config={"ops": {ALIGNMENT_OP: {"config": {"all_games": all_games}}}},
        partition_key=season,
    )


def model_launch(*, backtest: bool, seasons: list[str] | tuple[str, ...] = ()) -> Launch:
    """``fit_clutch_model``: fit, check, publish, predict (or, with ``backtest``, predict the last day)."""
    from clutch_pipeline.jobs import model_job
    from clutch_pipeline.model.assets import MODEL_ASSET

    title = "model: backtest on the last day" if backtest else "model: fit, check, publish, predict"
    config = {"backtest": backtest, "seasons": list(seasons)}
    return Launch(model_job.name, title, run_config={"ops": {MODEL_ASSET: {"config": config}}})
