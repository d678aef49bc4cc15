"""The run door (runs.py): the instance it opens, the runs it launches, and the main job's one-at-a-time
rule, on a real PostgreSQL."""

from __future__ import annotations

import threading

import dagster as dg
import psycopg
import pytest
from dagster._core.storage.tags import REPOSITORY_LABEL_TAG

from clutch_pipeline.db.connection import DatabaseUnreachable, DatabaseUrls, check_reachable
from clutch_pipeline.db.locks import LockScope, advisory_lock
from clutch_pipeline.jobs import schema_job
from clutch_pipeline.main_job import MainJobAlreadyRunning, only_main_job
from clutch_pipeline.runs import CODE_LOCATION, Launch, configure_pools, launch_run, open_instance
from clutch_pipeline.settings import load_settings


@pytest.fixture
def settings(tmp_path, database_url, empty_database_url):
    return load_settings(
        {
            "CLUTCH_HOME": str(tmp_path / "home"),
            "CLUTCH_DATABASE_URL": database_url,
            "CLUTCH_DAGSTER_DATABASE_URL": empty_database_url,
        }
    )


@pytest.fixture
def instance(settings):
    opened = open_instance(settings)
    yield opened
    opened.dispose()


def test_the_instance_stores_runs_in_the_dagster_database_the_settings_name(instance, empty_database_url):
    launch_run(instance, Launch(schema_job.name, "schema"))

    with psycopg.connect(empty_database_url) as conn:
        stored = conn.execute("SELECT pipeline_name FROM runs").fetchall()
    assert stored == [(schema_job.name,)]


def test_a_launched_run_works_on_the_application_database_the_settings_name(
    tmp_path, database_url, empty_database_url
):
    # The schema job's migrations land in the database the settings name, not one the environment does.
    settings = load_settings(
        {
            "CLUTCH_HOME": str(tmp_path / "home"),
            "CLUTCH_DATABASE_URL": empty_database_url,
            "CLUTCH_DAGSTER_DATABASE_URL": database_url,
        }
    )
    opened = open_instance(settings)
    try:
        launch_run(opened, Launch(schema_job.name, "schema"))
    finally:
        opened.dispose()

    with psycopg.connect(empty_database_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migrations'"
        ).fetchone()
    assert tables == (1,)


def test_a_launched_run_carries_the_code_location_its_job_is_listed_under(instance):
    report = launch_run(instance, Launch(schema_job.name, "schema"))

    run = instance.dagster.get_run_by_id(report.run_ids[0])
    assert run.remote_job_origin.location_name == CODE_LOCATION
    assert run.remote_job_origin.job_name == schema_job.name
    # The Jobs page of the UI lists a job's runs by this label.
    listed = instance.dagster.get_runs(
        dg.RunsFilter(
            job_name=schema_job.name, tags={REPOSITORY_LABEL_TAG: f"__repository__@{CODE_LOCATION}"}
        )
    )
    assert [r.run_id for r in listed] == report.run_ids


def test_a_launched_run_reports_its_materializations(instance):
    report = launch_run(instance, Launch(schema_job.name, "schema"))

    assert report.success
    assert "schema_version" in report.materialized["database_schema"]


@dg.asset
def scratch() -> None:
    """An asset of no code location."""


def test_the_code_location_is_given_only_to_the_runs_the_door_launches(instance):
    launch_run(instance, Launch(schema_job.name, "schema"))

    result = dg.materialize([scratch], instance=instance.dagster)

    assert instance.dagster.get_run_by_id(result.run_id).remote_job_origin is None


def test_pools_set_by_two_commands_at_once_do_not_collide(instance, settings):
    errors: list[BaseException] = []

    def configure() -> None:
        try:
            configure_pools(instance.dagster, {"fresh_pool": 3}, settings.database_url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=configure) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert instance.dagster.event_log_storage.get_concurrency_info("fresh_pool").slot_count == 3


def test_an_unreachable_database_is_reported_in_one_line_without_its_password():
    with pytest.raises(DatabaseUnreachable) as raised:
        check_reachable("postgresql://app:hunter2@127.0.0.1:1/clutch", timeout_seconds=2)

    message = str(raised.value)
    assert "cannot connect to PostgreSQL at postgresql://app:***@127.0.0.1:1/clutch" in message
    assert "hunter2" not in message and "\n" not in message


def test_a_second_main_job_on_the_same_database_is_refused(database_url):
    urls = DatabaseUrls(app=database_url, dagster=database_url, embedded=False)
    with psycopg.connect(database_url, autocommit=True) as holder:
        with (
            advisory_lock(holder, LockScope.MAIN_JOB, "clutch run"),
            pytest.raises(MainJobAlreadyRunning, match="another `clutch run` is running"),
            only_main_job(urls),
        ):
            pass
        with only_main_job(urls):  # free again once the first has finished
            pass
