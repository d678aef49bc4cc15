-- 009_whoop_planner: webhook events stay pending until the request planner hands them to a sync run.

-- Set when a planned sync run names the event's record (or when the event asks for nothing: an unknown
-- type, a user without consent). Events the planner defers keep it NULL and are offered again.
ALTER TABLE whoop_webhook_events ADD COLUMN planned_at TIMESTAMPTZ;
CREATE INDEX idx_whoop_webhook_events_pending ON whoop_webhook_events (event_id) WHERE planned_at IS NULL;
