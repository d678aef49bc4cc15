"""SQL of the daily summaries: ``wearables_daily_summary`` recomputed from the readings for a range of
local dates, for every device at once, and the queue of days to refresh (``wearables_changed_days``).

Set-based: a handful of statements per refresh whatever the number of athletes or days. The rules (which
day a record belongs to, the main sleep, the baseline) are in docs/daily-summaries.md; the numbers come
from ``alignment/summaries.py``. Everything runs in the caller's transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import psycopg

from clutch_pipeline.alignment.summaries import (
    BASELINE_DAYS,
    BASELINE_MIN_DAYS,
    EXPECTED_RECORDS,
    VARIABILITY_DAYS,
    VARIABILITY_MIN_DAYS,
    SummaryRefresh,
    merge_day_ranges,
    refreshed_span,
)

# Records whose local day may fall in first..last start at most this long before first (a sleep of up
# to two days ending at the start of first in UTC+14) or after last (a cycle counts twelve hours after
# its start, in UTC-12).
_BEFORE = timedelta(days=3)
_AFTER = timedelta(days=2)

# Each record of the range with its local day (the rule of wearables_local_day, sql/013, with the
# record's timezone_offset; a recovery takes its sleep's; unknown: UTC) and what ranks it in its day.
# The payloads are read once per record (`raw`); `o` is then the record's partner: a recovery's sleep,
# a sleep's recovery (both are named by the sleep's id).
_RECORDS = """
CREATE TEMP TABLE summary_records ON COMMIT DROP AS
WITH raw AS MATERIALIZED (
    SELECT r.device_id, r.player_id, r.record_type, r.record_id, r.record_start, r.record_end,
           r.record_type = 'sleep' AND r.payload->'nap' = 'true'::jsonb AS nap,
           wearables_payload_offset(r.payload) AS utc_offset
    FROM wearables_raw_records r
    JOIN wearables_devices d ON d.device_id = r.device_id AND d.consent_granted
    WHERE r.record_start >= %(lo)s AND r.record_start < %(hi)s
), located AS MATERIALIZED (
    SELECT c.device_id, c.player_id, c.record_type, c.record_id, c.record_start, c.nap,
           -- a sleep that has a recovery; a recovery whose sleep is stored and is no nap
           o.record_id IS NOT NULL AND (c.record_type = 'sleep' OR NOT o.nap) AS paired,
           CASE c.record_type WHEN 'sleep' THEN c.record_end - c.record_start
                              WHEN 'recovery' THEN o.record_end - o.record_start END AS sleep_length,
           wearables_local_day(c.record_type, c.record_start, c.record_end,
               coalesce(c.utc_offset,
                        CASE WHEN c.record_type = 'recovery' THEN o.utc_offset END,
                        -- a recovery whose sleep is gone: the sleep's offset its readings carry
                        (SELECT make_interval(mins => g.timezone_offset) FROM wearables_readings g
                         WHERE c.record_type = 'recovery' AND g.device_id = c.device_id
                           AND g.source_record_type = 'recovery' AND g.source_record_id = c.record_id
                           AND g.timezone_offset IS NOT NULL
                         LIMIT 1),
                        interval '0')) AS day
    FROM raw c
    LEFT JOIN raw o
           ON o.device_id = c.device_id AND o.record_id = c.record_id
          AND o.record_type = CASE c.record_type WHEN 'sleep' THEN 'recovery' WHEN 'recovery' THEN 'sleep' END
)
SELECT * FROM located WHERE day BETWEEN %(first)s AND %(last)s
"""

# The readings a summary uses, one row per record (only SCORED records have readings).
_VALUES = """
CREATE TEMP TABLE summary_values ON COMMIT DROP AS
SELECT c.*, v.hrv, v.resting_hr, v.recovery_score, v.day_strain, v.sleep_performance,
       v.sleep_efficiency, v.respiratory_rate, v.total_minutes, v.rem_minutes, v.deep_minutes,
       -- the main sleep: the recovery's non-nap sleep, else the longest non-nap sleep of the day
       c.record_type = 'sleep' AND NOT c.nap AND row_number() OVER (
           PARTITION BY c.device_id, c.day, c.record_type, c.nap
           ORDER BY c.paired DESC, c.sleep_length DESC NULLS LAST, c.record_id) = 1 AS main_sleep,
       -- the recovery (of the main sleep) and the cycle (started last) that give the day's scores
       row_number() OVER (
           PARTITION BY c.device_id, c.day, c.record_type
           ORDER BY coalesce(v.recovery_score, v.day_strain) IS NOT NULL DESC, c.paired DESC,
                    c.sleep_length DESC NULLS LAST, c.record_start DESC, c.record_id) = 1 AS chosen
