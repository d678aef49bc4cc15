-- 002_wearables: devices with their consent and tokens, raw WHOOP records, normalized readings and
-- daily summaries. Based on the seed design's tables; every departure is commented where it is made.

CREATE TABLE wearables_devices (
    device_id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    player_id                 UUID NOT NULL REFERENCES players(player_id) ON DELETE CASCADE,

    -- Device metadata
    device_type               VARCHAR(50) NOT NULL DEFAULT 'whoop',
    -- Added: the provider's account id (WHOOP's int64 user_id, as text so other providers fit).
    -- Webhooks name the user by it, so it must identify exactly one device row.
    provider_user_id          TEXT,
    device_serial             VARCHAR(255),   -- WHOOP's API gives none; kept for other providers
    firmware_version          VARCHAR(50),

    -- API integration. Tokens are Fernet ciphertexts, never plaintext.
    api_version               VARCHAR(10) NOT NULL DEFAULT 'v2',
    access_token_encrypted    TEXT,
    refresh_token_encrypted   TEXT,
    token_expires_at          TIMESTAMPTZ,
    granted_scopes            TEXT,           -- added: the scopes the athlete actually granted

    -- Consent & privacy
    consent_granted           BOOLEAN NOT NULL DEFAULT FALSE,
    consent_granted_at        TIMESTAMPTZ,
    consent_revoked_at        TIMESTAMPTZ,
    data_retention_days       INTEGER NOT NULL DEFAULT 365 CHECK (data_retention_days > 0),

    -- Status tracking
    is_active                 BOOLEAN NOT NULL DEFAULT TRUE,
    last_sync_at              TIMESTAMPTZ,
    sync_status               VARCHAR(50) NOT NULL DEFAULT 'pending'
                              CHECK (sync_status IN ('pending', 'syncing', 'success', 'error')),
    sync_error_message        TEXT,
    -- Added: set when WHOOP answers invalid_grant (a spent or revoked refresh token). Syncing stops
    -- until the athlete authorizes again, which clears it.
    needs_reauthorization_at  TIMESTAMPTZ,

    created_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                TIMESTAMPTZ NOT NULL DEFAULT now(),

    -- The seed's UNIQUE(player_id, device_serial) never fires: WHOOP gives no serial and NULLs are
    -- distinct. One row per athlete and device type instead: re-authorizing updates that row.
    UNIQUE (player_id, device_type),
    UNIQUE (device_type, provider_user_id),
    -- Target of the (device_id, player_id) foreign keys below, which keep the two columns consistent.
    UNIQUE (device_id, player_id),
    -- The seed checked only the access token; a refresh token without consent is as bad.
    CHECK (consent_granted OR (access_token_encrypted IS NULL AND refresh_token_encrypted IS NULL))
);
-- The seed's idx_wearables_devices_player is covered by UNIQUE (player_id, device_type).
CREATE INDEX idx_wearables_devices_sync ON wearables_devices (last_sync_at) WHERE sync_status = 'success';
CREATE TRIGGER wearables_devices_updated_at BEFORE UPDATE ON wearables_devices
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Added: each WHOOP record exactly once, as received, instead of the seed's raw_payload copied onto
-- every metric row. A record that WHOOP re-scores replaces its row (and its readings); one that WHOOP
-- deletes is deleted here, and its readings go with it.
CREATE TABLE wearables_raw_records (
    device_id          UUID NOT NULL,
    player_id          UUID NOT NULL,
    record_type        VARCHAR(20) NOT NULL CHECK (record_type IN ('cycle', 'recovery', 'sleep', 'workout')),
    -- WHOOP's own id of the record: the cycle id (int64), the sleep or workout UUID. A recovery has no
    -- id of its own; it is named by its sleep's UUID, as WHOOP's webhooks name it.
    record_id          TEXT NOT NULL,
    score_state        VARCHAR(20) CHECK (score_state IN ('SCORED', 'PENDING_SCORE', 'UNSCORABLE')),
    record_start       TIMESTAMPTZ,
    record_end         TIMESTAMPTZ,
    source_updated_at  TIMESTAMPTZ NOT NULL,    -- WHOOP's updated_at: a newer version replaces this one
    payload            JSONB NOT NULL,
    fetched_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, record_type, record_id),
    FOREIGN KEY (device_id, player_id) REFERENCES wearables_devices (device_id, player_id) ON DELETE CASCADE
);
CREATE INDEX idx_wearables_raw_records_player ON wearables_raw_records (player_id, record_start);

