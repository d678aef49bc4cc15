"""What the read API and the pages ask of the pipeline's tables: players and games by the ids users
know, a player's clutch season, a game's clutch windows and actions, the leaderboard with its wearables
correlation, and an athlete's wearables. Read-only; every value JSON-ready (dates as dates, ids as UUIDs,
decimals as floats, a missing value as None: never an invented one).
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import date, datetime, timedelta

import psycopg
from psycopg.rows import dict_row

_DIGITS = re.compile(r"[0-9]{1,18}")
_NBA_GAME_ID = re.compile(r"00[1-6][0-9]{7}")
# Game clocks as the feeds write them ('PT04M59.00S') and as our clutch tables do ('4:59', '0:24.6').
_CLOCK = re.compile(r"PT(\d+)M(\d+(?:\.\d+)?)S|(\d+):(\d+(?:\.\d+)?)")
# The pregame wearables the model uses, as clutch_game_scores names them.
COVARIATES = ("recovery_score_pregame", "hrv_baseline_deviation", "sleep_performance_pregame")


def _uuid(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


def _rows(conn: psycopg.Connection, query: str, params: dict) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def _one(conn: psycopg.Connection, query: str, params: dict) -> dict | None:
    rows = _rows(conn, query, params)
    return rows[0] if rows else None


# ---------------------------------------------------------------------------------------------------
# Players and games by the ids users know


_PLAYER = """
SELECT p.player_id, p.nba_person_id, p.full_name AS name,
       (SELECT t.tricode FROM nba_game_players gp
        JOIN games g ON g.game_id = gp.game_id JOIN teams t ON t.team_id = gp.team_id
        WHERE gp.player_id = p.player_id
        ORDER BY g.game_date DESC, g.nba_game_id DESC LIMIT 1) AS team_tricode
FROM players p
WHERE (%(person)s::bigint IS NOT NULL AND p.nba_person_id = %(person)s::bigint)
   OR (%(uuid)s::uuid IS NOT NULL AND p.player_id = %(uuid)s::uuid)
"""


def resolve_player(conn: psycopg.Connection, ref: str) -> dict | None:
    """A player named by his NBA person id (digits) or our UUID, with his latest team; None when the
    ref is neither or names nobody."""
    ref = ref.strip()
    person = int(ref) if _DIGITS.fullmatch(ref) else None
    player_uuid = None if person is not None else _uuid(ref)
    if person is None and player_uuid is None:
        return None
    return _one(conn, _PLAYER, {"person": person, "uuid": player_uuid})


_GAME = """
SELECT g.game_id, g.nba_game_id, g.season, g.game_date, g.tipoff_at, g.status,
       h.tricode AS home_tricode, a.tricode AS away_tricode, g.home_score, g.away_score
FROM games g
JOIN teams h ON h.team_id = g.home_team_id
JOIN teams a ON a.team_id = g.away_team_id
WHERE (%(nba)s::text IS NOT NULL AND g.nba_game_id = %(nba)s::text)
   OR (%(uuid)s::uuid IS NOT NULL AND g.game_id = %(uuid)s::uuid)
"""


def resolve_game(conn: psycopg.Connection, ref: str) -> dict | None:
    """A game named by its NBA game id ('0022200001') or our UUID; None when the ref is neither or
    names no game."""
    ref = ref.strip()
    nba = ref if _NBA_GAME_ID.fullmatch(ref) else None
    game_uuid = None if nba is not None else _uuid(ref)
    if nba is None and game_uuid is None:
        return None
    return _one(conn, _GAME, {"nba": nba, "uuid": game_uuid})


# ---------------------------------------------------------------------------------------------------
# A player's clutch season


def latest_season(conn: psycopg.Connection) -> str | None:
    """The latest season with game clutch scores (what a page shows when none is asked)."""
    return conn.execute("SELECT max(season) FROM clutch_game_scores").fetchone()[0]


def player_seasons(conn: psycopg.Connection, player_id: uuid.UUID) -> list[str]:
    """The seasons in which he has game clutch scores, newest first."""
    rows = conn.execute(
        "SELECT DISTINCT season FROM clutch_game_scores WHERE player_id = %s ORDER BY season DESC",
        (player_id,),
    ).fetchall()
    return [season for (season,) in rows]


_PLAYER_GAMES = """
SELECT s.game_id, g.nba_game_id, s.game_date,
       CASE WHEN s.team_id = g.home_team_id THEN a.tricode
            WHEN s.team_id = g.away_team_id THEN h.tricode END AS opponent,
       (s.team_id = g.home_team_id) AS home,
       s.situations, s.actions_total, s.points_scored,
       s.points_over_expected::float8 AS points_over_expected,
       s.clutch_score::float8 AS clutch_score, s.clutch_percentile::float8 AS clutch_percentile,
       s.has_wearables_data,
       s.hrv_baseline_deviation::float8 AS hrv_baseline_deviation,
       s.recovery_score_pregame::float8 AS recovery_score_pregame,
       s.sleep_performance_pregame::float8 AS sleep_performance_pregame
