"""Jobs, the Dagster instance the CLI uses, and the main job behind ``clutch run``.

``clutch run`` materializes the whole asset graph once, in order. Assets with different partitions
cannot share a Dagster run, so the main job is a list of steps, each one run of an asset job on the
instance in use; every step shows up in the Dagster UI like any other run. Each stage appends its step
to ``MAIN_JOB_STEPS`` as it arrives.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from clutch_pipeline.db.connection import DatabaseUrls, psycopg2_url, resolve_database_urls
from clutch_pipeline.nba.archive import SAMPLE_ARCHIVE, PlayByPlayArchive
from clutch_pipeline.nba.partitions import nba_games
from clutch_pipeline.project import project_file
from clutch_pipeline.settings import Settings, export
from clutch_pipeline.whoop.partitions import FIRST_DAY

DAGSTER_STORAGE_ENV = "CLUTCH_DAGSTER_STORAGE_URL"

schema_job = dg.define_asset_job(
    "apply_schema",
    selection=dg.AssetSelection.groups("platform"),
    description="Apply pending migrations to the application database (the database_schema asset).",
)

nba_games_job = dg.define_asset_job(
    "load_nba_games",
    selection=dg.AssetSelection.groups("nba"),
    description=(
        "Load games' play-by-play (archive, CDN or stats v3) and derive their clutch windows and player "
        "actions. A range of games is one run."
    ),
)

whoop_sync_job = dg.define_asset_job(
    "sync_whoop",
    selection=dg.AssetSelection.groups("whoop"),
    description=(
        "Sync WHOOP cycles, recoveries, sleeps and workouts of consented athletes: the partition's days, "
        "or incrementally from each device's watermark (the hourly schedule)."
    ),
)

JOBS = [schema_job, nba_games_job, whoop_sync_job]


@dataclass(frozen=True)
class MainJobStep:
    job_name: str
    title: str
    run_config: Mapping = field(default_factory=dict)
    # For partitioned jobs: the dynamic partitions to register and run, all in one run.
    partitions_def_name: str | None = None
    partition_keys: Callable[[], list[str]] | None = None
    # For time-partitioned jobs: the first and last partition key of the one run.
    partition_range: Callable[[], tuple[str, str]] | None = None
    # What must run around the step (e.g. a simulator); what it yields is reported with the step.
    around: Callable[[], AbstractContextManager[object]] | None = None


def _sample_games() -> list[str]:
    return sorted(PlayByPlayArchive(SAMPLE_ARCHIVE).game_ids())


def _sample_days() -> tuple[date, date]:
    """The days the main job simulates and syncs WHOOP data for: around the bundled games."""
    from clutch_pipeline.whoop.main_job import main_job_days

    archive = PlayByPlayArchive(SAMPLE_ARCHIVE)
    return main_job_days([archive.entry(g).game_date for g in archive.game_ids()])


def _simulated_whoop():
    from clutch_pipeline.whoop.main_job import simulated_whoop

    return simulated_whoop(*_sample_days())


MAIN_JOB_STEPS: list[MainJobStep] = [
    MainJobStep("apply_schema", "schema: apply migrations"),
    MainJobStep(
        "load_nba_games",
        "nba: load the bundled 2022-23 sample and detect clutch time",
        run_config={"ops": {"nba_games_load": {"config": {"archive_path": str(SAMPLE_ARCHIVE)}}}},
        partitions_def_name=nba_games.name,
        partition_keys=_sample_games,
    ),
    MainJobStep(
        "sync_whoop",
        "whoop: the sample's players consent (simulated) through the OAuth callback; sync their days",
        partition_range=lambda: tuple(day.isoformat() for day in _sample_days()),
        around=_simulated_whoop,
    ),
]


def whoop_day_range(since: date | None, until: date | None, today: date | None = None) -> tuple[str, str]:
    """The WHOOP day partitions of a sync: ``since``..``until`` (default today), or for an incremental
    sync (no ``since``) yesterday and today, which the hourly schedule records it against."""
    today = today or datetime.now(UTC).date()
    last = until or today
    first = since or today - timedelta(days=1)
    if first > last:
        raise ValueError(f"--since {first} is after --until {last}")
    if first < date.fromisoformat(FIRST_DAY):
        raise ValueError(f"WHOOP days start at {FIRST_DAY}")
    return first.isoformat(), last.isoformat()


@dataclass
class StepReport:
    step: MainJobStep
    run_ids: list[str]
    success: bool
    seconds: float
    materialized: dict[str, dict] = field(default_factory=dict)
    error: str | None = None
    context: object | None = None  # what the step's ``around`` yielded

    @property
    def run_id(self) -> str:
        return self.run_ids[0] if len(self.run_ids) == 1 else f"{self.run_ids[0]} (+{len(self.run_ids) - 1})"


def instance_environment(settings: Settings, urls: DatabaseUrls) -> dict[str, str]:
    """The variables a Dagster process needs to open our instance (DAGSTER_HOME, its storage URL)."""
    return {
        "DAGSTER_HOME": str(settings.dagster_home),
        DAGSTER_STORAGE_ENV: psycopg2_url(urls.dagster),
        # Dagster reads it where events are stored: in this process for CLI runs, in the processes
        # `clutch dev` starts for the others.
        "DAGSTER_EVENT_BATCH_SIZE": str(settings.dagster_event_batch_size),
    }


def prepare_instance(settings: Settings) -> tuple[dg.DagsterInstance, DatabaseUrls]:
    """Open the Dagster instance on PostgreSQL, with the project's dagster.yaml and its pool limits.

    Starts the embedded PostgreSQL first when no server is configured.
    """
    urls = resolve_database_urls(settings)
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    source = project_file("dagster.yaml")
    target = settings.dagster_home / "dagster.yaml"
    if not target.exists() or target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)
    for name, value in instance_environment(settings, urls).items():
        export(name, value)
    instance = dg.DagsterInstance.get()
    # dagster-postgres opens a new connection for every query unless told otherwise; a run executed in
    # this process records thousands of events (one per partition and asset), so keep connections
    # pooled as the webserver does: three times faster bookkeeping on a season backfill.
    instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=10)
    configure_pools(instance, settings.pool_limits)
    return instance, urls


def configure_pools(instance: dg.DagsterInstance, limits: Mapping[str, int]) -> None:
    """Set each named pool's limit (dagster.yaml can set only the default for unnamed pools)."""
    storage = instance.event_log_storage
    for pool, limit in limits.items():
        info = storage.get_concurrency_info(pool)
        if info.slot_count != limit:
            storage.set_concurrency_slots(pool, limit)


