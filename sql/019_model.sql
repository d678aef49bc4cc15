-- 019_model: every fit of the clutch model, and its predictions.
--
-- A model run records what it was fitted on, how, what its checks and holdout said, and where its trace
-- went. Only a run whose blocking checks passed and whose trace was uploaded and verified is published;
-- the latest published run is what predictions use. A run holds parameters and aggregates only, never
-- an athlete's wearables values, so revocation need not touch it (docs/model.md).

CREATE TABLE model_runs (
    model_version          TEXT PRIMARY KEY,            -- clutch_model_v1_20221104T120000Z
    purpose                VARCHAR(10) NOT NULL DEFAULT 'publish' CHECK (purpose IN ('publish', 'backtest')),
    started_at             TIMESTAMPTZ NOT NULL,
    finished_at            TIMESTAMPTZ,
    -- The data: game scores of these seasons, up to and including data_last_date.
    seasons                TEXT[] NOT NULL,
    data_first_date        DATE,
    data_last_date         DATE,
    rows                   INTEGER NOT NULL CHECK (rows >= 0),
    players                INTEGER NOT NULL CHECK (players >= 0),
    rows_with_wearables    INTEGER NOT NULL CHECK (rows_with_wearables >= 0),
    dropped_covariates     TEXT[] NOT NULL DEFAULT '{}',
    -- How it was fitted
    parameterization       VARCHAR(20),                 -- how the player intercepts were sampled: 'marginalized'
    sampler                VARCHAR(20),                 -- 'nutpie' or 'pymc'
    chains                 INTEGER,
    draws                  INTEGER,
    tune                   INTEGER,
    random_seed            BIGINT,
    compile_seconds        REAL,
    sampling_seconds       REAL,
    total_seconds          REAL,
    -- What it found
    diagnostics            JSONB NOT NULL DEFAULT '{}', -- each check: value, threshold, passed
    checks_passed          BOOLEAN NOT NULL DEFAULT FALSE,
    effects                JSONB NOT NULL DEFAULT '{}', -- each effect: mean and 94% interval, both scales
    holdout                JSONB NOT NULL DEFAULT '{}', -- RMSE, POE-sign accuracy, the baseline's
    -- Where its trace went (NULL: not uploaded)
    trace_uri              TEXT,
    trace_sha256           TEXT,
    trace_bytes            BIGINT,
    published              BOOLEAN NOT NULL DEFAULT FALSE,
    published_at           TIMESTAMPTZ,
    not_published_reason   TEXT,
    CHECK (NOT published OR (checks_passed AND trace_uri IS NOT NULL AND trace_sha256 IS NOT NULL)),
    CHECK (published OR not_published_reason IS NOT NULL OR finished_at IS NULL)
);
CREATE INDEX idx_model_runs_published ON model_runs (published_at DESC) WHERE published;

-- A prediction of a player's game clutch score from a published model (or a backtest's model), with the
-- pregame context it used. No invented values: a covariate that was missing is NULL here and the
-- prediction says whether wearables were used.
CREATE TABLE clutch_predictions (
    prediction_id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    model_version             TEXT NOT NULL REFERENCES model_runs (model_version) ON DELETE CASCADE,
    player_id                 UUID NOT NULL REFERENCES players (player_id) ON DELETE CASCADE,
    game_id                   UUID NOT NULL REFERENCES games (game_id) ON DELETE CASCADE,
    purpose                   VARCHAR(10) NOT NULL CHECK (purpose IN ('upcoming', 'backtest', 'request')),
    predicted_clutch_score    DECIMAL(5, 2) NOT NULL,
    interval_low              DECIMAL(5, 2) NOT NULL,
    interval_high             DECIMAL(5, 2) NOT NULL,
    interval_probability      DECIMAL(3, 2) NOT NULL DEFAULT 0.94,
    prediction_confidence     DECIMAL(3, 2) CHECK (prediction_confidence BETWEEN 0 AND 1),
    -- The pregame context used
    score_margin              INTEGER,
    is_playoff                BOOLEAN,
    days_since_last_game      INTEGER,
    has_wearables_data        BOOLEAN NOT NULL DEFAULT FALSE,   -- wearables were used
    hrv_baseline_deviation    DECIMAL(8, 2),
    recovery_score_pregame    DECIMAL(5, 2),
    sleep_performance_pregame DECIMAL(5, 2),
    -- For a backtest: what happened
    observed_clutch_score     DECIMAL(5, 2),
    predicted_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (model_version, player_id, game_id, purpose),
    CHECK (interval_low <= predicted_clutch_score AND predicted_clutch_score <= interval_high),
    CHECK (has_wearables_data OR (hrv_baseline_deviation IS NULL AND recovery_score_pregame IS NULL
                                  AND sleep_performance_pregame IS NULL))
);
CREATE INDEX idx_clutch_predictions_player ON clutch_predictions (player_id, predicted_at DESC);
CREATE INDEX idx_clutch_predictions_game ON clutch_predictions (game_id);