FROM clutch_game_scores s
JOIN games g ON g.game_id = s.game_id
JOIN teams h ON h.team_id = g.home_team_id
JOIN teams a ON a.team_id = g.away_team_id
WHERE s.player_id = %(player)s AND s.season = %(season)s
ORDER BY s.game_date, g.nba_game_id
"""


def player_clutch_games(conn: psycopg.Connection, player_id: uuid.UUID, season: str) -> list[dict]:
    """His game clutch scores of the season with their pregame wearables (None where there were none),
    in date order. ``home`` is None when his team in the game is unknown."""
    return _rows(conn, _PLAYER_GAMES, {"player": player_id, "season": season})


# ---------------------------------------------------------------------------------------------------
# A game's clutch windows, score margin and clutch actions


def elapsed_seconds(period: int | None, clock: str | None) -> float | None:
    """Seconds since tip-off on the game clock at ``clock`` ('4:56', 'PT04M56.00S') of ``period``:
    periods of 12 minutes, overtimes of 5 (the NBA stage's rule, nba/clock.py; stages share no code)."""
    match = _CLOCK.fullmatch(clock or "")
    if period is None or not match:
        return None
    minutes, seconds = (match[1], match[2]) if match[1] is not None else (match[3], match[4])
    left = int(minutes) * 60 + float(seconds)
    period = int(period)
    before = min(period - 1, 4) * 720 + max(period - 5, 0) * 300
    return round(before + (720 if period <= 4 else 300) - left, 1)


_SITUATIONS = """
SELECT situation_id, window_number, situation_type, period, game_clock_start AS start_clock,
       game_clock_end AS end_clock, score_margin AS start_margin, end_score_margin AS end_margin,
       start_timestamp, end_timestamp
FROM clutch_situations WHERE game_id = %(game)s
ORDER BY start_timestamp, window_number
"""

_ACTIONS = """
SELECT a.player_id, p.nba_person_id, p.full_name AS player_name, t.tricode AS team_tricode,
       a.period, a.game_clock AS clock, a.action_timestamp, a.action_type, a.action_subtype,
       a.points_scored AS points, a.is_successful AS successful,
       a.points_over_expected::float8 AS points_over_expected,
       w.game_id IS NOT NULL AS has_wearables_data, w.workout_match,
       w.workout_strain::float8 AS workout_strain,
       w.workout_average_heart_rate::float8 AS workout_average_heart_rate,
       w.workout_max_heart_rate::float8 AS workout_max_heart_rate,
       w.hrv_rmssd_interpolated::float8 AS hrv_rmssd_interpolated,
       w.resting_hr_interpolated::float8 AS resting_hr_interpolated,
       w.quality_score::float8 AS wearables_quality_score
FROM clutch_player_actions a
JOIN players p ON p.player_id = a.player_id
LEFT JOIN teams t ON t.team_id = a.team_id
LEFT JOIN clutch_action_wearables w
       ON w.game_id = a.game_id AND w.source = a.source
      AND w.source_action_key = a.source_action_key AND w.action_type = a.action_type
WHERE a.game_id = %(game)s
ORDER BY a.action_timestamp, a.source_action_key, a.action_type
"""

# Each raw action's score, in game order (the feeds leave it empty on actions that do not score), from
# one source when a game was loaded from both.
_SCORES = """
WITH game AS (SELECT nba_game_id FROM games WHERE game_id = %(game)s),
     chosen AS (SELECT min(r.source) AS source FROM nba_raw_actions r JOIN game USING (nba_game_id))
SELECT r.payload->>'period' AS period, r.payload->>'clock' AS clock,
       r.payload->>'scoreHome' AS home, r.payload->>'scoreAway' AS away
FROM nba_raw_actions r JOIN game USING (nba_game_id) JOIN chosen USING (source)
ORDER BY r.action_order
"""


def score_margin_series(conn: psycopg.Connection, game_id: uuid.UUID) -> list[dict]:
    """Home minus away after each action that changed the score, from 0 at tip-off (0 s)."""
    series = [{"elapsed_s": 0.0, "margin": 0}]
    last = (0, 0)
    for row in _rows(conn, _SCORES, {"game": game_id}):
        try:
            score = (int(row["home"]), int(row["away"]))
        except (TypeError, ValueError):
            continue
        if score == last:
            continue
        last = score
        elapsed = elapsed_seconds(int(row["period"]), row["clock"])
        if elapsed is not None:
            series.append({"elapsed_s": elapsed, "margin": score[0] - score[1]})
    return series


def game_clutch_detail(conn: psycopg.Connection, game_id: uuid.UUID) -> dict:
    """A game's clutch windows (on the game clock), its score margin over the game, and the players'
    clutch actions with their wearables context where the athlete had one."""
    params = {"game": game_id}
    situations = _rows(conn, _SITUATIONS, params)
    for s in situations:
        s["start_elapsed_s"] = elapsed_seconds(s["period"], s["start_clock"])
        s["end_elapsed_s"] = elapsed_seconds(s["period"], s["end_clock"])
    actions = _rows(conn, _ACTIONS, params)
    for a in actions:
        a["elapsed_s"] = elapsed_seconds(a["period"], a["clock"])
    return {"situations": situations, "margin": score_margin_series(conn, game_id), "actions": actions}


# ---------------------------------------------------------------------------------------------------
# The season's leaderboard and the wearables correlation


_LEADERBOARD = """
WITH per_player AS (
    SELECT s.player_id, count(*) AS games, avg(s.clutch_score)::float8 AS mean_clutch_score,
           sum(s.points_over_expected)::float8 AS total_points_over_expected,
           count(*) FILTER (WHERE s.has_wearables_data) AS games_with_wearables
    FROM clutch_game_scores s
    WHERE s.season = %(season)s
    GROUP BY s.player_id
    HAVING count(*) >= %(min_games)s
), ranked AS (
    SELECT rank() OVER (ORDER BY pp.mean_clutch_score DESC) AS rank, pp.*, p.nba_person_id,
           p.full_name AS name, count(*) OVER () AS total
    FROM per_player pp JOIN players p ON p.player_id = pp.player_id
)
SELECT r.*,
       (SELECT t.tricode FROM clutch_game_scores s2 JOIN teams t ON t.team_id = s2.team_id
        WHERE s2.player_id = r.player_id AND s2.season = %(season)s
        ORDER BY s2.game_date DESC LIMIT 1) AS team_tricode
FROM ranked r
ORDER BY r.mean_clutch_score DESC, r.nba_person_id
LIMIT %(limit)s OFFSET %(offset)s
"""


def leaderboard(
    conn: psycopg.Connection, season: str, min_games: int, limit: int, offset: int
) -> tuple[list[dict], int]:
    """One page of the season's players with at least ``min_games`` clutch games, by mean game clutch
    score (ties share a rank; listed by NBA person id), and how many players qualify in all."""
    params = {"season": season, "min_games": min_games, "limit": limit, "offset": offset}
    rows = _rows(conn, _LEADERBOARD, params)
    if rows:
        total = rows[0]["total"]
    else:
        total = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM clutch_game_scores WHERE season = %s"
            " GROUP BY player_id HAVING count(*) >= %s) q",
            (season, min_games),
        ).fetchone()[0]
    for row in rows:
        del row["total"]
    return rows, total


