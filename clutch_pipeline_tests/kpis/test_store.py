"""The KPIs from real tables: which athletes, events and models count, and kpi_daily written once per
(day, kpi)."""

from datetime import date, timedelta

import pytest

from clutch_pipeline.kpis import store
from clutch_pipeline.kpis.refresh import compute, refresh_kpis
from clutch_pipeline_tests.kpis import rows
from clutch_pipeline_tests.kpis.rows import at

DAY = date(2024, 3, 1)
BEFORE = at("2024-02-01 00:00")


def _by_kpi(figures, day=DAY):
    return {f.kpi: f for f in figures if f.day == day}


def test_uptime_counts_consented_athletes_by_their_summary_and_says_why_the_others_are_missing(conn):
    scored = rows.athlete(conn, consented_at=BEFORE)
    rows.summary(conn, scored, DAY, 64)
    rows.athlete(conn, consented_at=BEFORE, needs_reauthorization_at=at("2024-02-28 00:00"))
    rows.athlete(conn, consented_at=BEFORE, sync_status="error")
    pending = rows.athlete(conn, consented_at=BEFORE)
    rows.record(
        conn,
        pending,
        "recovery",
        "sleep-1",
        updated_at=at("2024-03-01 07:00"),
        fetched_at=at("2024-03-01 07:01"),
        state="PENDING_SCORE",
    )
    no_data = rows.athlete(conn, consented_at=BEFORE)
    rows.summary(conn, no_data, DAY, None)  # a summary without recovery (a sleep only) is not "in"
    rows.athlete(conn, consented_at=at("2024-03-02 09:00"))  # consented after the day
    rows.athlete(conn, consented_at=BEFORE, consent=False)  # revoked: his data are gone
    figure = _by_kpi(compute(conn, DAY, DAY, now=at("2024-03-05 00:00")))["wearables_uptime"]
    assert (figure.value, figure.sample_size) == (pytest.approx(0.2), 5)
    assert figure.detail["missing"] == {
        "needs_reauthorization": 1,
        "error": 1,
        "pending": 1,
        "unscorable": 0,
        "no_data_from_whoop": 1,
    }


def test_sync_latency_matches_webhooks_to_their_records_and_times_the_rest_from_whoop_s_updated_at(conn):
    who = rows.athlete(conn, consented_at=BEFORE)
    ten = at("2024-03-01 10:00")
    minute = timedelta(minutes=1)
    rows.webhook(conn, who, "sleep.updated", "s1", received_at=ten, planned_at=ten)
    rows.record(conn, who, "sleep", "s1", updated_at=ten - minute, fetched_at=ten + 2 * minute)
    rows.webhook(conn, who, "recovery.updated", "s1", received_at=ten, planned_at=ten)
    rows.record(conn, who, "recovery", "s1", updated_at=ten - minute, fetched_at=ten + 4 * minute)
    rows.record(conn, who, "cycle", "99", updated_at=ten, fetched_at=ten + 30 * minute)  # no webhook
    rows.record(conn, who, "cycle", "98", updated_at=BEFORE - minute, fetched_at=ten)  # history, pre-consent
    # A current cycle, pending since it began: its payload changed, its updated_at did not.
    rows.record(
        conn, who, "cycle", "97", updated_at=ten, fetched_at=ten + 600 * minute, state="PENDING_SCORE"
    )
    # Two events of one workout, the first fetched before the second came: only the second is timed.
    rows.webhook(
        conn, who, "workout.updated", "w1", received_at=ten + 60 * minute, planned_at=ten + 61 * minute
    )
    rows.webhook(
        conn, who, "workout.updated", "w1", received_at=ten + 70 * minute, planned_at=ten + 71 * minute
    )
    rows.record(conn, who, "workout", "w1", updated_at=ten + 69 * minute, fetched_at=ten + 72 * minute)
    rows.webhook(conn, who, "sleep.updated", "s2", received_at=ten)  # not planned, nothing fetched yet
    found = _by_kpi(compute(conn, DAY, DAY, now=at("2024-03-05 00:00")))
    median, p95 = found["sync_latency_median_minutes"], found["sync_latency_p95_minutes"]
    assert (median.value, median.sample_size) == (pytest.approx(3.0), 4)  # 2, 2, 4, 30
    assert p95.value == pytest.approx(4 + 0.85 * 26)
    assert median.detail == {
        "timed_webhook": 3,
        "timed_record": 1,
        "webhook_planned_untimed": 1,
        "webhook_waiting": 1,
        "record_pending_untimed": 1,
        "p95_minutes_by_type": {"cycle": 30.0, "recovery": 4.0, "sleep": 2.0, "workout": 2.0},
    }


def test_model_kpis_read_published_runs_only_beside_the_previous_published_one(conn):
    rows.model_run(conn, "v1", published_at=at("2024-02-01 12:00"), figures=rows.holdout(9.0, 0.6))
    rows.model_run(conn, "v2", published_at=at("2024-02-20 12:00"), figures=rows.holdout(7.0, 0.75))
    rows.model_run(conn, "v3-failed", published_at=None, figures=rows.holdout(5.0, 0.9))
    rows.model_run(
        conn,
        "v4-backtest",
        published_at=at("2024-02-25 12:00"),
        figures=rows.holdout(6.0, 0.8),
        purpose="backtest",
    )
    assert [m.model_version for m in store.published_models(conn)] == ["v1", "v2"]
    found = _by_kpi(compute(conn, DAY, DAY, now=at("2024-03-05 00:00")))
    assert (found["model_rmse"].value, found["poe_sign_accuracy"].value) == (7.0, 0.75)
    assert found["model_rmse"].detail["previous"]["model_version"] == "v1"


def test_refresh_writes_one_row_per_day_and_kpi_and_a_second_run_replaces_them(conn):
    now = at("2024-03-03 12:00")
    refresh_kpis(conn, 3, now=now)
    refresh_kpis(conn, 3, now=now)
    stored = store.read_figures(conn, date(2024, 3, 1), date(2024, 3, 3))
    assert len(stored) == 3 * 6
    page = [f for f in stored if f.kpi == "page_load_seconds"]
    assert {f.detail["reason"] for f in page} == {"no player page served that day"}
    nulls = conn.execute("SELECT count(*) FROM kpi_daily WHERE value IS NULL AND meets_target IS NULL")
    assert nulls.fetchone()[0] == 3 * 6  # nothing to measure in an empty database, and honest about it


def test_page_load_reads_the_player_page_s_timings_of_each_day(conn):
    for served_at, page, seconds in [
        ("2024-03-01 09:00", "player", 0.4),
        ("2024-03-01 10:00", "player", 0.6),
        ("2024-03-01 11:00", "game", 9.0),  # another page: not the KPI's
        ("2024-03-02 09:00", "player", 2.5),
    ]:
        conn.execute(
            "INSERT INTO page_timings (page, served_at, seconds) VALUES (%s, %s, %s)",
            (page, at(served_at), seconds),
        )
    figures = compute(conn, DAY, DAY + timedelta(days=1), now=at("2024-03-03 00:00"))
    first, second = (f for f in figures if f.kpi == "page_load_seconds")
    assert (first.sample_size, first.meets_target, second.value, second.meets_target) == (2, True, 2.5, False)
    assert first.value == pytest.approx(0.59)
