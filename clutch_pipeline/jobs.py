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
from dataclasses import dataclass, field

import dagster as dg

from clutch_pipeline.db.connection import DatabaseUrls, psycopg2_url, resolve_database_urls
from clutch_pipeline.project import project_file
from clutch_pipeline.settings import Settings, export

DAGSTER_STORAGE_ENV = "CLUTCH_DAGSTER_STORAGE_URL"

schema_job = dg.define_asset_job(
    "apply_schema",
    selection=dg.AssetSelection.groups("platform"),
    description="Apply pending migrations to the application database (the database_schema asset).",
)

JOBS = [schema_job]


@dataclass(frozen=True)
class MainJobStep:
    job_name: str
    title: str
    run_config: Mapping = field(default_factory=dict)


MAIN_JOB_STEPS: list[MainJobStep] = [
    MainJobStep("apply_schema", "schema: apply migrations"),
]


@dataclass
class StepReport:
    step: MainJobStep
    run_id: str
    success: bool
    seconds: float
    materialized: dict[str, dict] = field(default_factory=dict)
    error: str | None = None


def instance_environment(settings: Settings, urls: DatabaseUrls) -> dict[str, str]:
    """The variables a Dagster process needs to open our instance (DAGSTER_HOME, its storage URL)."""
    return {"DAGSTER_HOME": str(settings.dagster_home), DAGSTER_STORAGE_ENV: psycopg2_url(urls.dagster)}


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


def run_step(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    step: MainJobStep,
    on_event: EventCallback | None = None,
) -> StepReport:
    """Run one step of the main job as its own run on ``instance``, reporting its events as they come."""
    run_id = str(uuid.uuid4())
    if on_event is not None:
        instance.add_event_listener(run_id, lambda entry: on_event(step, entry))
    started = time.perf_counter()
    result = defs.resolve_job_def(step.job_name).execute_in_process(
        instance=instance,
        run_id=run_id,
        run_config={**QUIET_LOGS, **step.run_config},
        raise_on_error=False,
        tags={"clutch/launched_by": "clutch run"},
    )
    report = StepReport(step, run_id, result.success, time.perf_counter() - started)
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        report.materialized[materialization.asset_key.to_user_string()] = {
            key: value.value for key, value in materialization.metadata.items()
        }
    if not result.success:
        failures = [e for e in result.all_events if e.is_failure]
        report.error = failures[0].message if failures else "run failed"
    return report
