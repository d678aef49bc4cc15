"""Queries about the schema itself: what tables exist and how many rows they hold."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

_TABLES = """
SELECT c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'schema_migrations'
ORDER BY c.relname
"""


def table_names(conn: psycopg.Connection) -> list[str]:
    """Every application table in the public schema (the migration ledger excluded)."""
    return [name for (name,) in conn.execute(_TABLES).fetchall()]


def exact_row_counts(conn: psycopg.Connection, tables: list[str]) -> dict[str, int]:
    """Exact row counts of the named tables, in one round trip."""
    if not tables:
        return {}
    parts = [
        sql.SQL("SELECT {name}, count(*) FROM {table}").format(name=sql.Literal(t), table=sql.Identifier(t))
        for t in tables
    ]
    query = sql.SQL(" UNION ALL ").join(parts)
    return {name: count for name, count in conn.execute(query).fetchall()}


# ---------------------------------------------------------------------------------------------------
# A player's wearables data: the ONE list that consent revocation and retention both walk. A table that
# holds wearables data of a player, or values derived from it, joins this list in the change that adds
# it (a test fails otherwise). Each entry clears one table: for a player (revocation: parameters
# ``player``, ``device``, ``whoop_user``) and, where rows have a time, for rows older than their device's
# ``data_retention_days`` (retention: parameter ``now``).


@dataclass(frozen=True)
class WearablesData:
    table: str
    revoke: str
    expire: str | None


# Rows that keep their NBA columns lose their wearables ones (and say so: has_wearables_data false).
_PREGAME_CONTEXT_CLEARED = """
    has_wearables_data = FALSE, device_id = NULL, sleep_record_id = NULL, sleep_end_at = NULL,
    local_date = NULL, hrv_rmssd_pregame = NULL, resting_hr_pregame = NULL, recovery_score_pregame = NULL,
    sleep_performance_pregame = NULL, day_strain_previous = NULL, hrv_baseline_deviation = NULL,
    recovery_calibrating = NULL, wearables_quality_score = NULL, measured_until = NULL
"""
_SCORE_WEARABLES_CLEARED = """
    hrv_rmssd_pregame = NULL, hrv_baseline_deviation = NULL, recovery_score_pregame = NULL,
    sleep_performance_pregame = NULL, day_strain_pregame = NULL, wearables_quality_score = NULL,
    has_wearables_data = FALSE
