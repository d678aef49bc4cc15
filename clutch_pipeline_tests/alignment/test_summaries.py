"""Daily summaries on a real database: which local date a record counts for, the columns' rules, and the
refresh flow (the queue the triggers fill, rows written only where they change, alignment queued)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from clutch_pipeline.alignment.store.summaries import queued_summary_days, refresh_daily_summaries
from clutch_pipeline.alignment.summaries import baseline_deviation, variability_index
from clutch_pipeline_tests.alignment.summary_rows import (
    at,
    athlete,
    cycle,
    delete_record,
    night,
    now,
    queued,
    recovery,
    sleep,
    summaries,
)

D = date(2024, 3, 1)


def refresh(conn, first: date, last: date | None = None):
    return refresh_daily_summaries(conn, first, last or first, started_at=now(conn))


def test_a_night_in_tokyo_counts_for_the_local_date_of_the_wake_up_not_the_utc_one(conn):
    who = athlete(conn)
    # Asleep 23:00 on Feb 29 in Tokyo (14:00 UTC), awake 07:00 on March 1 (22:00 UTC on Feb 29).
    night(conn, who, at("2024-02-29 22:00"), "+09:00", cycle_id=1)

    refresh(conn, D - timedelta(days=2), D + timedelta(days=1))

    rows = summaries(conn, who)
    assert list(rows) == [D]
    assert rows[D]["recovery_score"] == Decimal("70.00")
    assert rows[D]["day_strain"] == Decimal("12.00")
    assert rows[D]["total_sleep_minutes"] == 450
    assert rows[D]["data_completeness"] == Decimal("1.00")


def test_an_athlete_flying_east_then_west_keeps_one_row_per_local_date(conn):
    who = athlete(conn)
    # Awake at 07:00 local each morning: Los Angeles, then Tokyo from March 4, then Los Angeles from
    # March 7. The wake-ups of March 3 and 4 fall on the same UTC date, none falls on UTC March 6.
    wakes = {1: "-08:00", 2: "-08:00", 3: "-08:00", 4: "+09:00", 5: "+09:00", 6: "+09:00", 7: "-08:00"}
    for day, offset in wakes.items():
        local_wake = at(f"2024-03-{day:02d} 07:00")
        hours = -8 if offset == "-08:00" else 9
        night(conn, who, local_wake - timedelta(hours=hours), offset, cycle_id=day, hrv=50 + day)

    refresh(conn, D - timedelta(days=1), D + timedelta(days=8))

    rows = summaries(conn, who)
    assert list(rows) == [D + timedelta(days=n) for n in range(7)]
    assert [rows[day]["hrv_rmssd_avg"] for day in rows] == [Decimal(51 + n) for n in range(7)]
    assert {rows[day]["data_completeness"] for day in rows} == {Decimal("1.00")}


def test_a_baseline_of_fewer_than_14_days_gives_no_deviation_and_14_days_give_the_percentage(conn):
    who = athlete(conn)
    for n in range(15):  # March 1..14 at 50 ms, March 15 at 60 ms
        night(conn, who, at("2024-03-01 12:00") + timedelta(days=n), hrv=60 if n == 14 else 50)

    refresh(conn, D, D + timedelta(days=14))

    rows = summaries(conn, who)
    assert rows[D + timedelta(days=13)]["hrv_baseline_deviation"] is None  # 13 days before it
    assert rows[D + timedelta(days=14)]["hrv_baseline_deviation"] == Decimal("20.00")


def test_the_baseline_looks_back_30_days_and_excludes_the_day_itself(conn):
    who = athlete(conn)
    # February 29 at 500 ms (31 days before March 31: outside its window), March 1..30 at 40 ms,
    # March 31 itself at 30 ms.
    for n in range(32):
        hrv = 500 if n == 0 else 30 if n == 31 else 40
        night(conn, who, at("2024-02-29 12:00") + timedelta(days=n), hrv=hrv)

    refresh(conn, date(2024, 2, 29), date(2024, 3, 31))

    assert summaries(conn, who)[date(2024, 3, 31)]["hrv_baseline_deviation"] == Decimal("-25.00")


def test_a_nap_is_not_the_night_and_its_minutes_are_not_the_days_sleep(conn):
    who = athlete(conn)
    wake = at("2024-03-01 12:00")  # 07:00 in New York
    night(conn, who, wake, "-05:00", hours=6)  # 330 minutes asleep, performance 90
    # A longer nap the same afternoon, with its own performance.
    sleep(
        conn,
        who,
        wake + timedelta(hours=6),
        wake + timedelta(hours=8),
        "-05:00",
        nap=True,
        performance=40,
        total=110,
    )

    refresh(conn, D)

    row = summaries(conn, who)[D]
    assert row["sleep_performance_score"] == Decimal("90.00")
    assert row["total_sleep_minutes"] == 330


def test_without_a_recovery_the_main_sleep_is_the_longest_non_nap_sleep(conn):
    who = athlete(conn)
    sleep(conn, who, at("2024-03-01 04:00"), at("2024-03-01 06:00"), "-05:00", performance=30, total=110)
    sleep(conn, who, at("2024-03-01 07:00"), at("2024-03-01 13:00"), "-05:00", performance=80, total=350)

    refresh(conn, D)

    row = summaries(conn, who)[D]
    assert row["sleep_performance_score"] == Decimal("80.00")
    assert row["total_sleep_minutes"] == 460  # both are sleeps, not naps
    assert row["data_completeness"] == Decimal("0.33")  # no cycle, no recovery


def test_an_unscorable_recovery_counts_as_missing_and_a_calibrating_one_as_present(conn):
    unscorable, calibrating = athlete(conn), athlete(conn)
    for who in (unscorable, calibrating):
        sleep_id = sleep(conn, who, at("2024-03-01 04:00"), at("2024-03-01 12:00"), "-05:00")
        cycle(conn, who, 7, at("2024-03-01 04:00"), at("2024-03-02 04:00"), "-05:00")
    recovery(conn, unscorable, sleep_id, at("2024-03-01 12:00"), "-05:00", state="UNSCORABLE")
    recovery(conn, calibrating, sleep_id, at("2024-03-01 12:00"), "-05:00", calibrating=True)

    refresh(conn, D)

    assert summaries(conn, unscorable)[D]["data_completeness"] == Decimal("0.67")
    assert summaries(conn, unscorable)[D]["recovery_score"] is None
    assert summaries(conn, calibrating)[D]["data_completeness"] == Decimal("1.00")


def test_a_rescored_recovery_queues_its_day_and_its_refresh_changes_exactly_that_row(conn):
    who = athlete(conn)
    sleeps = [night(conn, who, at("2024-03-01 12:00") + timedelta(days=n), hrv=50) for n in range(3)]
    refresh(conn, D, D + timedelta(days=2))
    conn.execute("DELETE FROM wearables_changed_days")
    before = summaries(conn, who)

    recovery(conn, who, sleeps[1], at("2024-03-02 12:00"), "-05:00", hrv=80, score=95)
    assert queued(conn, "daily_summary") == [(who.device_id, D + timedelta(days=1))]
    result = refresh(conn, D + timedelta(days=1))

    after = summaries(conn, who)
    assert [day for day in after if after[day] != before[day]] == [D + timedelta(days=1)]
    assert after[D + timedelta(days=1)]["recovery_score"] == Decimal("95.00")
    assert queued(conn, "alignment") == [(who.device_id, D + timedelta(days=1))]
    assert queued(conn, "daily_summary") == []
    assert (result.rows_written, result.queued_for_alignment) == (1, 1)


def test_a_deleted_sleep_empties_its_day_or_clears_its_columns(conn):
    alone, full = athlete(conn), athlete(conn)
    lone_sleep = sleep(conn, alone, at("2024-03-01 04:00"), at("2024-03-01 12:00"), "-05:00")
    full_sleep = night(conn, full, at("2024-03-01 12:00"), cycle_id=3)
    refresh(conn, D)
    conn.execute("DELETE FROM wearables_changed_days")

    delete_record(conn, alone, "sleep", lone_sleep)
    delete_record(conn, full, "sleep", full_sleep)
    assert sorted(queued(conn, "daily_summary")) == sorted([(alone.device_id, D), (full.device_id, D)])
    result = refresh(conn, D)

    assert summaries(conn, alone) == {}
    row = summaries(conn, full)[D]
    assert (row["total_sleep_minutes"], row["sleep_performance_score"]) == (None, None)
    assert row["recovery_score"] == Decimal("70.00")  # the recovery stays, timed by its own row
    assert row["data_completeness"] == Decimal("0.67")
    assert (result.rows_deleted, result.rows_written, result.queued_for_alignment) == (1, 1, 2)


def test_a_record_whose_time_moved_queues_its_old_and_its_new_day(conn):
    who = athlete(conn)
    sleep_id = sleep(conn, who, at("2024-03-01 20:00"), at("2024-03-02 04:50"), "-05:00")  # 23:50 local
    conn.execute("DELETE FROM wearables_changed_days")

    # Re-scored: it ended at 00:20 local, on March 2.
    sleep(conn, who, at("2024-03-01 20:00"), at("2024-03-02 05:20"), "-05:00", sleep_id=sleep_id)

    assert queued(conn, "daily_summary") == [(who.device_id, D), (who.device_id, D + timedelta(days=1))]


def test_a_second_refresh_writes_nothing_and_queues_nothing(conn):
    who = athlete(conn)
    for n in range(20):
        night(conn, who, at("2024-03-01 12:00") + timedelta(days=n), hrv=40 + n % 7, cycle_id=n)
    refresh(conn, D, D + timedelta(days=19))
    conn.execute("DELETE FROM wearables_changed_days")
    stamps = {day: row["updated_at"] for day, row in summaries(conn, who).items()}

    result = refresh(conn, D, D + timedelta(days=19))

    assert (result.rows_written, result.rows_deleted, result.later_rows_updated) == (0, 0, 0)
    assert (result.rows_unchanged, result.queued_for_alignment) == (20, 0)
    assert {day: row["updated_at"] for day, row in summaries(conn, who).items()} == stamps
    assert queued(conn, "alignment") == []


def test_refreshing_a_day_updates_the_baseline_of_the_days_after_it(conn):
    who = athlete(conn)
    sleeps = [night(conn, who, at("2024-03-01 12:00") + timedelta(days=n), hrv=50) for n in range(16)]
    refresh(conn, D, D + timedelta(days=15))
    conn.execute("DELETE FROM wearables_changed_days")

    recovery(conn, who, sleeps[0], at("2024-03-01 12:00"), "-05:00", hrv=64)  # March 1: 50 -> 64 ms
    result = refresh(conn, D)

    rows = summaries(conn, who)
    assert rows[date(2024, 3, 15)]["hrv_baseline_deviation"] == Decimal("-1.96")  # 50 vs mean 51
    assert result.later_rows_updated > 0
    assert (who.device_id, date(2024, 3, 15)) in queued(conn, "alignment")


def test_queue_rows_changed_after_the_refresh_started_stay_queued(conn):
    who = athlete(conn)
    night(conn, who, at("2024-03-01 12:00"))
    started_at = now(conn)
    night(conn, who, at("2024-03-02 12:00"))  # arrives while the refresh runs

    refresh_daily_summaries(conn, D, D + timedelta(days=1), started_at=started_at)

    assert queued(conn, "daily_summary") == [(who.device_id, D + timedelta(days=1))]


def test_queued_days_are_merged_into_ranges(conn):
    one, two = athlete(conn), athlete(conn)
    night(conn, one, at("2024-03-01 12:00"))
    night(conn, two, at("2024-03-05 12:00"))  # a gap of 3 days: one range
    night(conn, two, at("2024-03-10 12:00"))  # a gap of 4 days: a range of its own

    assert queued_summary_days(conn) == [(D, date(2024, 3, 5)), (date(2024, 3, 10), date(2024, 3, 10))]


def test_the_trigger_queues_nothing_for_a_revoked_device(conn):
    who = athlete(conn, consent=False)

    night(conn, who, at("2024-03-01 12:00"), cycle_id=1)

    assert queued(conn, "daily_summary") == []


def test_a_revoked_device_gets_no_summary(conn):
    who = athlete(conn, consent=False)
    night(conn, who, at("2024-03-01 12:00"), cycle_id=1)

    refresh(conn, D)

    assert summaries(conn, who) == {}


def test_the_sql_baseline_and_variability_match_the_reference_rules_on_irregular_days(conn):
    who = athlete(conn)
    rng = random.Random(19)
    hrv = {}
    for n in range(70):
        if rng.random() < 0.75:  # about a quarter of the days without a recovery
            hrv[D + timedelta(days=n)] = round(rng.uniform(30, 90), 2)
            night(conn, who, at("2024-03-01 12:00") + timedelta(days=n), hrv=hrv[D + timedelta(days=n)])
    # Refreshed in two parts, the later part first: the earlier one must update the later baselines.
    refresh(conn, D + timedelta(days=35), D + timedelta(days=69))
    refresh(conn, D, D + timedelta(days=34))

    rows = summaries(conn, who)
    for day, row in rows.items():
        earlier = [v for d, v in hrv.items() if day - timedelta(days=30) <= d < day]
        week = [v for d, v in hrv.items() if day - timedelta(days=6) <= d <= day]
        expected = (baseline_deviation(hrv[day], earlier), variability_index(week))
        stored = (row["hrv_baseline_deviation"], row["hr_variability_index"])
        assert stored == tuple(
            None if v is None else Decimal(str(v)).quantize(Decimal("0.01")) for v in expected
        )


def test_a_day_whose_records_were_not_scored_has_a_row_of_nulls_with_completeness_zero(conn):
    who = athlete(conn)
    sleep(conn, who, at("2024-03-01 04:00"), at("2024-03-01 12:00"), "-05:00", state="UNSCORABLE")
    cycle(conn, who, 9, at("2024-03-01 04:00"), None, "-05:00", state="PENDING_SCORE")

    refresh(conn, D)

    row = summaries(conn, who)[D]
    assert row["data_completeness"] == Decimal("0.00")
    assert (row["day_strain"], row["total_sleep_minutes"], row["hrv_rmssd_avg"]) == (None, None, None)


def test_the_main_sleep_is_the_recoverys_sleep_even_when_a_longer_one_ends_the_same_day(conn):
    who = athlete(conn)
    night(conn, who, at("2024-03-01 10:00"), "-05:00", hours=5)  # performance 90, with the recovery
    sleep(conn, who, at("2024-03-01 14:00"), at("2024-03-01 20:00"), "-05:00", performance=50, total=340)

    refresh(conn, D)

    assert summaries(conn, who)[D]["sleep_performance_score"] == Decimal("90.00")
