-- 014_alignment: where wearables meet the game. The pregame context of each player and game, the
-- concurrent context of each clutch action, clutch scores per game beside the seed's per-situation
-- ones, and what each game's alignment was computed from. Every table here holding values derived from
-- wearables has a `has_wearables_data` column and an entry in db/store.py's WEARABLES_DATA.
-- The rules behind every column are in docs/alignment.md and docs/clutch-score.md.

-- What a player's body said before a game, measured strictly before tip-off: one row per player and
-- game, for games played (he is in nba_game_players) and for scheduled games (the players of both teams,
-- each on his latest team), so predictions read the same context the model was fitted on.
CREATE TABLE pregame_context (
    game_id                    UUID NOT NULL REFERENCES games (game_id) ON DELETE CASCADE,
    player_id                  UUID NOT NULL REFERENCES players (player_id) ON DELETE CASCADE,
    team_id                    UUID REFERENCES teams (team_id),
    tipoff_at                  TIMESTAMPTZ,       -- games.tipoff_at when computed
    played                     BOOLEAN NOT NULL,  -- in the game's play-by-play; false: expected (scheduled)
    -- NBA context (every row)
    is_playoff                 BOOLEAN NOT NULL,
    days_since_last_game       INTEGER CHECK (days_since_last_game >= 0),  -- NULL: no earlier game known
    -- Wearables context (NULL without; has_wearables_data says whether any value is there)
    has_wearables_data         BOOLEAN NOT NULL DEFAULT FALSE,
    device_id                  UUID,
    sleep_record_id            TEXT,              -- WHOOP's id of the night's main sleep (never a nap)
    sleep_end_at               TIMESTAMPTZ,       -- its wake-up, strictly before tipoff_at
    local_date                 DATE,              -- the athlete's local date of that wake-up
    hrv_rmssd_pregame          DECIMAL(8, 2),
    resting_hr_pregame         DECIMAL(6, 2),
    recovery_score_pregame     DECIMAL(5, 2) CHECK (recovery_score_pregame BETWEEN 0 AND 100),
    sleep_performance_pregame  DECIMAL(5, 2) CHECK (sleep_performance_pregame BETWEEN 0 AND 100),
    day_strain_previous        DECIMAL(5, 2) CHECK (day_strain_previous BETWEEN 0 AND 21),
    hrv_baseline_deviation     DECIMAL(8, 2),
    recovery_calibrating       BOOLEAN,
    wearables_quality_score    DECIMAL(3, 2) CHECK (wearables_quality_score BETWEEN 0 AND 1),
    -- The latest instant any wearables value above was measured at (a record's end); the blocking
    -- asset check holds it strictly before tipoff_at.
    measured_until             TIMESTAMPTZ,
    computed_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (game_id, player_id),
    CHECK (has_wearables_data OR (device_id IS NULL AND sleep_record_id IS NULL AND sleep_end_at IS NULL
           AND local_date IS NULL AND hrv_rmssd_pregame IS NULL AND resting_hr_pregame IS NULL
           AND recovery_score_pregame IS NULL AND sleep_performance_pregame IS NULL
           AND day_strain_previous IS NULL AND hrv_baseline_deviation IS NULL
           AND recovery_calibrating IS NULL AND wearables_quality_score IS NULL AND measured_until IS NULL))
);
CREATE INDEX idx_pregame_context_player ON pregame_context (player_id);
CREATE INDEX idx_pregame_context_wearables ON pregame_context (player_id) WHERE has_wearables_data;

-- The athlete's state at each clutch action (descriptive only, never a model covariate): the WHOOP
-- workout containing the action, else the nearest within the window; instantaneous readings
-- interpolated only where readings of one metric bracket the action. Rows for athletes with wearables
-- data only. Keyed by what survives an NBA reload (the actions' UUIDs do not); a game's rows are
-- replaced whenever its alignment is recomputed.
CREATE TABLE clutch_action_wearables (
    game_id                UUID NOT NULL REFERENCES games (game_id) ON DELETE CASCADE,
    source                 VARCHAR(10) NOT NULL,
    source_action_key      BIGINT NOT NULL,
    action_type            VARCHAR(50) NOT NULL,
    player_id              UUID NOT NULL REFERENCES players (player_id) ON DELETE CASCADE,
    device_id              UUID NOT NULL,
    action_timestamp       TIMESTAMPTZ NOT NULL,
    time_error_seconds     REAL,
    workout_record_id      TEXT,
    workout_match          VARCHAR(10) CHECK (workout_match IN ('contains', 'nearest')),  -- NULL: none
    workout_gap_minutes    DECIMAL(8, 2) CHECK (workout_gap_minutes >= 0),  -- 0 when contained
    workout_strain         DECIMAL(5, 2) CHECK (workout_strain BETWEEN 0 AND 21),
    workout_average_heart_rate DECIMAL(6, 2),
    workout_max_heart_rate DECIMAL(6, 2),
    hrv_rmssd_interpolated DECIMAL(8, 2),
    resting_hr_interpolated DECIMAL(6, 2),
    interpolated           BOOLEAN NOT NULL DEFAULT FALSE,
    has_wearables_data     BOOLEAN NOT NULL DEFAULT TRUE CHECK (has_wearables_data),
    quality_score          DECIMAL(3, 2) NOT NULL CHECK (quality_score BETWEEN 0 AND 1),
    computed_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (game_id, source, source_action_key, action_type),
    CHECK ((workout_match IS NULL) = (workout_record_id IS NULL))
);
CREATE INDEX idx_clutch_action_wearables_player ON clutch_action_wearables (player_id);

-- The seed's per-situation scores gain what its model needs and its table lacks.
ALTER TABLE clutch_performance_scores
    ADD COLUMN steals               INTEGER NOT NULL DEFAULT 0 CHECK (steals >= 0),
    ADD COLUMN blocks               INTEGER NOT NULL DEFAULT 0 CHECK (blocks >= 0),
    ADD COLUMN score_margin         INTEGER,   -- the situation's margin at its start, from the player's side
    ADD COLUMN is_playoff           BOOLEAN,
    ADD COLUMN days_since_last_game INTEGER CHECK (days_since_last_game >= 0),
    ADD COLUMN season               VARCHAR(7),
    ADD COLUMN game_date            DATE;

-- One score per player and game: all his clutch situations of the game together, with the same
-- definition. The wearables state is one per game day, so the model and the pages work per game.
CREATE TABLE clutch_game_scores (
    game_id                    UUID NOT NULL REFERENCES games (game_id) ON DELETE CASCADE,
    player_id                  UUID NOT NULL REFERENCES players (player_id) ON DELETE CASCADE,
    team_id                    UUID REFERENCES teams (team_id),
    season                     VARCHAR(7) NOT NULL,
    game_date                  DATE NOT NULL,
    situations                 INTEGER NOT NULL CHECK (situations >= 1),
    actions_total              INTEGER NOT NULL CHECK (actions_total >= 0),
    actions_successful         INTEGER,
    success_rate               DECIMAL(5, 4) CHECK (success_rate BETWEEN 0 AND 1),
    points_scored              INTEGER NOT NULL DEFAULT 0 CHECK (points_scored >= 0),
    assists                    INTEGER NOT NULL DEFAULT 0 CHECK (assists >= 0),
    turnovers                  INTEGER NOT NULL DEFAULT 0 CHECK (turnovers >= 0),
    rebounds                   INTEGER NOT NULL DEFAULT 0 CHECK (rebounds >= 0),
    steals                     INTEGER NOT NULL DEFAULT 0 CHECK (steals >= 0),
    blocks                     INTEGER NOT NULL DEFAULT 0 CHECK (blocks >= 0),
    expected_points            DECIMAL(8, 3),
    points_over_expected       DECIMAL(8, 3),
    clutch_score               DECIMAL(5, 2) NOT NULL CHECK (clutch_score BETWEEN 0 AND 100),
    clutch_percentile          DECIMAL(5, 2) CHECK (clutch_percentile BETWEEN 0 AND 100),
    score_margin               INTEGER,   -- at the start of his first clutch situation, from his side
    is_playoff                 BOOLEAN NOT NULL,
    days_since_last_game       INTEGER CHECK (days_since_last_game >= 0),
    -- The pregame context, as in pregame_context
    hrv_rmssd_pregame          DECIMAL(8, 2),
    hrv_baseline_deviation     DECIMAL(8, 2),
    recovery_score_pregame     DECIMAL(5, 2) CHECK (recovery_score_pregame BETWEEN 0 AND 100),
    sleep_performance_pregame  DECIMAL(5, 2) CHECK (sleep_performance_pregame BETWEEN 0 AND 100),
    day_strain_pregame         DECIMAL(5, 2) CHECK (day_strain_pregame BETWEEN 0 AND 21),
    has_wearables_data         BOOLEAN NOT NULL DEFAULT FALSE,
    wearables_quality_score    DECIMAL(3, 2) CHECK (wearables_quality_score BETWEEN 0 AND 1),
    computed_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (game_id, player_id),
    CHECK (actions_successful BETWEEN 0 AND actions_total),
    CHECK (has_wearables_data OR (hrv_rmssd_pregame IS NULL AND hrv_baseline_deviation IS NULL
                                  AND recovery_score_pregame IS NULL AND sleep_performance_pregame IS NULL
                                  AND day_strain_pregame IS NULL AND wearables_quality_score IS NULL))
);
CREATE INDEX idx_clutch_game_scores_player ON clutch_game_scores (player_id, game_date);
CREATE INDEX idx_clutch_game_scores_season ON clutch_game_scores (season, game_date);

-- What each game's alignment and scores were computed from: the NBA derivation of its clutch rows
-- (nba_clutch_derivations.derived_at; NULL for a game without play-by-play yet). A game whose
-- derivation is newer (reloaded by the live sensor or a backfill), or whose players' wearables days
-- changed since (wearables_changed_days, consumer 'alignment'), is recomputed.
CREATE TABLE alignment_games (
    game_id            UUID PRIMARY KEY REFERENCES games (game_id) ON DELETE CASCADE,
    clutch_derived_at  TIMESTAMPTZ,
    aligned_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