"""

WEARABLES_DATA: tuple[WearablesData, ...] = (
    WearablesData(
        "wearables_readings",
        "DELETE FROM wearables_readings WHERE player_id = %(player)s",
        """
        DELETE FROM wearables_readings r USING wearables_devices d
        WHERE r.device_id = d.device_id
          AND r.reading_timestamp < %(now)s - make_interval(days => d.data_retention_days)
        """,
    ),
    WearablesData(
        "wearables_raw_records",
        "DELETE FROM wearables_raw_records WHERE player_id = %(player)s",
        """
        DELETE FROM wearables_raw_records r USING wearables_devices d
        WHERE r.device_id = d.device_id
          AND COALESCE(r.record_end, r.record_start, r.source_updated_at)
              < %(now)s - make_interval(days => d.data_retention_days)
        """,
    ),
    WearablesData(
        "wearables_daily_summary",
        "DELETE FROM wearables_daily_summary WHERE player_id = %(player)s",
        """
        DELETE FROM wearables_daily_summary s USING wearables_devices d
        WHERE s.device_id = d.device_id
          AND s.summary_date < (%(now)s - make_interval(days => d.data_retention_days))::date
        """,
    ),
    WearablesData(
        # Filled by triggers on wearables_raw_records, so after the raw records' own entry: their
        # deletion above queues the athlete's days, and this clears them.
        "wearables_changed_days",
        "DELETE FROM wearables_changed_days WHERE device_id = %(device)s",
        """
        DELETE FROM wearables_changed_days c USING wearables_devices d
        WHERE c.device_id = d.device_id
          AND c.local_date < (%(now)s - make_interval(days => d.data_retention_days))::date
        """,
    ),
    WearablesData(
        "whoop_webhook_events",
        "DELETE FROM whoop_webhook_events WHERE whoop_user_id::text = %(whoop_user)s",
        """
        DELETE FROM whoop_webhook_events e USING wearables_devices d
        WHERE d.device_type = 'whoop' AND e.whoop_user_id::text = d.provider_user_id
          AND e.received_at < %(now)s - make_interval(days => d.data_retention_days)
        """,
    ),
    WearablesData(
        "wearables_sync_state",
        "DELETE FROM wearables_sync_state WHERE device_id = %(device)s",
        None,  # how far a device was synced: no wearables value, nothing to age out
    ),
    WearablesData(
        "ml_features",
        """
        DELETE FROM ml_features
        WHERE entity_type = 'player' AND entity_id = %(player)s AND uses_wearables
        """,
        """
        DELETE FROM ml_features f USING wearables_devices d
        WHERE f.entity_type = 'player' AND f.entity_id = d.player_id AND f.uses_wearables
          AND f.as_of_date < (%(now)s - make_interval(days => d.data_retention_days))::date
        """,
    ),
    WearablesData(
        "clutch_action_wearables",
        "DELETE FROM clutch_action_wearables WHERE player_id = %(player)s",
        """
        DELETE FROM clutch_action_wearables a USING wearables_devices d
        WHERE a.player_id = d.player_id
          AND a.action_timestamp < %(now)s - make_interval(days => d.data_retention_days)
        """,
    ),
    WearablesData(
        "pregame_context",
        f"""
        UPDATE pregame_context SET {_PREGAME_CONTEXT_CLEARED}
        WHERE player_id = %(player)s AND has_wearables_data
        """,
        f"""
        UPDATE pregame_context c SET {_PREGAME_CONTEXT_CLEARED}
        FROM wearables_devices d, games g
        WHERE c.has_wearables_data AND c.player_id = d.player_id AND g.game_id = c.game_id
          AND g.game_date < (%(now)s - make_interval(days => d.data_retention_days))::date
        """,
    ),
    WearablesData(
        "clutch_game_scores",
        f"""
        UPDATE clutch_game_scores SET {_SCORE_WEARABLES_CLEARED}
        WHERE player_id = %(player)s AND has_wearables_data
        """,
        f"""
        UPDATE clutch_game_scores s SET {_SCORE_WEARABLES_CLEARED}
        FROM wearables_devices d
        WHERE s.has_wearables_data AND s.player_id = d.player_id
          AND s.game_date < (%(now)s - make_interval(days => d.data_retention_days))::date
        """,
    ),
    WearablesData(
        # A prediction made with an athlete's wearables is derived from them: it goes with them.
        "clutch_predictions",
        "DELETE FROM clutch_predictions WHERE player_id = %(player)s AND has_wearables_data",
        """
        DELETE FROM clutch_predictions c USING wearables_devices d, games g
        WHERE c.has_wearables_data AND c.player_id = d.player_id AND g.game_id = c.game_id
          AND g.game_date < (%(now)s - make_interval(days => d.data_retention_days))::date
        """,
    ),
    WearablesData(
        "clutch_performance_scores",
        f"""
        UPDATE clutch_performance_scores SET {_SCORE_WEARABLES_CLEARED}
        WHERE player_id = %(player)s AND has_wearables_data
        """,
        f"""
        UPDATE clutch_performance_scores s SET {_SCORE_WEARABLES_CLEARED}
        FROM wearables_devices d, games g
        WHERE s.has_wearables_data AND s.player_id = d.player_id AND g.game_id = s.game_id
          AND g.game_date < (%(now)s - make_interval(days => d.data_retention_days))::date
        """,
    ),
)


def delete_player_wearables(
    conn: psycopg.Connection, player_id, device_id, whoop_user_id: str | None
) -> dict[str, int]:
    """Every wearables row of a player, in the caller's transaction; rows affected per table."""
    params = {"player": player_id, "device": device_id, "whoop_user": whoop_user_id}
    return {entry.table: conn.execute(entry.revoke, params).rowcount for entry in WEARABLES_DATA}


def delete_expired_wearables(conn: psycopg.Connection, now) -> dict[str, int]:
    """Rows older than their device's ``data_retention_days``, in every table that has a time."""
    return {
        entry.table: conn.execute(entry.expire, {"now": now}).rowcount
        for entry in WEARABLES_DATA
        if entry.expire is not None
    }
