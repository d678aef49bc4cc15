-- 020_kpis: the seed's success metrics (section 10), one row per day and KPI, computed by the
-- `kpi_daily` asset and read by `clutch kpis`, its asset checks and the alerts sensor.
-- Holds counts and figures only, never an athlete's id, token or health value: no privacy entry.

CREATE TABLE kpi_daily (
    day           DATE NOT NULL,           -- the UTC day measured
    kpi           VARCHAR(40) NOT NULL,    -- 'wearables_uptime', 'sync_latency_p95_minutes', ...
    value         DOUBLE PRECISION,        -- NULL: not measurable that day (detail says why)
    target        DOUBLE PRECISION NOT NULL,
    direction     VARCHAR(8) NOT NULL CHECK (direction IN ('at_least', 'at_most')),
    meets_target  BOOLEAN,                 -- NULL when value is NULL
    sample_size   INTEGER CHECK (sample_size >= 0),
    detail        JSONB NOT NULL DEFAULT '{}',   -- e.g. athletes missing by reason: counts only
    computed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (day, kpi),
    CHECK ((value IS NULL) = (meets_target IS NULL))
);
