-- 023_page_timings: how long the service took to serve its pages (issue 21's page-load KPI), written by
-- the pages themselves (service/pages/store.py) and read by the KPIs (kpis/store.py). Holds the page's
-- kind and its server time only, never who was looked at: no privacy entry. Bounded: each write deletes
-- the rows older than 90 days.

CREATE TABLE page_timings (
    timing_id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page       VARCHAR(40) NOT NULL,        -- 'player', 'game', 'leaderboard', 'consent'
    served_at  TIMESTAMPTZ NOT NULL,        -- when the response was ready
    seconds    DOUBLE PRECISION NOT NULL CHECK (seconds >= 0)  -- server time: request in to page rendered
);

CREATE INDEX idx_page_timings_served ON page_timings (served_at, page);
