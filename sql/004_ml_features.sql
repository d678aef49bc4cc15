-- 004_ml_features: the feature store the seed design adds rows to but never defines.
-- One row per entity, feature, calculation window and as-of date; loads upsert on that key, so
-- recomputing a day's features replaces them.

CREATE TABLE ml_features (
    feature_id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    entity_type         VARCHAR(20) NOT NULL CHECK (entity_type IN ('player', 'team', 'game')),
    entity_id           UUID NOT NULL,          -- players.player_id, teams.team_id or games.game_id
    feature_name        VARCHAR(100) NOT NULL,  -- 'hrv_avg_last_7_days', 'recovery_score_avg', ...
    feature_value       DOUBLE PRECISION NOT NULL,  -- a feature that cannot be computed has no row
    calculation_window  VARCHAR(50) NOT NULL,   -- 'last_7_games', 'last_30_days', 'season', ...
    as_of_date          DATE NOT NULL,
    -- Whether the value was derived from wearables data: revocation and retention delete these rows
    -- for the athlete along with the rest of their wearables data.
    uses_wearables      BOOLEAN NOT NULL DEFAULT FALSE,
    computed_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (entity_type, entity_id, feature_name, calculation_window, as_of_date)
);
-- Model fits read one feature set as of a date across all entities.
CREATE INDEX idx_ml_features_feature_date ON ml_features (feature_name, calculation_window, as_of_date);
CREATE INDEX idx_ml_features_wearables ON ml_features (entity_id) WHERE uses_wearables;