CREATE TABLE wearables_readings (
    reading_id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id                  UUID NOT NULL,
    player_id                  UUID NOT NULL,

    -- Added: the record the reading came from, so a re-scored or deleted record is replaced or removed
    -- as a whole (the foreign key cascades a raw record's deletion to its readings).
    source_record_type         VARCHAR(20) NOT NULL,
    source_record_id           TEXT NOT NULL,

    -- Timestamp (UTC). For a reading that covers an interval (a sleep, a workout, a cycle) this is its
    -- start and reading_end its end (added); an instantaneous reading has no end.
    reading_timestamp          TIMESTAMPTZ NOT NULL,
    reading_end                TIMESTAMPTZ,
    timezone_offset            INTEGER CHECK (timezone_offset BETWEEN -720 AND 840), -- minutes from UTC

    metric_type                VARCHAR(100) NOT NULL,
    -- NOT NULL (the seed allowed NULL): a record that was not scored stores no reading at all.
    metric_value               DECIMAL(12, 4) NOT NULL,
    metric_unit                VARCHAR(50),

    quality_score              DECIMAL(3, 2) CHECK (quality_score >= 0 AND quality_score <= 1),
    confidence_interval_lower  DECIMAL(12, 4),
    confidence_interval_upper  DECIMAL(12, 4),

    activity_state             VARCHAR(50),     -- 'resting', 'active', 'sleeping', 'exercising', 'game'
    source_session_id          VARCHAR(255),    -- the WHOOP cycle, sleep or workout the reading belongs to

    -- The seed's raw_payload column is gone: the record is kept once in wearables_raw_records.
    data_source                VARCHAR(100) NOT NULL DEFAULT 'whoop_v2',
    ingested_at                TIMESTAMPTZ NOT NULL DEFAULT now(),

    -- Replaces the seed's UNIQUE(device_id, metric_type, reading_timestamp): a reading is identified by
    -- the record it came from and its metric, not by a timestamp two records may share.
    UNIQUE (device_id, source_record_type, source_record_id, metric_type),
    FOREIGN KEY (device_id, player_id) REFERENCES wearables_devices (device_id, player_id) ON DELETE CASCADE,
    FOREIGN KEY (device_id, source_record_type, source_record_id)
        REFERENCES wearables_raw_records (device_id, record_type, record_id) ON DELETE CASCADE,
    CHECK (reading_end IS NULL OR reading_end >= reading_timestamp),
    -- WHOOP's scores have fixed ranges: percentages 0-100, strain 0-21.
    CHECK (metric_type NOT IN ('recovery_score', 'sleep_performance', 'sleep_efficiency',
                               'sleep_consistency', 'spo2')
           OR metric_value BETWEEN 0 AND 100),
    CHECK (metric_type NOT LIKE '%strain' OR metric_value BETWEEN 0 AND 21)
);
CREATE INDEX idx_wearables_readings_player_time ON wearables_readings (player_id, reading_timestamp DESC);
CREATE INDEX idx_wearables_readings_metric ON wearables_readings (metric_type, reading_timestamp DESC);
CREATE INDEX idx_wearables_readings_device ON wearables_readings (device_id, reading_timestamp DESC);
-- The seed's GIN index on raw_payload is left out: no query reads inside the raw records.

CREATE TABLE wearables_daily_summary (
    summary_id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id                UUID NOT NULL,
    player_id                UUID NOT NULL,

    summary_date             DATE NOT NULL,    -- the athlete's local date

    hrv_rmssd_avg            DECIMAL(8, 2),
    hrv_rmssd_min            DECIMAL(8, 2),
    hrv_rmssd_max            DECIMAL(8, 2),
    hrv_baseline_deviation   DECIMAL(8, 2),    -- % deviation from the 30-day baseline

    resting_hr_avg           DECIMAL(6, 2),
    resting_hr_min           DECIMAL(6, 2),
    hr_variability_index     DECIMAL(6, 2),

    day_strain               DECIMAL(5, 2) CHECK (day_strain BETWEEN 0 AND 21),
    recovery_score           DECIMAL(5, 2) CHECK (recovery_score BETWEEN 0 AND 100),
    sleep_performance_score  DECIMAL(5, 2) CHECK (sleep_performance_score BETWEEN 0 AND 100),

    total_sleep_minutes      INTEGER CHECK (total_sleep_minutes >= 0),
    rem_sleep_minutes        INTEGER CHECK (rem_sleep_minutes >= 0),
    deep_sleep_minutes       INTEGER CHECK (deep_sleep_minutes >= 0),
    sleep_efficiency         DECIMAL(5, 2) CHECK (sleep_efficiency BETWEEN 0 AND 100),

    respiratory_rate_avg     DECIMAL(5, 2),

    data_completeness        DECIMAL(3, 2) CHECK (data_completeness BETWEEN 0 AND 1),

    -- The seed's raw_payload is gone: a summary is derived from readings, whose records are kept raw.
    data_source              VARCHAR(100) NOT NULL DEFAULT 'whoop_v2',

    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now(),

    UNIQUE (device_id, summary_date),
    FOREIGN KEY (device_id, player_id) REFERENCES wearables_devices (device_id, player_id) ON DELETE CASCADE
);
CREATE INDEX idx_wearables_daily_player ON wearables_daily_summary (player_id, summary_date DESC);
CREATE INDEX idx_wearables_daily_recovery ON wearables_daily_summary (recovery_score) WHERE recovery_score IS NOT NULL;
CREATE TRIGGER wearables_daily_summary_updated_at BEFORE UPDATE ON wearables_daily_summary
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
