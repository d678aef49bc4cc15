"""Our Dagster instance's event log: planned materializations written in one statement, with the same
outcome as dagster-postgres storing them one by one (per-partition progress and failure in the UI)."""

import dagster as dg
import pytest

from clutch_pipeline.db.dagster_event_log import PostgresEventLogStorageWithPlannedBatches
from clutch_pipeline.runs import open_instance
from clutch_pipeline.settings import load_settings

LETTERS = dg.StaticPartitionsDefinition(["a", "b", "c"])
RANGE = {"dagster/asset_partition_range_start": "a", "dagster/asset_partition_range_end": "c"}


@dg.asset(partitions_def=LETTERS, backfill_policy=dg.BackfillPolicy.single_run())
def letters(context: dg.AssetExecutionContext) -> None:
    context.log.info(f"{len(context.partition_keys)} partitions")


@dg.asset(partitions_def=LETTERS, backfill_policy=dg.BackfillPolicy.single_run())
def broken_letters() -> None:
    raise RuntimeError("this asset always fails")


@pytest.fixture
def instance(tmp_path, database_url, empty_database_url):
    """The instance `clutch run` opens (the project's dagster.yaml), its storage in an empty database."""
    settings = load_settings(
        {
            "CLUTCH_HOME": str(tmp_path / "home"),
            "CLUTCH_DATABASE_URL": database_url,
            "CLUTCH_DAGSTER_DATABASE_URL": empty_database_url,
        }
    )
    opened = open_instance(settings)
    yield opened.dagster
    opened.dispose()


def _planned(instance: dg.DagsterInstance, asset: dg.AssetsDefinition) -> list[dg.EventLogRecord]:
    return list(
        instance.get_event_records(
            dg.EventRecordsFilter(
                event_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, asset_key=asset.key
            )
        )
    )


def test_the_project_instance_uses_the_batching_event_log(instance):
    assert isinstance(instance.event_log_storage, PostgresEventLogStorageWithPlannedBatches)


def test_a_run_over_a_range_records_one_planned_event_per_partition(instance):
    result = dg.materialize([letters], instance=instance, tags=RANGE)

    planned = _planned(instance, letters)
    assert sorted(r.partition_key for r in planned) == ["a", "b", "c"]
    assert {r.run_id for r in planned} == {result.run_id}


def test_planned_events_are_stored_as_one_batch(instance, capfd):
    dg.materialize([letters], instance=instance, tags=RANGE)

    # Dagster falls back to storing a batch event by event when the storage's batch write raises, and
    # says so on stderr only: the same rows would be there, by the slow path.
    assert "Exception while storing event batch" not in capfd.readouterr().err


def test_the_asset_record_names_the_run_that_planned_it(instance):
    result = dg.materialize([letters], instance=instance, tags=RANGE, raise_on_error=False)

    (record,) = instance.get_asset_records([letters.key])
    assert record.asset_entry.last_run_id == result.run_id


def test_partitions_of_a_failed_run_show_as_failed(instance):
    result = dg.materialize([broken_letters], instance=instance, tags=RANGE, raise_on_error=False)

    assert not result.success
    statuses = instance.get_status_by_partition(broken_letters.key, ["a", "b", "c"], LETTERS)
    assert statuses == dict.fromkeys("abc", dg.AssetPartitionStatus.FAILED)


def test_partitions_of_a_successful_run_show_as_materialized(instance):
    dg.materialize([letters], instance=instance, tags=RANGE)

    statuses = instance.get_status_by_partition(letters.key, ["a", "b", "c"], LETTERS)
    assert statuses == dict.fromkeys("abc", dg.AssetPartitionStatus.MATERIALIZED)
