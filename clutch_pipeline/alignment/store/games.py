"""Which games of a season exist, what their alignment was computed from, and the 'alignment' queue."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import psycopg


def season_games(conn: psycopg.Connection, season: str) -> list[uuid.UUID]:
    """Every game of the season we know of (played or scheduled), in date order."""
    rows = conn.execute(
        "SELECT game_id FROM games WHERE season = %s ORDER BY game_date, nba_game_id", (season,)
    ).fetchall()
    return [game_id for (game_id,) in rows]


def game_ids_of(conn: psycopg.Connection, nba_game_ids: Sequence[str]) -> list[uuid.UUID]:
    """Our ids of the NBA's game ids (unknown ones are left out)."""
    rows = conn.execute(
        "SELECT game_id FROM games WHERE nba_game_id = ANY(%s) ORDER BY game_date, nba_game_id",
        (list(nba_game_ids),),
    ).fetchall()
    return [game_id for (game_id,) in rows]


def mark_aligned(conn: psycopg.Connection, game_ids: Sequence[uuid.UUID], now: datetime) -> None:
    """Record that these games were aligned from their current NBA derivation."""
    conn.execute(
        """
        INSERT INTO alignment_games (game_id, clutch_derived_at, aligned_at)
        SELECT g.game_id, d.derived_at, %(now)s
        FROM games g LEFT JOIN nba_clutch_derivations d ON d.nba_game_id = g.nba_game_id
        WHERE g.game_id = ANY(%(games)s)
        ON CONFLICT (game_id) DO UPDATE
            SET clutch_derived_at = EXCLUDED.clutch_derived_at, aligned_at = EXCLUDED.aligned_at
        """,
        {"games": list(game_ids), "now": now},
    )


def consume_alignment_queue(conn: psycopg.Connection, season: str, started_at: datetime) -> int:
    """Delete the 'alignment' queue rows a season's run has taken into account, queued before the run
    started: days within a day of the season's games, and days within a day of no game at all (they
    feed no pregame context). Later rows stay for the next run."""
    # The season's span first, as parameters: joined into the DELETE, a planner with stale statistics
    # (right after a season load) recomputed it once per queued row (12-19 s for a season's 110,000).
    first, last = conn.execute(
        "SELECT min(game_date) - 1, max(game_date) + 1 FROM games WHERE season = %s", (season,)
    ).fetchone()
    return conn.execute(
        """
        DELETE FROM wearables_changed_days q
        WHERE q.consumer = 'alignment' AND q.changed_at <= %(started)s
          AND (q.local_date BETWEEN %(first)s AND %(last)s
               OR NOT EXISTS (SELECT 1 FROM games g
                              WHERE g.game_date BETWEEN q.local_date - 1 AND q.local_date + 1))
        """,
        {"first": first, "last": last, "started": started_at},
    ).rowcount


def seasons_needing_alignment(conn: psycopg.Connection) -> dict[str, str]:
    """Seasons with a game to realign, each with a fingerprint of what makes it so (the latest NBA
    derivation not yet aligned and the latest wearables day queued): a sensor asks for one run per
    fingerprint, so a failing run is not asked for again until something new arrives."""
    rows = conn.execute(
        """
        WITH reloaded AS (
            SELECT g.season, max(d.derived_at) AS latest, count(*) AS games
            FROM nba_clutch_derivations d
            JOIN games g ON g.nba_game_id = d.nba_game_id
            LEFT JOIN alignment_games a ON a.game_id = g.game_id
            WHERE a.game_id IS NULL OR a.clutch_derived_at IS DISTINCT FROM d.derived_at
            GROUP BY g.season
        ), queued AS (
            SELECT g.season, max(q.changed_at) AS latest, count(DISTINCT q.local_date) AS days
            FROM wearables_changed_days q
            JOIN games g ON g.game_date BETWEEN q.local_date - 1 AND q.local_date + 1
            WHERE q.consumer = 'alignment'
            GROUP BY g.season
        )
        SELECT coalesce(r.season, q.season),
               concat_ws('|', r.games, r.latest, q.days, q.latest)
        FROM reloaded r FULL JOIN queued q USING (season)
        ORDER BY 1
        """
    ).fetchall()
    return dict(rows)


def action_coverage(conn: psycopg.Connection, season: str) -> dict[str, int]:
    """Clutch actions of the season, those of athletes with a consented device, and those aligned."""
    row = conn.execute(
        """
        SELECT count(*),
               count(*) FILTER (WHERE d.device_id IS NOT NULL),
               count(w.game_id)
        FROM clutch_player_actions a
        JOIN games g ON g.game_id = a.game_id AND g.season = %(season)s
        LEFT JOIN wearables_devices d ON d.player_id = a.player_id AND d.consent_granted
        LEFT JOIN clutch_action_wearables w
               ON w.game_id = a.game_id AND w.source = a.source
              AND w.source_action_key = a.source_action_key AND w.action_type = a.action_type
        """,
        {"season": season},
    ).fetchone()
    return {"clutch_actions": row[0], "of_athletes_with_devices": row[1], "with_wearables_context": row[2]}


def season_game_scores(conn: psycopg.Connection, season: str) -> list[float]:
    """Every game clutch score of the season (for the distribution plot)."""
    rows = conn.execute(
        "SELECT clutch_score::float8 FROM clutch_game_scores WHERE season = %s", (season,)
    ).fetchall()
    return [score for (score,) in rows]


