-- nba_raw_actions -> games, checked once per statement instead of once per row.
--
-- The row-level foreign key made PostgreSQL probe `games` and lock the game's row for every action
-- inserted: 600,000 probes for a season, about 6.5 s of the database's time in a 12 s COPY (measured
-- here). The same rule is kept by three statement-level triggers over transition tables: one anti-join
-- per COPY (a season backfill writes a hundred games per statement), the referenced games locked FOR KEY
-- SHARE as the foreign key did, so a game cannot be deleted under a load that references it.

ALTER TABLE nba_raw_actions DROP CONSTRAINT nba_raw_actions_nba_game_id_fkey;

-- Every game that inserted or updated raw actions name must be in games.
CREATE FUNCTION nba_raw_actions_games_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing varchar;
BEGIN
    PERFORM 1 FROM games g
        WHERE g.nba_game_id IN (SELECT DISTINCT n.nba_game_id FROM new_actions n)
        ORDER BY g.nba_game_id
        FOR KEY SHARE;
    SELECT n.nba_game_id INTO missing
        FROM (SELECT DISTINCT nba_game_id FROM new_actions) n
        WHERE NOT EXISTS (SELECT 1 FROM games g WHERE g.nba_game_id = n.nba_game_id)
        ORDER BY n.nba_game_id
        LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "nba_raw_actions": game % is not in table "games"', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

-- Two triggers for one check: PostgreSQL allows transition tables only on single-event triggers.
CREATE TRIGGER nba_raw_actions_games_exist_on_insert
    AFTER INSERT ON nba_raw_actions
    REFERENCING NEW TABLE AS new_actions
    FOR EACH STATEMENT EXECUTE FUNCTION nba_raw_actions_games_exist();

CREATE TRIGGER nba_raw_actions_games_exist_on_update
    AFTER UPDATE ON nba_raw_actions
    REFERENCING NEW TABLE AS new_actions
    FOR EACH STATEMENT EXECUTE FUNCTION nba_raw_actions_games_exist();

-- Deleting a game deletes its raw actions (the foreign key's ON DELETE CASCADE).
CREATE FUNCTION games_delete_raw_actions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM nba_raw_actions r USING old_games o WHERE r.nba_game_id = o.nba_game_id;
    RETURN NULL;
END $$;

CREATE TRIGGER games_delete_raw_actions
    AFTER DELETE ON games
    REFERENCING OLD TABLE AS old_games
    FOR EACH STATEMENT EXECUTE FUNCTION games_delete_raw_actions();

-- A game's NBA id cannot change while raw actions name it (the foreign key's ON UPDATE NO ACTION).
CREATE FUNCTION games_keep_raw_actions_game() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orphaned varchar;
BEGIN
    SELECT o.nba_game_id INTO orphaned
        FROM old_games o
        WHERE NOT EXISTS (SELECT 1 FROM games g WHERE g.nba_game_id = o.nba_game_id)
          AND EXISTS (SELECT 1 FROM nba_raw_actions r WHERE r.nba_game_id = o.nba_game_id)
        LIMIT 1;
    IF orphaned IS NOT NULL THEN
        RAISE EXCEPTION 'update on table "games": raw actions still name game %', orphaned
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER games_keep_raw_actions_game
    AFTER UPDATE ON games
    REFERENCING OLD TABLE AS old_games
    FOR EACH STATEMENT EXECUTE FUNCTION games_keep_raw_actions_game();