FROM summary_records c
LEFT JOIN (
    SELECT device_id, source_record_type, source_record_id,
           max(metric_value) FILTER (WHERE metric_type = 'hrv_rmssd') AS hrv,
           max(metric_value) FILTER (WHERE metric_type = 'resting_heart_rate') AS resting_hr,
           max(metric_value) FILTER (WHERE metric_type = 'recovery_score') AS recovery_score,
           max(metric_value) FILTER (WHERE metric_type = 'day_strain') AS day_strain,
           max(metric_value) FILTER (WHERE metric_type = 'sleep_performance') AS sleep_performance,
           max(metric_value) FILTER (WHERE metric_type = 'sleep_efficiency') AS sleep_efficiency,
           max(metric_value) FILTER (WHERE metric_type = 'respiratory_rate') AS respiratory_rate,
           max(metric_value) FILTER (WHERE metric_type = 'sleep_total_minutes') AS total_minutes,
           max(metric_value) FILTER (WHERE metric_type = 'sleep_rem_minutes') AS rem_minutes,
           max(metric_value) FILTER (WHERE metric_type = 'sleep_deep_minutes') AS deep_minutes
    FROM wearables_readings
    WHERE reading_timestamp >= %(lo)s AND reading_timestamp < %(hi)s
      AND source_record_type IN ('cycle', 'recovery', 'sleep')
      AND metric_type IN ('hrv_rmssd', 'resting_heart_rate', 'recovery_score', 'day_strain',
                          'sleep_performance', 'sleep_efficiency', 'respiratory_rate',
                          'sleep_total_minutes', 'sleep_rem_minutes', 'sleep_deep_minutes')
    GROUP BY 1, 2, 3
) v ON v.device_id = c.device_id AND v.source_record_type = c.record_type AND v.source_record_id = c.record_id
"""

# One row per device and local day that has at least one record, rounded as the table stores it (so
# that comparing with the stored row is exact). The two derived columns are filled in afterwards.
_FRESH = """
CREATE TEMP TABLE summary_fresh ON COMMIT DROP AS
SELECT device_id, player_id, day AS summary_date,
       round(avg(hrv) FILTER (WHERE record_type = 'recovery'), 2) AS hrv_rmssd_avg,
       round(min(hrv) FILTER (WHERE record_type = 'recovery'), 2) AS hrv_rmssd_min,
       round(max(hrv) FILTER (WHERE record_type = 'recovery'), 2) AS hrv_rmssd_max,
       NULL::numeric AS hrv_baseline_deviation,
       round(avg(resting_hr) FILTER (WHERE record_type = 'recovery'), 2) AS resting_hr_avg,
       round(min(resting_hr) FILTER (WHERE record_type = 'recovery'), 2) AS resting_hr_min,
       NULL::numeric AS hr_variability_index,
       round(max(day_strain) FILTER (WHERE record_type = 'cycle' AND chosen), 2) AS day_strain,
       round(max(recovery_score) FILTER (WHERE record_type = 'recovery' AND chosen), 2) AS recovery_score,
       round(max(sleep_performance) FILTER (WHERE main_sleep), 2) AS sleep_performance_score,
       round(sum(total_minutes) FILTER (WHERE record_type = 'sleep' AND NOT nap))::int AS total_sleep_minutes,
       round(sum(rem_minutes) FILTER (WHERE record_type = 'sleep' AND NOT nap))::int AS rem_sleep_minutes,
       round(sum(deep_minutes) FILTER (WHERE record_type = 'sleep' AND NOT nap))::int AS deep_sleep_minutes,
       round(max(sleep_efficiency) FILTER (WHERE main_sleep), 2) AS sleep_efficiency,
       round(max(respiratory_rate) FILTER (WHERE main_sleep), 2) AS respiratory_rate_avg,
       round((  (bool_or(day_strain IS NOT NULL AND chosen AND record_type = 'cycle'))::int
              + (bool_or(recovery_score IS NOT NULL AND chosen AND record_type = 'recovery'))::int
              + (bool_or(total_minutes IS NOT NULL AND main_sleep))::int
             )::numeric / %(expected)s, 2) AS data_completeness