# Dagster's console logger prints every event at DEBUG; the CLI shows its own progress instead.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

EventCallback = Callable[[MainJobStep, dg.EventLogEntry], None]


def partition_runs(
    instance: dg.DagsterInstance, partitions_def_name: str, keys: list[str]
) -> list[dict[str, str]]:
    """Register ``keys`` as dynamic partitions and give the run tags that cover exactly them.

    One run over a range when the keys are contiguous in the instance's partition order (a single-run
    backfill); otherwise, rather than load games nobody asked for, one run per key.
    """
    instance.add_dynamic_partitions(partitions_def_name, keys)
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


def run_step(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    step: MainJobStep,
    on_event: EventCallback | None = None,
    launched_by: str = "clutch run",
) -> StepReport:
    """Run one step of the main job on ``instance``, reporting its events as they come."""
    started = time.perf_counter()
    runs = [{}]
    if step.partition_keys is not None and step.partitions_def_name:
        runs = partition_runs(instance, step.partitions_def_name, step.partition_keys())
    elif step.partition_range is not None:
        first, last = step.partition_range()
        runs = [{"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}]
    job = defs.resolve_job_def(step.job_name)
    report = StepReport(step, [], True, 0.0)
    with step.around() if step.around is not None else nullcontext() as context:
        report.context = context
        _run_partitions(job, instance, step, runs, report, on_event, launched_by)
    report.seconds = time.perf_counter() - started
    return report


def _run_partitions(job, instance, step, runs, report, on_event, launched_by) -> None:
    for partition_tags in runs:
        run_id = str(uuid.uuid4())
        report.run_ids.append(run_id)
        if on_event is not None:
            instance.add_event_listener(run_id, lambda entry: on_event(step, entry))
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            run_config={**QUIET_LOGS, **step.run_config},
            raise_on_error=False,
            tags={"clutch/launched_by": launched_by, **partition_tags},
        )
        for event in result.get_asset_materialization_events():
            materialization = event.step_materialization_data.materialization
            report.materialized[materialization.asset_key.to_user_string()] = {
                key: value.value for key, value in materialization.metadata.items()
            }
        if not result.success:
            failures = [e for e in result.all_events if e.is_failure]
            report.success = False
            report.error = failures[0].message if failures else "run failed"
            break
