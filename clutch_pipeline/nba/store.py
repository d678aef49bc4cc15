"""SQL of the NBA stage: reference upserts, raw actions, load status, clutch rows.

Every write replaces what a game had (raw actions per game and source, clutch rows per game) inside the
caller's transaction, so a load is all or nothing and running it twice changes nothing. Bulk rows go
through COPY.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg import sql

# Opens a connection whose block is one transaction (committed when it ends, rolled back if it raises).
ConnectionFactory = Callable[[], AbstractContextManager[psycopg.Connection]]


@dataclass(frozen=True)
class GameRow:
    nba_game_id: str
    home_team: int
    away_team: int
    game_date: date
    tipoff_at: datetime | None
    status: str
    home_score: int | None
    away_score: int | None


@dataclass(frozen=True)
class LoadRow:
    nba_game_id: str
    status: str  # 'loaded' | 'failed'
    source: str | None
    origin: str | None
    actions: int | None
    content_sha256: str | None
    error: str | None


def upsert_teams(conn: psycopg.Connection, teams: Mapping[int, str | None]) -> dict[int, uuid.UUID]:
    """Team UUIDs by NBA team id, inserting the new ones (a known tricode is kept up to date)."""
    if not teams:
        return {}
    ids = list(teams)
    rows = conn.execute(
        """
        INSERT INTO teams (nba_team_id, tricode)
        SELECT * FROM unnest(%s::bigint[], %s::varchar[])
        ON CONFLICT (nba_team_id) DO UPDATE
            SET tricode = COALESCE(EXCLUDED.tricode, teams.tricode)
            WHERE teams.tricode IS DISTINCT FROM COALESCE(EXCLUDED.tricode, teams.tricode)
        RETURNING nba_team_id, team_id
        """,
        (ids, [teams[i] for i in ids]),
    ).fetchall()
    found = dict(rows)
    missing = [i for i in ids if i not in found]
    if missing:
        found.update(
            conn.execute(
                "SELECT nba_team_id, team_id FROM teams WHERE nba_team_id = ANY(%s)", (missing,)
            ).fetchall()
        )
    return found


def upsert_players(conn: psycopg.Connection, players: Mapping[int, str]) -> dict[int, uuid.UUID]:
    """Player UUIDs by NBA person id; new players are inserted with the name the source gives."""
    if not players:
        return {}
    ids = list(players)
    conn.execute(
        """
        INSERT INTO players (nba_person_id, full_name)
        SELECT * FROM unnest(%s::bigint[], %s::text[])
        ON CONFLICT (nba_person_id) DO NOTHING
        """,
        (ids, [players[i] for i in ids]),
    )
    return dict(
        conn.execute(
            "SELECT nba_person_id, player_id FROM players WHERE nba_person_id = ANY(%s)", (ids,)
        ).fetchall()
    )


def replace_game_players(
    conn: psycopg.Connection,
    games: Sequence[uuid.UUID],
    rows: Sequence[tuple[uuid.UUID, uuid.UUID, uuid.UUID]],
) -> int:
    """Replace who played in these games, and for which team: (game, player, team) UUIDs."""
    conn.execute("DELETE FROM nba_game_players WHERE game_id = ANY(%s)", (list(games),))
    with conn.cursor().copy("COPY nba_game_players (game_id, player_id, team_id) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


def upsert_games(
    conn: psycopg.Connection, games: Sequence[GameRow], team_ids: Mapping[int, uuid.UUID]
) -> dict[str, uuid.UUID]:
    """Game UUIDs by NBA game id, inserting or updating what the source says about each game."""
    if not games:
        return {}
    rows = conn.execute(
        """
        INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date, tipoff_at, status,
                           home_score, away_score)
        SELECT * FROM unnest(%s::varchar[], %s::uuid[], %s::uuid[], %s::date[], %s::timestamptz[],
                             %s::varchar[], %s::int[], %s::int[])
        ON CONFLICT (nba_game_id) DO UPDATE SET
            home_team_id = EXCLUDED.home_team_id,
            away_team_id = EXCLUDED.away_team_id,
            game_date = EXCLUDED.game_date,
            tipoff_at = COALESCE(EXCLUDED.tipoff_at, games.tipoff_at),
            status = EXCLUDED.status,
            home_score = EXCLUDED.home_score,
            away_score = EXCLUDED.away_score
        RETURNING nba_game_id, game_id
        """,
        (
            [g.nba_game_id for g in games],
            [team_ids[g.home_team] for g in games],
            [team_ids[g.away_team] for g in games],
            [g.game_date for g in games],
            [g.tipoff_at for g in games],
            [g.status for g in games],
            [g.home_score for g in games],
            [g.away_score for g in games],
        ),
    ).fetchall()
    return dict(rows)


def replace_raw_actions(
    conn: psycopg.Connection,
    games: Iterable[tuple[str, str, Sequence[int], Sequence[dict], Sequence[str] | None]],
) -> int:
    """Replace each (game, source)'s raw actions with ``(game_id, source, action_keys, raw_actions,
    texts)``: ``texts`` are the actions' JSON as read, when the caller has them (else they are
    serialized here)."""
    games = list(games)
    return replace_raw_action_rows(conn, [(g[0], g[1]) for g in games], (raw_action_rows(*g) for g in games))


def raw_action_rows(
    game_id: str, source: str, keys: Sequence[int], raw_actions: Sequence[dict], texts: Sequence[str] | None
) -> bytes:
    """One game's raw actions as COPY rows for ``replace_raw_action_rows``; ``texts`` are the actions'
    JSON as read, when the caller has them (else they are serialized here)."""
    if texts is None:
        dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
        texts = [dumps(raw) for raw in raw_actions]
    elif len(texts) != len(raw_actions):
        raise ValueError(f"game {game_id}: {len(texts)} texts for {len(raw_actions)} actions")
    return _copy_text_rows(game_id, source, keys, texts)


def replace_raw_action_rows(
    conn: psycopg.Connection, games: Sequence[tuple[str, str]], rows: Iterable[bytes]
) -> int:
    """Replace the raw actions of each (game, source) with rows from ``raw_action_rows``; the count."""
    if not games:
        return 0
    conn.execute(
        """DELETE FROM nba_raw_actions r USING unnest(%s::varchar[], %s::varchar[]) AS g(id, source)
           WHERE r.nba_game_id = g.id AND r.source = g.source""",
        ([g[0] for g in games], [g[1] for g in games]),
    )
    written = 0
    with conn.cursor().copy(
        "COPY nba_raw_actions (nba_game_id, source, action_key, action_order, payload) FROM STDIN"
    ) as copy:
        for block in rows:
            copy.write(block)
            written += block.count(b"\n")
    return written


def _copy_text_rows(game_id: str, source: str, keys: Sequence[int], texts: Sequence[str]) -> bytes:
    """One game's rows (game, source, key, order, JSON) in COPY's text format, escaped in a few passes
    over the whole game rather than action by action (a season is 600,000 rows).

    In valid JSON a raw tab, newline or carriage return can only be white space between tokens (inside
    strings they are escaped), so they become spaces; backslashes, COPY's escape, are doubled. No raw
    control character is left in valid JSON, so NUL can join the texts."""
    body = "\0".join(texts)
    if "\\" in body:
        body = body.replace("\\", "\\\\")
    for space in "\t\n\r":
        if space in body:
            body = body.replace(space, " ")
    escaped = body.split("\0")
    prefix = f"{game_id}\t{source}\t"
    return "".join(
        [
            f"{prefix}{key}\t{order}\t{text}\n"
            for order, (key, text) in enumerate(zip(keys, escaped, strict=True))
        ]
    ).encode()


@dataclass(frozen=True)
class RawGame:
    """A game's stored raw actions as one JSON array (the source's own layout of a bare array), with
    what its clutch rows need besides: its date, and which raw load this is."""

    nba_game_id: str
    source: str
    game_date: date
    loaded_at: datetime
    content_sha256: str | None
    actions_json: bytes


def raw_games(conn: psycopg.Connection, game_ids: Sequence[str]) -> list[RawGame]:
    """The raw actions of each game whose last successful load stored them, from that load's source,
    in their original order. The JSON is built by the server (5 s a season here, against 13 s to turn
    600,000 JSONB values into Python objects in this process) and decoded where it is parsed."""
    rows = conn.execute(
        """
        SELECT l.nba_game_id, l.source, g.game_date, l.loaded_at, l.content_sha256, convert_to(a.json, 'UTF8')
        FROM nba_game_loads l
        JOIN games g ON g.nba_game_id = l.nba_game_id
        CROSS JOIN LATERAL (  -- per game, so that it reads the game's rows through the primary key
            SELECT '[' || string_agg(r.payload::text, ',' ORDER BY r.action_order) || ']' AS json
            FROM nba_raw_actions r WHERE r.nba_game_id = l.nba_game_id AND r.source = l.source
        ) a
        WHERE l.nba_game_id = ANY(%s) AND l.loaded_at IS NOT NULL AND a.json IS NOT NULL
        ORDER BY l.nba_game_id
        """,
        (list(game_ids),),
    ).fetchall()
    return [RawGame(*row) for row in rows]


def games_by_id(conn: psycopg.Connection, game_ids: Sequence[str]) -> dict[str, tuple[uuid.UUID, date, str]]:
    """(game UUID, game date, season type) by NBA game id, for the games that exist."""
    rows = conn.execute(
        "SELECT nba_game_id, game_id, game_date, season_type FROM games WHERE nba_game_id = ANY(%s)",
        (list(game_ids),),
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def record_loads(conn: psycopg.Connection, loads: Sequence[LoadRow]) -> dict[str, datetime]:
    """Record each game's load attempt; the time of each successful one (the transaction's), by game."""
    if not loads:
        return {}
    rows = conn.execute(
        """
        INSERT INTO nba_game_loads (nba_game_id, status, source, origin, actions, content_sha256, error,
                                    attempted_at, loaded_at)
        SELECT g.*, now(), CASE WHEN g.status = 'loaded' THEN now() END
        FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::text[], %s::int[], %s::text[],
                    %s::text[]) AS g(nba_game_id, status, source, origin, actions, content_sha256, error)
        ON CONFLICT (nba_game_id) DO UPDATE SET
            status = EXCLUDED.status, source = EXCLUDED.source, origin = EXCLUDED.origin,
            actions = EXCLUDED.actions, content_sha256 = EXCLUDED.content_sha256, error = EXCLUDED.error,
            attempted_at = EXCLUDED.attempted_at,
            loaded_at = COALESCE(EXCLUDED.loaded_at, nba_game_loads.loaded_at)
        RETURNING nba_game_id, status, loaded_at
        """,
        (
            [r.nba_game_id for r in loads],
            [r.status for r in loads],
            [r.source for r in loads],
            [r.origin for r in loads],
            [r.actions for r in loads],
            [r.content_sha256 for r in loads],
            [r.error for r in loads],
        ),
    ).fetchall()
    return {game_id: loaded_at for game_id, status, loaded_at in rows if status == "loaded"}


def loaded_hashes(conn: psycopg.Connection, game_ids: Sequence[str]) -> dict[str, str]:
    """The content hash of each game's last successful load, to skip games that did not change."""
    return dict(
        conn.execute(
            """SELECT nba_game_id, content_sha256 FROM nba_game_loads
               WHERE status = 'loaded' AND nba_game_id = ANY(%s)""",
            (list(game_ids),),
        ).fetchall()
    )