FROM summary_values
GROUP BY device_id, player_id, day
"""

# The baseline deviation and the variability index of first..last+reach, from the daily HRV of
# first-30..last+30: the fresh rows inside first..last, the stored rows around it. A value the column
# cannot hold (a baseline near zero: never with real WHOOP values) is NULL rather than an error.
_DERIVED = """
CREATE TEMP TABLE summary_derived ON COMMIT DROP AS
WITH days AS (
    SELECT device_id, summary_date, hrv_rmssd_avg AS hrv FROM summary_fresh
    UNION ALL
    SELECT device_id, summary_date, hrv_rmssd_avg FROM wearables_daily_summary
    WHERE summary_date BETWEEN %(read_from)s AND %(reach)s AND summary_date NOT BETWEEN %(first)s AND %(last)s
), windows AS (
    SELECT device_id, summary_date, hrv,
           avg(hrv) OVER baseline AS baseline, count(hrv) OVER baseline AS baseline_days,
           avg(ln(nullif(greatest(hrv, 0), 0))) OVER week AS ln_mean,
           stddev_samp(ln(nullif(greatest(hrv, 0), 0))) OVER week AS ln_sd,
           count(nullif(greatest(hrv, 0), 0)) OVER week AS week_days
    FROM days
    WINDOW baseline AS (PARTITION BY device_id ORDER BY summary_date
                        RANGE BETWEEN %(baseline_days)s PRECEDING AND '1 day'::interval PRECEDING),
           week AS (PARTITION BY device_id ORDER BY summary_date
                    RANGE BETWEEN %(week_days)s PRECEDING AND CURRENT ROW)
)
SELECT device_id, summary_date,
       CASE WHEN deviation < 1e6 THEN deviation END AS hrv_baseline_deviation,
       CASE WHEN variability < 1e4 THEN variability END AS hr_variability_index
