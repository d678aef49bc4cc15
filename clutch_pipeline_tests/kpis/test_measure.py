"""The KPI arithmetic on hand-made rows: no database."""

from datetime import date, timedelta

import pytest

from clutch_pipeline.kpis.measure import (
    AthleteDay,
    KpiFigure,
    PageTiming,
    PublishedModel,
    SyncEvent,
    check_summary,
    model_quality,
    page_load,
    sync_latency,
    uptime,
)
from clutch_pipeline_tests.kpis.rows import at

DAY = date(2024, 3, 1)


def test_uptime_is_the_share_of_consented_athletes_scored_and_counts_each_missing_reason():
    athletes = [
        AthleteDay(DAY, True),
        AthleteDay(DAY, True),
        AthleteDay(DAY, True),
        AthleteDay(DAY, False, needs_reauthorization=True, in_error=True),
        AthleteDay(DAY, False, in_error=True, recovery_states=("PENDING_SCORE",)),
        AthleteDay(DAY, False, recovery_states=("PENDING_SCORE",)),
        AthleteDay(DAY, False, recovery_states=("UNSCORABLE",)),
        AthleteDay(DAY, False),
        AthleteDay(DAY + timedelta(days=1), False),  # another day: not counted
    ]
    figure = uptime(DAY, athletes)
    assert figure.value == pytest.approx(3 / 8)
    assert figure.sample_size == 8
    assert figure.detail["missing"] == {
        "needs_reauthorization": 1,
        "error": 1,
        "pending": 1,
        "unscorable": 1,
        "no_data_from_whoop": 1,
    }
    assert figure.meets_target is False


def test_uptime_of_a_day_not_over_or_without_athletes_is_not_measured():
    assert uptime(DAY, [AthleteDay(DAY, True)], day_over=False).value is None
    empty = uptime(DAY, [])
    assert (empty.value, empty.meets_target, empty.detail["reason"]) == (None, None, "no consented athlete")


def test_sync_latency_times_webhook_and_polled_events_of_the_day_and_counts_the_untimed():
    start = at("2024-03-01 10:00")
    events = [
        SyncEvent("webhook", start, start + timedelta(minutes=1), True),
        SyncEvent("webhook", start, start + timedelta(minutes=2), True),
        SyncEvent("record", start, start + timedelta(minutes=3)),
        SyncEvent("record", start, start + timedelta(minutes=60)),
        SyncEvent("webhook", start, None, True),  # planned: record unchanged, or fetched again later
        SyncEvent("webhook", start, None, False),  # still waiting
        SyncEvent("record", start - timedelta(days=1), start),  # the day before: not this day's
        SyncEvent("record", start, None),  # pending: its updated_at dates no change
    ]
    median, p95 = sync_latency(DAY, events)
    assert median.value == pytest.approx(2.5)
    assert p95.value == pytest.approx(51.45)  # linear: rank 0.95 * 3 = 2.85, 3 + 0.85 * (60 - 3)
    assert median.sample_size == p95.sample_size == 4
    assert median.detail == {
        "timed_webhook": 2,
        "timed_record": 2,
        "webhook_planned_untimed": 1,
        "webhook_waiting": 1,
        "record_pending_untimed": 1,
        "p95_minutes_by_type": {"": 51.45},
    }
    assert median.meets_target and not p95.meets_target


def test_sync_latency_without_a_timed_event_is_not_measured():
    figures = sync_latency(DAY, [SyncEvent("webhook", at("2024-03-01 10:00"), None, False)])
    assert [f.value for f in figures] == [None, None]
    assert figures[0].detail["webhook_waiting"] == 1


def _published(version: str, when: str, rmse: float, sign: float | None) -> PublishedModel:
    return PublishedModel(
        version,
        at(when),
        {
            "test_rows": 20,
            "model": {"rmse": rmse, "poe_sign_accuracy": sign, "poe_sign_rows": 18},
            "player_mean_baseline": {"rmse": 10.0, "poe_sign_accuracy": 0.55},
        },
    )


def test_model_quality_is_the_model_in_use_at_the_day_s_end_beside_the_previous_one_and_the_baseline():
    models = [
        _published("v1", "2024-02-01 12:00", 9.0, 0.60),
        _published("v2", "2024-03-01 23:00", 7.5, 0.72),
        _published("v3", "2024-03-02 01:00", 12.0, 0.40),  # published after the day
    ]
    rmse, sign = model_quality(DAY, models)
    assert (rmse.value, sign.value, rmse.sample_size, sign.sample_size) == (7.5, 0.72, 20, 18)
    assert rmse.meets_target and sign.meets_target
    assert rmse.detail["model_version"] == "v2"
    assert rmse.detail["previous"] == {"model_version": "v1", "rmse": 9.0, "poe_sign_accuracy": 0.60}
    assert rmse.detail["baseline"] == {"rmse": 10.0, "poe_sign_accuracy": 0.55}


def test_model_quality_without_a_published_model_or_a_poe_sign_is_not_measured():
    assert [f.value for f in model_quality(DAY, [])] == [None, None]
    rmse, sign = model_quality(DAY, [_published("v1", "2024-02-01 12:00", 9.0, None)])
    assert (rmse.value, sign.value, sign.detail["reason"]) == (9.0, None, "no POE-sign rows")
    assert rmse.detail["previous"] is None


def test_page_load_is_not_measured_on_a_day_without_a_player_page_served():
    figure = page_load(DAY, [PageTiming(at("2024-02-29 23:59"), 0.2)])
    assert (figure.value, figure.meets_target, figure.detail) == (
        None,
        None,
        {"reason": "no player page served that day"},
    )


def test_page_load_is_the_p95_of_the_day_s_player_pages_with_the_median_beside_it():
    timings = [PageTiming(at("2024-03-01 10:00") + timedelta(minutes=i), 0.1 * (i + 1)) for i in range(20)]
    timings.append(PageTiming(at("2024-03-02 00:00"), 99.0))  # the next day: not counted
    figure = page_load(DAY, timings)
    assert (figure.value, figure.sample_size) == (pytest.approx(1.905), 20)
    assert figure.detail["statistic"] == "p95" and figure.detail["median_seconds"] == pytest.approx(1.05)
    assert figure.meets_target
    slow = page_load(DAY, [*timings, *(PageTiming(at("2024-03-01 12:00"), 3.0) for _ in range(5))])
    assert slow.value > 2 and slow.meets_target is False


def test_a_check_fails_below_target_with_the_figure_and_the_target_and_passes_when_not_measured():
    passed, text = check_summary(KpiFigure(DAY, "wearables_uptime", 0.9))
    assert not passed and "0.9" in text and "at least 0.95" in text
    assert check_summary(KpiFigure(DAY, "sync_latency_p95_minutes", 4.0))[0]
    passed, text = check_summary(page_load(DAY, []))
    assert passed and text.startswith("not measured") and "no player page served that day" in text
    assert check_summary(None) == (True, "not measured: no row in kpi_daily")
