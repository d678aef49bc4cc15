-- 003_clutch: clutch windows, the player actions inside them, and per-player clutch scores.
-- Based on the seed design's tables; departures are commented where they are made. The raw play-by-play
-- these are derived from gets its own table with the NBA ingestion stage.

CREATE TABLE clutch_situations (
    situation_id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    game_id                UUID NOT NULL REFERENCES games(game_id) ON DELETE CASCADE,

    situation_type         VARCHAR(50) NOT NULL
                           CHECK (situation_type IN ('clutch_time', 'overtime', 'final_possession',
                                                     'playoff_elimination')),

    start_timestamp        TIMESTAMPTZ NOT NULL,   -- UTC
    end_timestamp          TIMESTAMPTZ NOT NULL,
    game_clock_start       VARCHAR(10),            -- '5:00', '2:30'
    game_clock_end         VARCHAR(10),
    period                 INTEGER NOT NULL CHECK (period >= 1),   -- 4, then 5, 6, ... for overtimes

    score_margin           INTEGER,                -- home minus away: positive = home leads
    score_margin_absolute  INTEGER CHECK (score_margin_absolute >= 0),
    home_score             INTEGER CHECK (home_score >= 0),
    away_score             INTEGER CHECK (away_score >= 0),

    is_clutch_time         BOOLEAN NOT NULL DEFAULT FALSE,
    clutch_intensity       DECIMAL(3, 2) CHECK (clutch_intensity BETWEEN 0 AND 1),

    playoff_game           BOOLEAN NOT NULL DEFAULT FALSE,
    elimination_game       BOOLEAN NOT NULL DEFAULT FALSE,

    -- The seed's raw_payload is gone: a window spans many actions, which are kept raw once.
    data_source            VARCHAR(100) NOT NULL DEFAULT 'nba_stats_api',

    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),

    -- The seed required end > start. A window can open on the game's last action, and estimated event
    -- times have minute resolution, so a window may start and end at the same instant.
    CHECK (end_timestamp >= start_timestamp)
);
CREATE INDEX idx_clutch_situations_game ON clutch_situations (game_id, start_timestamp);
CREATE INDEX idx_clutch_situations_type ON clutch_situations (situation_type) WHERE is_clutch_time = TRUE;
CREATE INDEX idx_clutch_situations_intensity ON clutch_situations (clutch_intensity DESC);
CREATE TRIGGER clutch_situations_updated_at BEFORE UPDATE ON clutch_situations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE clutch_player_actions (
    action_id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    situation_id          UUID NOT NULL REFERENCES clutch_situations(situation_id) ON DELETE CASCADE,
    game_id               UUID NOT NULL REFERENCES games(game_id) ON DELETE CASCADE,
    player_id             UUID NOT NULL REFERENCES players(player_id) ON DELETE CASCADE,

    action_timestamp      TIMESTAMPTZ NOT NULL,
    action_type           VARCHAR(50) NOT NULL
                          CHECK (action_type IN ('field_goal_made', 'field_goal_missed', 'free_throw',
                                                 'turnover', 'assist', 'rebound', 'steal', 'block')),
    action_subtype        VARCHAR(50),             -- 'three_pointer', 'layup', 'dunk', 'jump_shot', ...

    is_successful         BOOLEAN,
    -- A single action scores at most 3 (an and-one's free throw is an action of its own).
    points_scored         INTEGER NOT NULL DEFAULT 0 CHECK (points_scored BETWEEN 0 AND 3),

    shot_distance         DECIMAL(5, 2),           -- feet
    shot_location_x       DECIMAL(6, 2),
    shot_location_y       DECIMAL(6, 2),
    -- No public feed has per-shot defender distance or touch time (playerdashptshotlog is gone since
    -- 2016); the columns stay for a licensed tracking feed and are NULL until there is one.
    defender_distance     DECIMAL(5, 2),
    touch_time            DECIMAL(5, 2),

    expected_points       DECIMAL(5, 3),
    points_over_expected  DECIMAL(5, 3),

    -- The seed's raw_payload is gone: the action is kept raw, once, by the NBA ingestion stage.
    data_source           VARCHAR(100) NOT NULL DEFAULT 'nba_stats_api',

    created_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_clutch_actions_player ON clutch_player_actions (player_id, action_timestamp DESC);
CREATE INDEX idx_clutch_actions_situation ON clutch_player_actions (situation_id, action_timestamp);
CREATE INDEX idx_clutch_actions_game ON clutch_player_actions (game_id);
CREATE INDEX idx_clutch_actions_type ON clutch_player_actions (action_type) WHERE is_successful = TRUE;

CREATE TABLE clutch_performance_scores (
    score_id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    player_id                  UUID NOT NULL REFERENCES players(player_id) ON DELETE CASCADE,
    game_id                    UUID NOT NULL REFERENCES games(game_id) ON DELETE CASCADE,
    situation_id               UUID NOT NULL REFERENCES clutch_situations(situation_id) ON DELETE CASCADE,

    actions_total              INTEGER NOT NULL CHECK (actions_total >= 0),
    actions_successful         INTEGER,
    success_rate               DECIMAL(5, 4),

    points_scored              INTEGER NOT NULL DEFAULT 0 CHECK (points_scored >= 0),
    assists                    INTEGER NOT NULL DEFAULT 0 CHECK (assists >= 0),
    turnovers                  INTEGER NOT NULL DEFAULT 0 CHECK (turnovers >= 0),
    rebounds                   INTEGER NOT NULL DEFAULT 0 CHECK (rebounds >= 0),

    expected_points            DECIMAL(8, 3),
    points_over_expected       DECIMAL(8, 3),

    clutch_score               DECIMAL(5, 2) CHECK (clutch_score BETWEEN 0 AND 100),
    clutch_percentile          DECIMAL(5, 2) CHECK (clutch_percentile BETWEEN 0 AND 100),

    -- Wearables context: values derived from an athlete's wearables data. Revocation and retention
    -- must clear these with the rest of the athlete's wearables rows.
    hrv_rmssd_pregame          DECIMAL(8, 2),
    hrv_baseline_deviation     DECIMAL(8, 2),
    recovery_score_pregame     DECIMAL(5, 2) CHECK (recovery_score_pregame BETWEEN 0 AND 100),
    sleep_performance_pregame  DECIMAL(5, 2) CHECK (sleep_performance_pregame BETWEEN 0 AND 100),
    day_strain_pregame         DECIMAL(5, 2) CHECK (day_strain_pregame BETWEEN 0 AND 21),

    has_wearables_data         BOOLEAN NOT NULL DEFAULT FALSE,
    wearables_quality_score    DECIMAL(3, 2) CHECK (wearables_quality_score BETWEEN 0 AND 1),

    predicted_clutch_score     DECIMAL(5, 2),
    prediction_confidence      DECIMAL(3, 2) CHECK (prediction_confidence BETWEEN 0 AND 1),

    calculation_method         VARCHAR(100) NOT NULL DEFAULT 'hierarchical_bayesian_v1',
    -- The seed's raw_payload is gone: scores are derived, and rebuilt from their inputs.

    calculated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),

    UNIQUE (player_id, game_id, situation_id),
    CHECK (actions_successful BETWEEN 0 AND actions_total),
    CHECK (success_rate >= 0 AND success_rate <= 1),
    -- Wearables values only where the row says it has wearables data.
    CHECK (has_wearables_data OR (hrv_rmssd_pregame IS NULL AND hrv_baseline_deviation IS NULL
                                  AND recovery_score_pregame IS NULL AND sleep_performance_pregame IS NULL
                                  AND day_strain_pregame IS NULL))
);
CREATE INDEX idx_clutch_scores_player ON clutch_performance_scores (player_id, calculated_at DESC);
CREATE INDEX idx_clutch_scores_game ON clutch_performance_scores (game_id);
CREATE INDEX idx_clutch_scores_score ON clutch_performance_scores (clutch_score DESC);
CREATE INDEX idx_clutch_scores_wearables ON clutch_performance_scores (player_id) WHERE has_wearables_data = TRUE;
CREATE TRIGGER clutch_performance_scores_updated_at BEFORE UPDATE ON clutch_performance_scores
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
