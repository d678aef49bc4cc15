-- 007_whoop_sync: what WHOOP consent and sync need beyond the wearables tables: single-use OAuth
-- states, per-device sync watermarks, and a log of API requests that every process counts against the
-- app's rate limits.

-- An OAuth `state` bound to the athlete it was issued for. WHOOP requires exactly eight characters.
-- Single use: the callback marks it used in the same statement that checks it.
CREATE TABLE whoop_oauth_states (
    state       CHAR(8) PRIMARY KEY,
    player_id   UUID NOT NULL REFERENCES players (player_id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    CHECK (expires_at > created_at)
);
CREATE INDEX idx_whoop_oauth_states_expiry ON whoop_oauth_states (expires_at);

-- How far each record type of a device has been synced. The next incremental sync starts at
-- `synced_through` minus an overlap (WHOOP re-scores recent records), or earlier when a record of the
-- type is still PENDING_SCORE. Explicit range syncs (backfills) leave it alone.
CREATE TABLE wearables_sync_state (
    device_id       UUID NOT NULL REFERENCES wearables_devices (device_id) ON DELETE CASCADE,
    record_type     VARCHAR(20) NOT NULL CHECK (record_type IN ('cycle', 'recovery', 'sleep', 'workout')),
    synced_through  TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, record_type)
);

-- One row per request sent to WHOOP (API calls and token calls alike). WHOOP's limits (100 a minute,
-- 10,000 a day) are per app, shared by every run and process, and its headers report only the window
-- nearest its limit, so the count that matters is kept here. Rows older than two days are pruned.
-- No device or player column on purpose: the log outlives revocations without holding personal data.
CREATE TABLE whoop_api_requests (
    request_id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requested_at  TIMESTAMPTZ NOT NULL,
    kind          VARCHAR(20) NOT NULL    -- 'token', 'profile', 'cycle', 'recovery', 'sleep', ...
);
CREATE INDEX idx_whoop_api_requests_time ON whoop_api_requests (requested_at);

-- Take one request from the budget, or say how long to wait. One round trip, serialized across
-- processes by a transaction-level advisory lock. Both windows slide (the last 60 s, the last 24 h):
-- whichever way WHOOP counts, a sliding window never lets more through than a fixed one.
-- Returns 0 when the request may go (and records it), else the seconds until a slot frees up.
CREATE FUNCTION whoop_take_request(p_kind TEXT, p_now TIMESTAMPTZ, p_per_minute INTEGER, p_per_day INTEGER)
RETURNS DOUBLE PRECISION
LANGUAGE plpgsql AS $$
DECLARE
    minute_count INTEGER;
    day_count    INTEGER;
    freed_at     TIMESTAMPTZ;
BEGIN
    PERFORM pg_advisory_xact_lock(5, 0);   -- LockScope.WHOOP_RATE_LIMIT in clutch_pipeline/db/locks.py
    SELECT count(*) INTO day_count FROM whoop_api_requests WHERE requested_at > p_now - interval '1 day';
    IF day_count >= p_per_day THEN
        SELECT requested_at INTO freed_at FROM whoop_api_requests
        WHERE requested_at > p_now - interval '1 day'
        ORDER BY requested_at OFFSET (day_count - p_per_day) LIMIT 1;
        RETURN greatest(extract(epoch FROM freed_at + interval '1 day' - p_now), 0.001);
    END IF;
    SELECT count(*) INTO minute_count FROM whoop_api_requests WHERE requested_at > p_now - interval '1 minute';
    IF minute_count >= p_per_minute THEN
        SELECT requested_at INTO freed_at FROM whoop_api_requests
        WHERE requested_at > p_now - interval '1 minute'
        ORDER BY requested_at OFFSET (minute_count - p_per_minute) LIMIT 1;
        RETURN greatest(extract(epoch FROM freed_at + interval '1 minute' - p_now), 0.001);
    END IF;
    INSERT INTO whoop_api_requests (requested_at, kind) VALUES (p_now, p_kind);
    IF random() < 0.001 THEN
        DELETE FROM whoop_api_requests WHERE requested_at < p_now - interval '2 days';
    END IF;
    RETURN 0;
END;
$$;