def summary_deviations(conn: psycopg.Connection, first, last) -> list[float]:
    """The HRV baseline deviations of the days first..last that have one (for a plot)."""
    rows = conn.execute(
        "SELECT hrv_baseline_deviation::float8 FROM wearables_daily_summary"
        " WHERE summary_date BETWEEN %s AND %s AND hrv_baseline_deviation IS NOT NULL",
        (first, last),
    ).fetchall()
    return [value for (value,) in rows]


def pregame_values_after_tipoff(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(NBA game id, player id) of pregame rows holding a value measured at or after tip-off: the
    leakage the pregame context must never have. At most 20."""
    rows = conn.execute(
        """
        SELECT g.nba_game_id, c.player_id::text
        FROM pregame_context c JOIN games g USING (game_id)
        WHERE c.has_wearables_data AND c.tipoff_at IS NOT NULL
          AND (c.measured_until >= c.tipoff_at OR c.sleep_end_at >= c.tipoff_at
               OR c.tipoff_at IS DISTINCT FROM g.tipoff_at AND c.measured_until >= g.tipoff_at)
        ORDER BY 1, 2 LIMIT 20
        """
    ).fetchall()
    return [tuple(row) for row in rows]


def score_problems(conn: psycopg.Connection) -> dict[str, int]:
    """Counts of rows that break what the scores promise (each 0 when all is well)."""
    row = conn.execute(
        """
        SELECT
          (SELECT count(*) FROM clutch_game_scores
           WHERE clutch_score NOT BETWEEN 0 AND 100 OR clutch_percentile NOT BETWEEN 0 AND 100),
          (SELECT count(*) FROM clutch_performance_scores
           WHERE clutch_score NOT BETWEEN 0 AND 100 OR clutch_percentile NOT BETWEEN 0 AND 100),
          (SELECT count(*) FROM clutch_action_wearables WHERE quality_score NOT BETWEEN 0 AND 1),
          (SELECT count(*) FROM pregame_context WHERE wearables_quality_score NOT BETWEEN 0 AND 1),
          (SELECT count(*) FROM (SELECT 1 FROM clutch_performance_scores s
                                 JOIN clutch_situations c USING (situation_id)
                                 GROUP BY s.player_id, c.game_id, c.window_number HAVING count(*) > 1) d),
          (SELECT count(*) FROM (SELECT DISTINCT a.game_id, a.player_id FROM clutch_player_actions a
                                 JOIN alignment_games USING (game_id)) played
           WHERE NOT EXISTS (SELECT 1 FROM clutch_game_scores s
                             WHERE s.game_id = played.game_id AND s.player_id = played.player_id)),
          (SELECT count(*) FROM clutch_game_scores s
           WHERE NOT EXISTS (SELECT 1 FROM clutch_player_actions a
                             WHERE a.game_id = s.game_id AND a.player_id = s.player_id))
        """
    ).fetchone()
    names = (
        "game_scores_out_of_range",
        "situation_scores_out_of_range",
        "action_quality_out_of_range",
        "pregame_quality_out_of_range",
        "duplicate_situation_scores",
        "aligned_player_games_without_a_score",
        "game_scores_without_clutch_actions",
    )
    return dict(zip(names, row, strict=True))


def wearables_coverage(conn: psycopg.Connection) -> dict[str, int]:
    """How much of what could have wearables context has it: played player-games of athletes with a
    consented device, and those whose pregame context has wearables; game scores with wearables."""
    row = conn.execute(
        """
        SELECT
          count(*) FILTER (WHERE c.played AND d.device_id IS NOT NULL),
          count(*) FILTER (WHERE c.played AND c.has_wearables_data),
          (SELECT count(*) FROM clutch_game_scores),
          (SELECT count(*) FROM clutch_game_scores WHERE has_wearables_data)
        FROM pregame_context c
        LEFT JOIN wearables_devices d ON d.player_id = c.player_id AND d.consent_granted
        """
    ).fetchone()
    return {
        "player_games_of_athletes_with_devices": row[0],
        "player_games_with_pregame_wearables": row[1],
        "game_scores": row[2],
        "game_scores_with_wearables": row[3],
    }


def oldest_queued_day(conn: psycopg.Connection, consumer: str) -> tuple[datetime | None, int]:
    """When the oldest row still queued for ``consumer`` was queued, and how many rows are queued."""
    row = conn.execute(
        "SELECT min(changed_at), count(*) FROM wearables_changed_days WHERE consumer = %s", (consumer,)
    ).fetchone()
    return row[0], row[1]


def best_game_scores(conn: psycopg.Connection, seasons: list[str], limit: int = 5) -> list[dict]:
    """The season's best game clutch scores, with who, when, against whom and with what."""
    rows = conn.execute(
        """
        SELECT p.full_name, g.game_date, opp.tricode,
               s.clutch_score::float8, s.actions_total, s.points_scored, s.points_over_expected::float8,
               s.has_wearables_data, s.recovery_score_pregame::float8
        FROM clutch_game_scores s
        JOIN players p USING (player_id)
        JOIN games g USING (game_id)
        LEFT JOIN teams opp ON opp.team_id = CASE WHEN s.team_id = g.home_team_id
                                                  THEN g.away_team_id ELSE g.home_team_id END
        WHERE s.season = ANY(%s)
        ORDER BY s.clutch_score DESC, s.points_over_expected DESC NULLS LAST, p.nba_person_id
        LIMIT %s
        """,
        (seasons, limit),
    ).fetchall()
    names = (
        "player",
        "game_date",
        "opponent",
        "clutch_score",
        "actions",
        "points",
        "poe",
        "wearables",
        "recovery",
    )
    return [dict(zip(names, row, strict=True)) for row in rows]
