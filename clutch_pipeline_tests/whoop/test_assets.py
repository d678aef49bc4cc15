"""The WHOOP assets and the hourly schedule, run the documented Dagster ways against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import psycopg
import pytest

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.definitions import defs
from clutch_pipeline.settings import load_settings
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.assets import whoop_sync
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline.whoop.resources import WhoopResource
from clutch_pipeline.whoop.schedules import whoop_hourly_sync
from clutch_pipeline.whoop.tokens import cipher_from_settings
from clutch_pipeline_tests.whoop.athletes import add_player, consent_through_oauth
from clutch_pipeline_tests.whoop.conftest import (
    LEBRON,
    REDIRECT_URI,
    TATUM,
    WHOOP_CLIENT_ID,
    WHOOP_CLIENT_SECRET,
)


@pytest.fixture
def simulator(make_whoop_simulator):
    """On real time: every simulated record of January 2023 is long scored."""
    return make_whoop_simulator(clock=utc_now)


@pytest.fixture
def consented(database_url, simulator) -> list[int]:
    """Tatum and LeBron authorized through the OAuth flow, with the keys the resource will use."""
    app = WhoopApp(
        base_url=simulator.base_url,
        client_id=WHOOP_CLIENT_ID,
        client_secret=WHOOP_CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        cipher=cipher_from_settings(load_settings()),
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        for person_id in (TATUM, LEBRON):
            add_player(conn, person_id)
            consent_through_oauth(conn, app, simulator, person_id)
    return [TATUM, LEBRON]


def resources(database_url, simulator) -> dict:
    return {
        "postgres": PostgresResource(database_url=database_url),
        "whoop": WhoopResource(
            base_url=simulator.base_url, client_id=WHOOP_CLIENT_ID, client_secret=WHOOP_CLIENT_SECRET
        ),
    }


def test_a_day_partition_syncs_that_day_for_every_consented_device(database_url, simulator, consented):
    result = dg.materialize(
        [whoop_sync], partition_key="2023-01-05", resources=resources(database_url, simulator)
    )
    assert result.success
    metadata = {
        m.asset_key.to_user_string(): m.metadata for m in result.asset_materializations_for_node("whoop_sync")
    }
    assert set(metadata) == {"whoop_cycles", "whoop_recoveries", "whoop_sleeps", "whoop_workouts"}
    sleeps = metadata["whoop_sleeps"]
    assert sleeps["devices_synced"].value == 2 and sleeps["records_fetched"].value >= 2
    assert sleeps["window"].value == "2023-01-05T00:00:00+00:00 .. 2023-01-06T00:00:00+00:00"
    assert sleeps["run_totals"].value["requests_left_today"] < 10_000
    starts = (
        psycopg.connect(database_url)
        .execute(
            "SELECT min(record_start), max(record_start) FROM wearables_raw_records"
            " WHERE record_type = 'cycle'"
        )
        .fetchone()
    )
    assert starts[0] >= datetime(2023, 1, 5, tzinfo=UTC) and starts[1] < datetime(2023, 1, 6, tzinfo=UTC)


def test_each_asset_reports_its_own_record_types_figures_and_the_run_totals_once(
    database_url, simulator, consented
):
    result = dg.materialize(
        [whoop_sync], partition_key="2023-01-05", resources=resources(database_url, simulator)
    )
    metadata = {
        m.asset_key.to_user_string(): {k: v.value for k, v in m.metadata.items()}
        for m in result.asset_materializations_for_node("whoop_sync")
    }
    with psycopg.connect(database_url) as conn:
        stored = dict(
            conn.execute("SELECT r.record_type, count(*) FROM wearables_raw_records r GROUP BY 1").fetchall()
        )
        readings = dict(
            conn.execute("SELECT source_record_type, count(*) FROM wearables_readings GROUP BY 1").fetchall()
        )
    for asset, record_type in [
        ("whoop_cycles", "cycle"),
        ("whoop_recoveries", "recovery"),
        ("whoop_sleeps", "sleep"),
        ("whoop_workouts", "workout"),
    ]:
        figures = metadata[asset]
        assert figures["records_changed"] == stored[record_type], asset
        assert figures["readings_written"] == readings[record_type], asset
        # Seconds are rounded to hundredths: a fast fetch of a few records shows 0.0.
        assert figures["requests_spent"] >= 2 and figures["fetch_seconds"] >= 0, asset
        assert figures["run_totals"] == metadata["whoop_cycles"]["run_totals"]
    totals = metadata["whoop_cycles"]["run_totals"]
    assert totals["records_changed"] == sum(stored.values())
    assert totals["readings_written"] == sum(readings.values())
    assert totals["requests_spent"] == sum(totals["requests_spent_by_kind"].values())
    assert "requests_left_today" not in metadata["whoop_sleeps"]  # the run's, not the asset's


def test_a_subset_syncs_only_the_selected_record_types(database_url, simulator, consented):
    result = dg.materialize(
        [whoop_sync],
        selection=["whoop_sleeps"],
        partition_key="2023-01-05",
        resources=resources(database_url, simulator),
    )
    assert result.success
    assert simulator.count("/v2/cycle") == 0 and simulator.count("/v2/activity/sleep") == 2


def test_the_config_can_name_one_player(database_url, simulator, consented):
    lebron = simulator.athlete(LEBRON).user_id
    before = simulator.count(user_id=lebron)  # his consent's profile call
    result = dg.materialize(
        [whoop_sync],
        partition_key="2023-01-05",
        resources=resources(database_url, simulator),
        run_config={"ops": {"whoop_sync": {"config": {"players": [TATUM]}}}},
    )
    assert result.success
    assert simulator.count(user_id=lebron) == before


def test_a_partition_range_is_one_run(database_url, simulator, consented):
    result = defs.resolve_job_def("sync_whoop").execute_in_process(
        resources=resources(database_url, simulator),
        tags={
            "dagster/asset_partition_range_start": "2023-01-03",
            "dagster/asset_partition_range_end": "2023-01-09",
        },
    )
    assert result.success
    with psycopg.connect(database_url) as conn:
        days = conn.execute(
            "SELECT count(DISTINCT record_start::date) FROM wearables_raw_records WHERE record_type = 'cycle'"
        ).fetchone()[0]
    assert days >= 6


def test_the_hourly_schedule_skips_when_no_device_is_due(database_url):
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2023, 1, 17, 12, 7, tzinfo=UTC),
        resources={"postgres": PostgresResource(database_url=database_url)},
    )
    assert isinstance(whoop_hourly_sync(context), dg.SkipReason)


def test_the_hourly_schedule_makes_one_incremental_run_for_all_due_devices(
    database_url, simulator, consented
):
    with psycopg.connect(database_url) as conn:
        (tatum,) = store.syncable_devices(conn, [TATUM])
        store.set_sync_status(conn, tatum.device_id, "success", datetime(2023, 1, 17, 12, 0, tzinfo=UTC))
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2023, 1, 17, 12, 7, tzinfo=UTC),
        resources={"postgres": PostgresResource(database_url=database_url)},
    )
    request = whoop_hourly_sync(context)
    assert isinstance(request, dg.RunRequest)
    assert request.tags["clutch/due_devices"] == "1"  # LeBron; Tatum synced 7 minutes ago
    assert request.tags["dagster/asset_partition_range_start"] == "2023-01-16"
    assert request.tags["dagster/asset_partition_range_end"] == "2023-01-17"
    assert request.run_config["ops"]["whoop_sync"]["config"]["incremental"] is True


def test_the_schedule_targets_the_sync_job_of_the_definitions():
    assert defs.get_schedule_def("whoop_hourly_sync").job_name == "sync_whoop"