FROM (
    SELECT device_id, summary_date,
           CASE WHEN baseline_days >= %(baseline_min)s AND baseline > 0
                THEN round(100 * (hrv - baseline) / baseline, 2) END AS deviation,
           CASE WHEN week_days >= %(week_min)s AND ln_mean > 0
                THEN round(100 * ln_sd / ln_mean, 2) END AS variability
    FROM windows
    WHERE summary_date >= %(first)s
) d
"""

_COLUMNS = (
    "hrv_rmssd_avg, hrv_rmssd_min, hrv_rmssd_max, hrv_baseline_deviation, resting_hr_avg, resting_hr_min,"
    " hr_variability_index, day_strain, recovery_score, sleep_performance_score, total_sleep_minutes,"
    " rem_sleep_minutes, deep_sleep_minutes, sleep_efficiency, respiratory_rate_avg, data_completeness"
)
_SET = ", ".join(f"{c.strip()} = EXCLUDED.{c.strip()}" for c in _COLUMNS.split(","))
_STORED = ", ".join(f"s.{c.strip()}" for c in _COLUMNS.split(","))
_NEW = ", ".join(f"f.{c.strip()}" for c in _COLUMNS.split(","))

# Rows of first..last whose values differ from the stored ones (or that are new), written and queued
# for alignment; rows already right are left alone.
_UPSERT = f"""
WITH changed AS (
    SELECT f.* FROM summary_fresh f
    LEFT JOIN wearables_daily_summary s USING (device_id, summary_date)
    WHERE s.summary_id IS NULL OR ({_STORED}) IS DISTINCT FROM ({_NEW})
), written AS (
    INSERT INTO wearables_daily_summary (device_id, player_id, summary_date, {_COLUMNS})
    SELECT device_id, player_id, summary_date, {_COLUMNS} FROM changed
    ON CONFLICT (device_id, summary_date) DO UPDATE SET {_SET}
    RETURNING device_id, player_id, summary_date
), queued AS (
    INSERT INTO wearables_changed_days (consumer, device_id, player_id, local_date)
    SELECT 'alignment', device_id, player_id, summary_date FROM written
    ON CONFLICT (consumer, device_id, local_date) DO UPDATE SET changed_at = EXCLUDED.changed_at
    RETURNING 1
)
SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM queued)
"""

_DELETE = """
WITH deleted AS (
    DELETE FROM wearables_daily_summary s
    WHERE s.summary_date BETWEEN %(first)s AND %(last)s
      AND NOT EXISTS (SELECT 1 FROM summary_fresh f
                      WHERE f.device_id = s.device_id AND f.summary_date = s.summary_date)
    RETURNING s.device_id, s.player_id, s.summary_date
), queued AS (
    INSERT INTO wearables_changed_days (consumer, device_id, player_id, local_date)
    SELECT 'alignment', d.device_id, d.player_id, d.summary_date FROM deleted d
    -- a revoked device's rows go without a trace (revocation clears the derived tables itself)
    JOIN wearables_devices dv ON dv.device_id = d.device_id AND dv.consent_granted
    ON CONFLICT (consumer, device_id, local_date) DO UPDATE SET changed_at = EXCLUDED.changed_at
    RETURNING 1
)
SELECT (SELECT count(*) FROM deleted), (SELECT count(*) FROM queued)
"""

# Days after last keep their own values; only the two columns that look back may move.
_LATER = """
WITH updated AS (
    UPDATE wearables_daily_summary s
    SET hrv_baseline_deviation = d.hrv_baseline_deviation, hr_variability_index = d.hr_variability_index
    FROM summary_derived d
    WHERE d.device_id = s.device_id AND d.summary_date = s.summary_date AND s.summary_date > %(last)s
      AND (s.hrv_baseline_deviation, s.hr_variability_index)
          IS DISTINCT FROM (d.hrv_baseline_deviation, d.hr_variability_index)
    RETURNING s.device_id, s.player_id, s.summary_date
), queued AS (
    INSERT INTO wearables_changed_days (consumer, device_id, player_id, local_date)
    SELECT 'alignment', device_id, player_id, summary_date FROM updated
    ON CONFLICT (consumer, device_id, local_date) DO UPDATE SET changed_at = EXCLUDED.changed_at
    RETURNING 1
)
SELECT (SELECT count(*) FROM updated), (SELECT count(*) FROM queued)
"""


def refresh_daily_summaries(
    conn: psycopg.Connection, first: date, last: date, *, started_at: datetime
) -> SummaryRefresh:
    """Recompute every device's summaries of local dates first..last from its records, and the
    baseline-derived columns of the days after it that look back on them.

    A row is written only where a value changed (so a second run writes and queues nothing), deleted
    where its day has no record left, and each row written or deleted queues its day for alignment.
    The 'daily_summary' queue rows of first..last queued at or before ``started_at`` are consumed; a
    change queued later (a sync committing while this runs) stays for the next refresh.
    """
    read_from, _, reach = refreshed_span(first, last)
    params = {
        "first": first,
        "last": last,
        "read_from": read_from,
        "reach": reach,
        "lo": datetime.combine(first - _BEFORE, time.min, tzinfo=UTC),
        "hi": datetime.combine(last + _AFTER, time.min, tzinfo=UTC),
        "started_at": started_at,
        "expected": EXPECTED_RECORDS,
        "baseline_days": timedelta(days=BASELINE_DAYS),
        "baseline_min": BASELINE_MIN_DAYS,
        "week_days": timedelta(days=VARIABILITY_DAYS - 1),
        "week_min": VARIABILITY_MIN_DAYS,
    }
    with conn.transaction():  # a savepoint in the caller's transaction, else its own
        return _refresh(conn, params)


def _refresh(conn: psycopg.Connection, params: dict) -> SummaryRefresh:
    conn.execute("DROP TABLE IF EXISTS summary_records, summary_values, summary_fresh, summary_derived")
    for statement in (_RECORDS, _VALUES, _FRESH, _DERIVED):
        conn.execute(statement, params)
    conn.execute(
        """
        UPDATE summary_fresh f
        SET hrv_baseline_deviation = d.hrv_baseline_deviation, hr_variability_index = d.hr_variability_index
        FROM summary_derived d WHERE d.device_id = f.device_id AND d.summary_date = f.summary_date
        """
    )
    fresh, devices = conn.execute("SELECT count(*), count(DISTINCT device_id) FROM summary_fresh").fetchone()
    written, queued_written = conn.execute(_UPSERT).fetchone()
    deleted, queued_deleted = conn.execute(_DELETE, params).fetchone()
    later, queued_later = conn.execute(_LATER, params).fetchone()
    conn.execute(
        """
        DELETE FROM wearables_changed_days
        WHERE consumer = 'daily_summary' AND local_date BETWEEN %(first)s AND %(last)s
          AND changed_at <= %(started_at)s
        """,
        params,
    )
    conn.execute("DROP TABLE summary_records, summary_values, summary_fresh, summary_derived")
    return SummaryRefresh(
        days=(params["last"] - params["first"]).days + 1,
        devices=devices,
        rows_written=written,
        rows_unchanged=fresh - written,
        rows_deleted=deleted,
        later_rows_updated=later,
        queued_for_alignment=queued_written + queued_deleted + queued_later,
    )


def queued_summary_days(conn: psycopg.Connection) -> list[tuple[date, date]]:
    """The local dates queued for the daily summaries, as (first, last) ranges to refresh."""
    rows = conn.execute(
        "SELECT DISTINCT local_date FROM wearables_changed_days WHERE consumer = 'daily_summary'"
    ).fetchall()
    return merge_day_ranges(day for (day,) in rows)