def fisher_interval(r: float | None, n: int, z_crit: float = 1.959964) -> tuple[float | None, float | None]:
    """The 95% interval of a Pearson r by Fisher's z; None without one (n < 4 or |r| = 1 has none)."""
    if r is None or n < 4 or abs(r) >= 1:
        return None, None
    z = math.atanh(r)
    half = z_crit / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


_CORRELATION = """
SELECT count(s.{c}) AS n, corr(s.{c}, s.clutch_score)::float8 AS r
FROM clutch_game_scores s
WHERE s.season = %(season)s
  AND s.player_id IN (SELECT player_id FROM clutch_game_scores WHERE season = %(season)s
                      GROUP BY player_id HAVING count(*) >= %(min_games)s)
"""


def wearables_correlation(conn: psycopg.Connection, season: str, min_games: int) -> list[dict]:
    """Pearson's r between each pregame wearables value and the game clutch score, over the player-games
    of the leaderboard's players that have the value, with its sample size and Fisher-z 95% interval.
    Descriptive: the model's wearables effects (adjusted for the player and the game) are its report."""
    out = []
    for covariate in COVARIATES:
        n, r = conn.execute(
            _CORRELATION.format(c=covariate), {"season": season, "min_games": min_games}
        ).fetchone()
        if n < 3 or r is None or math.isnan(r):
            r = None
        low, high = fisher_interval(r, n)
        out.append({"covariate": covariate, "n": n, "r": r, "ci_low": low, "ci_high": high})
    return out


