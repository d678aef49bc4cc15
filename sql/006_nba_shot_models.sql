-- 006_nba_shot_models: the league's shot-quality model of each season (clutch_pipeline/nba/shots.py),
-- fitted on every field goal and free throw of the season's loaded games. Expected points in
-- clutch_player_actions come from it; it is refitted when a season's loaded games grow by more than 2%.

CREATE TABLE nba_shot_models (
    season       VARCHAR(7) NOT NULL,
    zone         VARCHAR(30) NOT NULL,     -- a zone, 'all_2pt' / 'all_3pt' (league rate), 'free_throw'
    family       VARCHAR(40) NOT NULL,     -- a shot family, or 'all' for the zone's own rate
    attempts     INTEGER NOT NULL CHECK (attempts >= 0),
    makes        INTEGER NOT NULL CHECK (makes BETWEEN 0 AND attempts),
    probability  DOUBLE PRECISION NOT NULL CHECK (probability BETWEEN 0 AND 1),
    games        INTEGER NOT NULL CHECK (games > 0),   -- how many games the fit saw
    fitted_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (season, zone, family)
);
