-- 008_whoop_webhooks: WHOOP's signed webhook events as received, once per trace id.

-- Every event whose signature verified, stored before anything is done with it (the endpoint answers
-- within milliseconds; a sensor turns the events into targeted sync runs). WHOOP may deliver an event
-- twice: the trace id keeps one. Unknown event types are stored too, and counted, never fatal.
CREATE TABLE whoop_webhook_events (
    event_id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,   -- the sensor's cursor
    trace_id       TEXT NOT NULL UNIQUE,
    whoop_user_id  BIGINT,                   -- WHOOP's user id: the device's provider_user_id
    event_type     TEXT NOT NULL,            -- 'sleep.updated', 'recovery.deleted', ...
    record_id      TEXT,                     -- a sleep or workout UUID (a recovery: its sleep's UUID)
    known_type     BOOLEAN NOT NULL,
    payload        JSONB NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_whoop_webhook_events_user ON whoop_webhook_events (whoop_user_id, received_at);
