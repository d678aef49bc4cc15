-- Who played in each game, and for which team: the players its play-by-play names as actors (shots,
-- rebounds, fouls, substitutions...: the rule that fills `players`), each with the team he acted for
-- most in that game. The NBA load writes them with the game's raw actions, in the same transaction.
--
-- It is what other stages ask of the play-by-play without reading it: the WHOOP request planner looks
-- up every consented athlete's latest team each minute (it used to read 60 days of raw actions for it,
-- 0.4-0.7 s a tick for 500 athletes mid-season, measured), and alignment will join an athlete's days
-- with the games he played.
CREATE TABLE nba_game_players (
    game_id    UUID NOT NULL REFERENCES games (game_id) ON DELETE CASCADE,
    player_id  UUID NOT NULL REFERENCES players (player_id) ON DELETE CASCADE,
    team_id    UUID NOT NULL REFERENCES teams (team_id),
    PRIMARY KEY (game_id, player_id)
);
CREATE INDEX idx_nba_game_players_player ON nba_game_players (player_id);

-- Games loaded before this table existed: the same rule, read from their raw actions (players and
-- teams only hold real players and teams, so team rebounds and coaches' technicals drop out here).
INSERT INTO nba_game_players (game_id, player_id, team_id)
SELECT DISTINCT ON (acted.game_id, acted.player_id) acted.game_id, acted.player_id, acted.team_id
FROM (
    SELECT g.game_id, p.player_id, t.team_id, count(*) AS actions, t.nba_team_id
    FROM nba_raw_actions r
    JOIN games g ON g.nba_game_id = r.nba_game_id
    JOIN players p ON p.nba_person_id::text = r.payload->>'personId'
    JOIN teams t ON t.nba_team_id::text = r.payload->>'teamId'
    GROUP BY g.game_id, p.player_id, t.team_id, t.nba_team_id
) acted
ORDER BY acted.game_id, acted.player_id, acted.actions DESC, acted.nba_team_id;
