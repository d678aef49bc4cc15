"""The WHOOP day benchmark's KPI lines (benchmarks/whoop_budget_day.py), on hand-made rows: the long
simulated day is not run here, only the code it ends with."""

import importlib.util
from datetime import date, timedelta

import pytest

from clutch_pipeline.project import project_file
from clutch_pipeline_tests.kpis import rows
from clutch_pipeline_tests.kpis.rows import at

DAY = date(2022, 11, 16)


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location(
        "whoop_budget_day", project_file("benchmarks/whoop_budget_day.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_moves_wall_clock_fetches_onto_the_simulated_clock_and_reports_the_day_s_kpis(
    bench, conn
):
    who = rows.athlete(conn, consented_at=at("2022-11-15 12:00"))
    rows.athlete(conn, consented_at=at("2022-11-15 12:00"))  # no recovery: missing, no data from WHOOP
    received = at("2022-11-16 13:00")
    rows.webhook(conn, who, "recovery.updated", "s1", received_at=received, planned_at=received)
    since = bench.wall_now(conn)
    rows.record(
        conn,
        who,
        "sleep",
        "s1",
        updated_at=received,
        fetched_at=since + timedelta(seconds=1),
        start=at("2022-11-16 05:00"),
        end=at("2022-11-16 12:58"),
        offset="-05:00",
    )
    rows.record(
        conn,
        who,
        "recovery",
        "s1",
        updated_at=received,
        fetched_at=since + timedelta(seconds=1),
        start=at("2022-11-16 12:58"),
    )
    conn.execute(
        "INSERT INTO wearables_readings (device_id, player_id, source_record_type, source_record_id,"
        " reading_timestamp, metric_type, metric_value)"
        " VALUES (%s, %s, 'recovery', 's1', %s, 'recovery_score', 70)",
        (who.device_id, who.player_id, at("2022-11-16 12:58")),
    )
    assert bench.stamp_fetches(conn, since, received + timedelta(minutes=3)) == 2
    kpis = bench.day_kpis(conn, DAY, at("2022-11-17 00:00"))
    assert kpis["wearables_uptime"].value == pytest.approx(0.5)
    assert kpis["sync_latency_median_minutes"].value == pytest.approx(3.0)
    latency, uptime = bench.kpi_lines(kpis)
    # The recovery through its webhook, the sleep (no sleep.updated event) from WHOOP's updated_at.
    assert "median 3.0 min, p95 3.0 min over 2 (timed_webhook 1, timed_record 1" in latency
    assert "0.500 of 2 athletes" in uptime and "no_data_from_whoop 1" in uptime