def loaded_game_ids(conn: psycopg.Connection) -> list[str]:
    """Every game whose last load succeeded, in game-id order."""
    rows = conn.execute(
        "SELECT nba_game_id FROM nba_game_loads WHERE status = 'loaded' ORDER BY nba_game_id"
    ).fetchall()
    return [game_id for (game_id,) in rows]


def failed_loads(conn: psycopg.Connection, game_ids: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(game id, error) of every game whose last load failed, optionally among ``game_ids``."""
    rows = conn.execute(
        """SELECT nba_game_id, error FROM nba_game_loads
           WHERE status = 'failed' AND (%(all)s OR nba_game_id = ANY(%(ids)s))
           ORDER BY nba_game_id""",
        {"all": game_ids is None, "ids": list(game_ids or [])},
    ).fetchall()
    return [(game_id, error) for game_id, error in rows]


SITUATION_COLUMNS = (
    "situation_id, game_id, situation_type, start_timestamp, end_timestamp, game_clock_start, "
    "game_clock_end, period, score_margin, score_margin_absolute, home_score, away_score, is_clutch_time, "
    "clutch_intensity, playoff_game, elimination_game, data_source, window_number, end_score_margin, "
    "end_home_score, end_away_score, time_method, time_error_seconds"
)
PLAYER_ACTION_COLUMNS = (
    "action_id, situation_id, game_id, player_id, action_timestamp, action_type, action_subtype, "
    "is_successful, points_scored, shot_distance, shot_location_x, shot_location_y, expected_points, "
    "points_over_expected, data_source, team_id, "
    "source, source_action_key, period, game_clock, score_margin_before, time_method, time_error_seconds"
)


def replace_clutch(
    conn: psycopg.Connection,
    game_uuids: Sequence[uuid.UUID],
    situations: Iterable[tuple],
    player_actions: Iterable[tuple],
) -> tuple[int, int]:
    """Replace the clutch rows of these games with the given rows (in the column orders above)."""
    conn.execute("DELETE FROM clutch_situations WHERE game_id = ANY(%s)", (list(game_uuids),))
    counts = []
    for table, columns, rows in (
        ("clutch_situations", SITUATION_COLUMNS, situations),
        ("clutch_player_actions", PLAYER_ACTION_COLUMNS, player_actions),
    ):
        written = 0
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), sql.SQL(columns))
        with conn.cursor().copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        counts.append(written)
    return counts[0], counts[1]


def stale_derivations(
    conn: psycopg.Connection, season: str, shot_model: str, exclude: Sequence[str] = ()
) -> list[str]:
    """The season's loaded games (but ``exclude``) whose clutch rows were not derived from their last
    raw load with this shot model: never derived (a load killed between its raw and clutch writes, a
    run of the raw asset alone), derived from an earlier load, or scored with another model."""
    rows = conn.execute(
        """
        SELECT l.nba_game_id FROM nba_game_loads l
        LEFT JOIN nba_clutch_derivations d ON d.nba_game_id = l.nba_game_id
        WHERE l.status = 'loaded' AND substr(l.nba_game_id, 4, 2) = %s AND NOT l.nba_game_id = ANY(%s)
          AND (d.nba_game_id IS NULL OR d.raw_loaded_at IS DISTINCT FROM l.loaded_at
               OR d.shot_model IS DISTINCT FROM %s)
        ORDER BY l.nba_game_id
        """,
        (season[2:4], list(exclude), shot_model),
    ).fetchall()
    return [game_id for (game_id,) in rows]


@dataclass(frozen=True)
class Derivation:
    nba_game_id: str
    raw_loaded_at: datetime
    content_sha256: str | None
    shot_model: str


def record_derivations(conn: psycopg.Connection, derivations: Sequence[Derivation]) -> None:
    """Record what each game's clutch rows were derived from: in the transaction that writes them."""
    if not derivations:
        return
    conn.execute(
        """
        INSERT INTO nba_clutch_derivations (nba_game_id, raw_loaded_at, content_sha256, shot_model)
        SELECT * FROM unnest(%s::varchar[], %s::timestamptz[], %s::text[], %s::text[])
        ON CONFLICT (nba_game_id) DO UPDATE SET
            raw_loaded_at = EXCLUDED.raw_loaded_at, content_sha256 = EXCLUDED.content_sha256,
            shot_model = EXCLUDED.shot_model, derived_at = now()
        """,
        (
            [d.nba_game_id for d in derivations],
            [d.raw_loaded_at for d in derivations],
            [d.content_sha256 for d in derivations],
            [d.shot_model for d in derivations],
        ),
    )


# Each table's rows as JSON, UUIDs replaced by the natural keys they stand for, load times left out.
_CONTENT = {
    "teams": "SELECT to_jsonb(t) - '{team_id,created_at,updated_at}'::text[] FROM teams t",
    "players": "SELECT to_jsonb(p) - '{player_id,created_at,updated_at}'::text[] FROM players p",
    "games": """
        SELECT to_jsonb(g) - '{game_id,home_team_id,away_team_id,created_at,updated_at}'::text[]
               || jsonb_build_object('home', h.nba_team_id, 'away', a.nba_team_id)
        FROM games g JOIN teams h ON h.team_id = g.home_team_id JOIN teams a ON a.team_id = g.away_team_id""",
    "nba_raw_actions": "SELECT to_jsonb(r) - 'loaded_at' FROM nba_raw_actions r",
    "nba_game_loads": "SELECT to_jsonb(l) - '{attempted_at,loaded_at}'::text[] FROM nba_game_loads l",
    "nba_game_players": """
        SELECT jsonb_build_object('game', g.nba_game_id, 'player', p.nba_person_id, 'team', t.nba_team_id)
        FROM nba_game_players gp JOIN games g ON g.game_id = gp.game_id
        JOIN players p ON p.player_id = gp.player_id JOIN teams t ON t.team_id = gp.team_id""",
    "clutch_situations": """
        SELECT to_jsonb(s) - '{situation_id,game_id,created_at,updated_at}'::text[]
               || jsonb_build_object('game', g.nba_game_id)
        FROM clutch_situations s JOIN games g ON g.game_id = s.game_id""",
    "clutch_player_actions": """
        SELECT to_jsonb(a) - '{action_id,situation_id,game_id,player_id,team_id,created_at}'::text[]
               || jsonb_build_object('game', g.nba_game_id, 'window', s.window_number,
                                     'player', p.nba_person_id, 'team', t.nba_team_id)
        FROM clutch_player_actions a JOIN games g ON g.game_id = a.game_id
        JOIN clutch_situations s ON s.situation_id = a.situation_id
        JOIN players p ON p.player_id = a.player_id LEFT JOIN teams t ON t.team_id = a.team_id""",
    "nba_shot_models": "SELECT to_jsonb(m) - 'fitted_at' FROM nba_shot_models m",
    "nba_clutch_derivations": """
        SELECT to_jsonb(d) - '{raw_loaded_at,derived_at}'::text[] FROM nba_clutch_derivations d""",
}


def content_checksums(conn: psycopg.Connection) -> dict[str, tuple[int, str]]:
    """(rows, MD5 of their content) of every table the NBA load writes, by table. Content is keyed by
    natural keys (NBA ids, window numbers, action keys), not UUIDs, and leaves out when rows were
    written: two databases that loaded the same games hold the same checksums however their loads went
    (interrupted and resumed, or clean)."""
    result = {}
    for table, rows in _CONTENT.items():
        statement = sql.SQL(
            """SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '')
               FROM (SELECT md5(x.r::text) AS h FROM ({}) AS x(r)) AS y"""
        ).format(sql.SQL(rows))
        count, digest = conn.execute(statement).fetchone()
        result[table] = (count, digest)
    return result


def clutch_player_totals(
    conn: psycopg.Connection, season: str, season_type: str
) -> dict[int, dict[str, int]]:
    """Per-player clutch box totals for a season, by NBA person id (for validation and reports)."""
    rows = conn.execute(
        """
        SELECT p.nba_person_id,
               count(*) FILTER (WHERE a.action_type = 'field_goal_made'),
               count(*) FILTER (WHERE a.action_type IN ('field_goal_made', 'field_goal_missed')),
               count(*) FILTER (WHERE a.action_type = 'field_goal_made'
                                  AND a.action_subtype = 'three_pointer'),
               count(*) FILTER (WHERE a.action_type IN ('field_goal_made', 'field_goal_missed')
                                  AND a.action_subtype = 'three_pointer'),
               count(*) FILTER (WHERE a.action_type = 'free_throw' AND a.is_successful),
               count(*) FILTER (WHERE a.action_type = 'free_throw'),
               coalesce(sum(a.points_scored), 0),
               count(*) FILTER (WHERE a.action_type = 'assist'),
               count(*) FILTER (WHERE a.action_type = 'turnover'),
               count(*) FILTER (WHERE a.action_type = 'steal'),
               count(*) FILTER (WHERE a.action_type = 'block'),
               count(*) FILTER (WHERE a.action_type = 'rebound')
        FROM clutch_player_actions a
        JOIN games g ON g.game_id = a.game_id
        JOIN players p ON p.player_id = a.player_id
        WHERE g.season = %s AND g.season_type = %s
        GROUP BY p.nba_person_id
        """,
        (season, season_type),
    ).fetchall()
    names = ("FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "PTS", "AST", "TOV", "STL", "BLK", "REB")
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}


def season_load_state(conn: psycopg.Connection, season: str, season_type: str) -> tuple[int, int, int]:
    """(games known, games whose last load succeeded, games whose last load failed) of a season."""
    row = conn.execute(
        """
        SELECT count(*),
               count(*) FILTER (WHERE l.status = 'loaded'),
               (SELECT count(*) FROM nba_game_loads f
                WHERE f.status = 'failed' AND substr(f.nba_game_id, 3, 1) = %(type_digit)s
                  AND substr(f.nba_game_id, 4, 2) = %(year)s)
        FROM games g LEFT JOIN nba_game_loads l ON l.nba_game_id = g.nba_game_id
        WHERE g.season = %(season)s AND g.season_type = %(season_type)s
        """,
        {
            "season": season,
            "season_type": season_type,
            "type_digit": {"preseason": "1", "regular_season": "2", "playoffs": "4", "play_in": "5"}.get(
                season_type, "2"
            ),
            "year": season[2:4],
        },
    ).fetchone()
    return row[0], row[1], row[2]


def final_and_loaded(conn: psycopg.Connection, game_ids: Sequence[str]) -> set[str]:
    """Games that are over and whose last load succeeded: an API backfill need not fetch them again."""
    rows = conn.execute(
        """SELECT g.nba_game_id FROM games g JOIN nba_game_loads l USING (nba_game_id)
           WHERE g.status = 'final' AND l.status = 'loaded' AND g.nba_game_id = ANY(%s)""",
        (list(game_ids),),
    ).fetchall()
    return {game_id for (game_id,) in rows}


def season_field_goals(conn: psycopg.Connection, season: str, exclude: Sequence[str] = ()) -> Iterable[tuple]:
    """Every loaded field goal of a season, as the raw fields a shot model reads: (source, actionType,
    subType, description, playerNameI, shotDistance, xLegacy, yLegacy, shotValue, shotResult).
    A server-side cursor: a season is about 220,000 rows."""
    year = season[2:4]
    with conn.cursor(name="season_field_goals") as cursor:
        cursor.itersize = 20_000
        cursor.execute(
            """
            SELECT r.source, r.payload->>'actionType', r.payload->>'subType', r.payload->>'description',
                   coalesce(nullif(r.payload->>'playerNameI', ''), r.payload->>'playerName'),
                   r.payload->>'shotDistance', r.payload->>'xLegacy',
                   r.payload->>'yLegacy', r.payload->>'shotValue', r.payload->>'shotResult'
            FROM nba_raw_actions r
            JOIN nba_game_loads l ON l.nba_game_id = r.nba_game_id AND l.status = 'loaded'
                                 AND l.source = r.source
            WHERE substr(r.nba_game_id, 4, 2) = %s AND (r.payload->>'isFieldGoal')::int = 1
              AND NOT r.nba_game_id = ANY(%s)
            """,
            (year, list(exclude)),
        )
        yield from cursor


def season_free_throws(conn: psycopg.Connection, season: str, exclude: Sequence[str] = ()) -> tuple[int, int]:
    """(made, attempted) free throws of a season's loaded games, but those in ``exclude``."""
    row = conn.execute(
        """
        SELECT count(*) FILTER (WHERE coalesce(r.payload->>'shotResult', '') = 'Made'
                                   OR (r.source = 'v3' AND r.payload->>'description' NOT LIKE 'MISS%%')),
               count(*)
        FROM nba_raw_actions r
        JOIN nba_game_loads l ON l.nba_game_id = r.nba_game_id AND l.status = 'loaded' AND l.source = r.source
        WHERE substr(r.nba_game_id, 4, 2) = %s AND NOT r.nba_game_id = ANY(%s)
          AND lower(replace(r.payload->>'actionType', ' ', '')) = 'freethrow'
        """,
        (season[2:4], list(exclude)),
    ).fetchone()
    return row[0], row[1]


def loaded_games_outside(conn: psycopg.Connection, season: str, game_ids: Sequence[str]) -> bool:
    """Whether the season has a loaded game that is not one of ``game_ids``."""
    return conn.execute(
        """SELECT EXISTS (SELECT 1 FROM nba_game_loads WHERE status = 'loaded'
                          AND substr(nba_game_id, 4, 2) = %s AND NOT nba_game_id = ANY(%s))""",
        (season[2:4], list(game_ids)),
    ).fetchone()[0]


def loaded_games_in_season(conn: psycopg.Connection, season: str) -> int:
    return conn.execute(
        "SELECT count(*) FROM nba_game_loads WHERE status = 'loaded' AND substr(nba_game_id, 4, 2) = %s",
        (season[2:4],),
    ).fetchone()[0]


def shot_model_rows(conn: psycopg.Connection, season: str) -> tuple[list[tuple], int]:
    """The stored model of a season (rows as shots.ROW_COLUMNS) and how many games it saw."""
    rows = conn.execute(
        "SELECT zone, family, attempts, makes, probability, games FROM nba_shot_models WHERE season = %s",
        (season,),
    ).fetchall()
    return [tuple(r[:5]) for r in rows], (rows[0][5] if rows else 0)


def replace_shot_model(conn: psycopg.Connection, season: str, rows: Sequence[tuple], games: int) -> None:
    conn.execute("DELETE FROM nba_shot_models WHERE season = %s", (season,))
    with conn.cursor().copy(
        "COPY nba_shot_models (season, zone, family, attempts, makes, probability, games) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row((season, *row, games))
