-- 013_wearables_days: which local day a WHOOP record belongs to, and a queue of the days whose records
-- changed, so the daily summaries (and, after them, alignment) refresh exactly the days a sync, a
-- webhook's re-score, a `*.deleted` event or retention touched.
--
-- The queue is filled by triggers on wearables_raw_records, in the transaction that changes the records:
-- whatever path wrote or deleted them (a sync, a targeted sync, a deletion, manual SQL), the changed
-- days are queued exactly when the change commits, and a process killed before the commit queues
-- nothing because it changed nothing. Both the old and the new version of an updated record are queued
-- (a re-scored sleep can move to another day).

-- The athlete's local day a record belongs to. One rule, used by the triggers below and by the daily
-- summaries (docs/daily-summaries.md, "Which day a record belongs to"):
--   sleep (and nap), recovery: the local date of the wake-up (the sleep's end; a recovery's time is its
--     sleep's end), so the night's sleep and the morning's recovery count for the day they start;
--   workout: the local date of its start;
--   cycle: the local date twelve hours after its start. A cycle starts when its sleep starts (late in
--     the evening, or after midnight after a night game) and covers the waking day that follows.
-- `utc_offset` is WHOOP's timezone_offset of the record (a recovery: its sleep's).
CREATE FUNCTION wearables_local_day(record_type TEXT, record_start TIMESTAMPTZ, record_end TIMESTAMPTZ,
                                    utc_offset INTERVAL) RETURNS DATE
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE record_type
                WHEN 'sleep' THEN coalesce(record_end, record_start)
                WHEN 'cycle' THEN record_start + interval '12 hours'
                ELSE record_start
            END AT TIME ZONE 'UTC' + utc_offset)::date
$$;

-- WHOOP's "timezone_offset" ("-05:00", "+05:30") of a cycle, sleep or workout payload; NULL when absent
-- or malformed (a recovery's payload has none: its sleep's is used).
CREATE FUNCTION wearables_payload_offset(payload JSONB) RETURNS INTERVAL
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN payload->>'timezone_offset' ~ '^[+-][0-9]{2}:[0-9]{2}$'
                THEN (payload->>'timezone_offset')::interval END
$$;

-- Days whose records changed, per consumer. 'daily_summary' is filled by the triggers below;
-- 'alignment' by the daily summaries when a summary row changes or goes. A consumer deletes the rows it
-- processed that were queued before it started (changed_at <= its start), so a change that arrives
-- while it runs stays queued for the next run.
CREATE TABLE wearables_changed_days (
    consumer    VARCHAR(20) NOT NULL CHECK (consumer IN ('daily_summary', 'alignment')),
    device_id   UUID NOT NULL REFERENCES wearables_devices (device_id) ON DELETE CASCADE,
    player_id   UUID NOT NULL,
    local_date  DATE NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consumer, device_id, local_date)
);
CREATE INDEX idx_wearables_changed_days_player ON wearables_changed_days (player_id);

-- The days of a set of changed raw records. A record whose offset is unknown (a recovery whose sleep
-- is not stored, a payload without one) queues its UTC date and both neighbours: one of them is its
-- local day, and refreshing a day that did not change is harmless.
CREATE FUNCTION wearables_queue_changed_days() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO wearables_changed_days (consumer, device_id, player_id, local_date)
    SELECT DISTINCT 'daily_summary', c.device_id, c.player_id, d.day
    FROM changed c
    -- A device being deleted (a player's row cascading) or revoked queues nothing: its days have no
    -- rows left, and revocation clears every derived table itself (db/store.py, WEARABLES_DATA).
    JOIN wearables_devices dv ON dv.device_id = c.device_id AND dv.consent_granted
    LEFT JOIN wearables_raw_records s
           ON c.record_type = 'recovery' AND s.device_id = c.device_id
          AND s.record_type = 'sleep' AND s.record_id = c.record_id
    -- ... or among the records of this very statement (a deletion that takes the sleep with it)
    LEFT JOIN changed cs
           ON c.record_type = 'recovery' AND cs.device_id = c.device_id
          AND cs.record_type = 'sleep' AND cs.record_id = c.record_id
    CROSS JOIN LATERAL (
        SELECT coalesce(wearables_payload_offset(c.payload), wearables_payload_offset(s.payload),
                        wearables_payload_offset(cs.payload)) AS utc_offset
    ) o
    CROSS JOIN LATERAL (
        SELECT wearables_local_day(c.record_type, c.record_start, c.record_end, o.utc_offset) AS day
        WHERE o.utc_offset IS NOT NULL
        UNION ALL
        SELECT wearables_local_day(c.record_type, c.record_start, c.record_end, interval '0') + shift
        FROM (VALUES (-1), (0), (1)) AS shifts(shift)
        WHERE o.utc_offset IS NULL
    ) d
    WHERE c.record_start IS NOT NULL AND d.day IS NOT NULL
    ON CONFLICT (consumer, device_id, local_date) DO UPDATE SET changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END
$$;

-- Statement-level triggers with transition tables: one INSERT ... SELECT per statement, however many
-- records it changed (a sync writes a device's records in one statement). A trigger with transition
-- tables names one event and the function reads its table as `changed`, hence four triggers: inserted
-- rows, both versions of updated rows, deleted rows.
CREATE TRIGGER wearables_raw_records_inserted_days AFTER INSERT ON wearables_raw_records
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION wearables_queue_changed_days();
CREATE TRIGGER wearables_raw_records_updated_days_new AFTER UPDATE ON wearables_raw_records
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION wearables_queue_changed_days();
CREATE TRIGGER wearables_raw_records_updated_days_old AFTER UPDATE ON wearables_raw_records
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION wearables_queue_changed_days();
CREATE TRIGGER wearables_raw_records_deleted_days AFTER DELETE ON wearables_raw_records
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION wearables_queue_changed_days();
