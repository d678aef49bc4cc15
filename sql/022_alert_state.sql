-- 022_alert_state: what the `wearables_alerts` sensor has said, so one problem is one message until it
-- changes or clears (docs/alerts.md). One row per alert key; a cleared row stays (cleared_at set) until
-- the same problem comes back, which reopens it as a new problem. Holds no token or health value: keys
-- name a device or an asset, fingerprints are kinds, days and timestamps.

CREATE TABLE alert_state (
    alert_key         VARCHAR(120) PRIMARY KEY,  -- 'device:<device uuid>', 'summaries_stale',
                                                 -- 'nba_live:<nba game id>', 'kpi:<name>', 'whoop_budget'
    fingerprint       TEXT NOT NULL,             -- what the problem says now (e.g. 'sync_error', a day)
    announced_fingerprint TEXT,                  -- what the last message said; differs from fingerprint
                                                 -- while a changed problem's message is not yet delivered
    message           JSONB NOT NULL,            -- the last message, as sent or logged
    first_seen_at     TIMESTAMPTZ NOT NULL,
    last_sent_at      TIMESTAMPTZ,               -- the last message sent (or logged without a webhook)
    cleared_at        TIMESTAMPTZ                -- NULL while the problem is open
);
CREATE INDEX idx_alert_state_open ON alert_state (alert_key) WHERE cleared_at IS NULL;