# ---------------------------------------------------------------------------------------------------
# An athlete's wearables


_SUMMARIES = """
SELECT s.summary_date, d.device_type,
       s.hrv_rmssd_avg::float8 AS hrv_rmssd_avg, s.hrv_rmssd_min::float8 AS hrv_rmssd_min,
       s.hrv_rmssd_max::float8 AS hrv_rmssd_max,
       s.hrv_baseline_deviation::float8 AS hrv_baseline_deviation,
       s.resting_hr_avg::float8 AS resting_hr_avg, s.resting_hr_min::float8 AS resting_hr_min,
       s.hr_variability_index::float8 AS hr_variability_index, s.day_strain::float8 AS day_strain,
       s.recovery_score::float8 AS recovery_score,
       s.sleep_performance_score::float8 AS sleep_performance_score,
       s.total_sleep_minutes, s.rem_sleep_minutes, s.deep_sleep_minutes,
       s.sleep_efficiency::float8 AS sleep_efficiency,
       s.respiratory_rate_avg::float8 AS respiratory_rate_avg,
       s.data_completeness::float8 AS data_completeness, s.data_source, s.updated_at
FROM wearables_daily_summary s
JOIN wearables_devices d ON d.device_id = s.device_id
WHERE s.player_id = %(player)s AND s.summary_date BETWEEN %(start)s AND %(end)s
ORDER BY s.summary_date, d.device_type
"""


def daily_summaries(conn: psycopg.Connection, player_id: uuid.UUID, start: date, end: date) -> list[dict]:
    """His daily wearables summaries from ``start`` to ``end`` (both included, his local dates)."""
    return _rows(conn, _SUMMARIES, {"player": player_id, "start": start, "end": end})


# A reading's time is its end (a sleep, a workout, a cycle) or its instant.
_LATEST = """
SELECT max(coalesce(reading_end, reading_timestamp)) FROM wearables_readings WHERE player_id = %s
"""

_WINDOW = """
SELECT source_record_type AS record_type, source_record_id AS record_id, metric_type,
       metric_value::float8 AS value, metric_unit AS unit, reading_timestamp AS start,
       reading_end AS "end", timezone_offset, quality_score::float8 AS quality_score, activity_state
FROM wearables_readings
WHERE player_id = %(player)s
  AND coalesce(reading_end, reading_timestamp) > %(start)s
  AND coalesce(reading_end, reading_timestamp) <= %(end)s
ORDER BY coalesce(reading_end, reading_timestamp), source_record_type, metric_type
"""


def latest_wearables(conn: psycopg.Connection, player_id: uuid.UUID, hours: int = 24) -> dict:
    """His readings of the ``hours`` ending at his latest one (his latest, not now: the data may be old),
    with the window; an empty window (None, None) when he has no readings."""
    end: datetime | None = conn.execute(_LATEST, (player_id,)).fetchone()[0]
    if end is None:
        return {"window_start": None, "window_end": None, "readings": []}
    start = end - timedelta(hours=hours)
    readings = _rows(conn, _WINDOW, {"player": player_id, "start": start, "end": end})
    return {"window_start": start, "window_end": end, "readings": readings}
