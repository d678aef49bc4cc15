-- 001_core: teams, players and games.
--
-- The seed design references players(player_id), games(game_id) and teams without defining them.
-- Each is keyed by our own UUID (what the other tables reference) and by the NBA's own id, unique, so
-- every load can upsert on the id the source gives us.
-- gen_random_uuid() is built into PostgreSQL 13+; the seed's uuid_generate_v4() needs uuid-ossp, which
-- the embedded server does not ship.

-- Keeps updated_at honest on every UPDATE, including upserts that do not mention it.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TABLE teams (
    team_id      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    nba_team_id  BIGINT NOT NULL UNIQUE CHECK (nba_team_id > 0),
    tricode      VARCHAR(3),             -- 'BOS'; tricodes move with relocations, the id does not
    city         TEXT,
    name         TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER teams_updated_at BEFORE UPDATE ON teams
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE players (
    player_id      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    nba_person_id  BIGINT NOT NULL UNIQUE CHECK (nba_person_id > 0),
    full_name      TEXT NOT NULL,
    first_name     TEXT,
    last_name      TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER players_updated_at BEFORE UPDATE ON players
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The NBA game id is ten digits: '00' (the league), the season type digit, the season's two-digit
-- starting year, then a five-digit sequence ('0022200552': regular season 2022-23). Season and season
-- type are generated from it, so they can never disagree with the id.
CREATE TABLE games (
    game_id       UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    nba_game_id   VARCHAR(10) NOT NULL UNIQUE CHECK (nba_game_id ~ '^00[1-6][0-9]{7}$'),
    season        VARCHAR(7) NOT NULL GENERATED ALWAYS AS (
                      (CASE WHEN substr(nba_game_id, 4, 2)::int >= 46 THEN 1900 ELSE 2000 END
                       + substr(nba_game_id, 4, 2)::int)::text
                      || '-' || lpad(((substr(nba_game_id, 4, 2)::int + 1) % 100)::text, 2, '0')
                  ) STORED,
    season_type   VARCHAR(30) NOT NULL GENERATED ALWAYS AS (
                      CASE substr(nba_game_id, 3, 1)
                          WHEN '1' THEN 'preseason'
                          WHEN '2' THEN 'regular_season'
                          WHEN '3' THEN 'all_star'
                          WHEN '4' THEN 'playoffs'
                          WHEN '5' THEN 'play_in'
                          WHEN '6' THEN 'in_season_tournament_final'
                      END
                  ) STORED,
    home_team_id  UUID NOT NULL REFERENCES teams(team_id),
    away_team_id  UUID NOT NULL REFERENCES teams(team_id),
    game_date     DATE NOT NULL,         -- the NBA's game date (US Eastern), as schedules print it
    tipoff_at     TIMESTAMPTZ,           -- UTC; NULL while the source has given no time
    status        VARCHAR(20) NOT NULL DEFAULT 'scheduled'
                  CHECK (status IN ('scheduled', 'in_progress', 'final', 'postponed', 'cancelled')),
    home_score    INTEGER CHECK (home_score >= 0),
    away_score    INTEGER CHECK (away_score >= 0),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (home_team_id <> away_team_id)
);
CREATE INDEX idx_games_season ON games (season, season_type, game_date);
CREATE INDEX idx_games_date ON games (game_date);
CREATE INDEX idx_games_home_team ON games (home_team_id, game_date);
CREATE INDEX idx_games_away_team ON games (away_team_id, game_date);
CREATE TRIGGER games_updated_at BEFORE UPDATE ON games
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
