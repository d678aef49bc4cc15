-- 005_nba: raw play-by-play as read, per-game load status, and what clutch detection records beyond
-- the seed's columns (window order, end scores, how each timestamp was obtained, the source action).

-- Every action exactly as the source sent it, before anything is derived from it. Keyed by the source's
-- own unique key: actionId for stats v3 (whose actionNumber repeats), actionNumber for the CDN.
CREATE TABLE nba_raw_actions (
    nba_game_id   VARCHAR(10) NOT NULL REFERENCES games (nba_game_id) ON DELETE CASCADE,
    source        VARCHAR(10) NOT NULL CHECK (source IN ('v3', 'cdn')),
    action_key    BIGINT NOT NULL,
    action_order  INTEGER NOT NULL CHECK (action_order >= 0),   -- position in the game as read
    payload       JSONB NOT NULL,
    loaded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (nba_game_id, source, action_key)
);

-- The last load attempt of each game: what was read, from where, and why it failed if it did. No
-- foreign key: a file that cannot be parsed may name a game that is not in `games`.
CREATE TABLE nba_game_loads (
    nba_game_id     VARCHAR(10) PRIMARY KEY,
    status          VARCHAR(10) NOT NULL CHECK (status IN ('loaded', 'failed')),
    source          VARCHAR(10),
    origin          TEXT,            -- archive file name or URL path, never a credential
    actions         INTEGER,
    content_sha256  TEXT,            -- of the actions as read: a live game reloads only when it changed
    error           TEXT,
    attempted_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    loaded_at       TIMESTAMPTZ,
    CHECK (status = 'failed' OR error IS NULL)
);
CREATE INDEX idx_nba_game_loads_failed ON nba_game_loads (attempted_at) WHERE status = 'failed';

ALTER TABLE clutch_situations
    ADD COLUMN window_number       SMALLINT,      -- 1, 2, ... in game order
    ADD COLUMN end_score_margin    INTEGER,       -- home minus away after the window's last action
    ADD COLUMN end_home_score      INTEGER,
    ADD COLUMN end_away_score      INTEGER,
    -- How start/end times were obtained: 'exact' (CDN timeActual) or an estimate from wall-clock
    -- labels, with its expected absolute error, so alignment can weigh it.
    ADD COLUMN time_method         VARCHAR(30),
    ADD COLUMN time_error_seconds  REAL CHECK (time_error_seconds >= 0),
    ADD CONSTRAINT clutch_situations_game_window UNIQUE (game_id, window_number);

ALTER TABLE clutch_player_actions
    ADD COLUMN team_id             UUID REFERENCES teams (team_id),
    ADD COLUMN source              VARCHAR(10),   -- 'v3' or 'cdn': with source_action_key, the raw action
    ADD COLUMN source_action_key   BIGINT,
    ADD COLUMN period              SMALLINT,
    ADD COLUMN game_clock          VARCHAR(10),
    ADD COLUMN score_margin_before INTEGER,       -- the actor's team minus the opponent, before the action
    ADD COLUMN time_method         VARCHAR(30),
    ADD COLUMN time_error_seconds  REAL CHECK (time_error_seconds >= 0),
    -- One raw action can yield two player actions (a made shot and its assist), never two of one type.
    ADD CONSTRAINT clutch_player_actions_source UNIQUE (game_id, source, source_action_key, action_type);
