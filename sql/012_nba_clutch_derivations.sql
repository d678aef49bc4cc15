-- 012_nba_clutch_derivations: what each game's clutch rows were derived from.
--
-- A game's raw actions and its clutch rows are written in different transactions (the clutch rows of a
-- run wait for the season's shot model, fitted once all its raw actions are in). A load killed between
-- the two left games with raw actions and no clutch rows, and the next run skipped them as unchanged.
-- Now the clutch transaction records, per game, which raw load (nba_game_loads.loaded_at, and the
-- content hash it had) and which shot model its rows come from. Every load re-derives, from the raw
-- table, each loaded game of the seasons it touches whose record is missing or names another raw load
-- or another model: the clutch tables follow from the raw ones whatever was interrupted.
--
-- No rows for games loaded before this table existed: the next load of their season re-derives them.
CREATE TABLE nba_clutch_derivations (
    nba_game_id     VARCHAR(10) PRIMARY KEY REFERENCES games (nba_game_id) ON DELETE CASCADE,
    raw_loaded_at   TIMESTAMPTZ NOT NULL,   -- nba_game_loads.loaded_at of the raw actions read
    content_sha256  TEXT,                   -- nba_game_loads.content_sha256 then, for people to read
    shot_model      TEXT NOT NULL,          -- ShotModel.version() of the season's model; 'none' without one
    derived_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
