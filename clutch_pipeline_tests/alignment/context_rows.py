"""Hand-made rows for the alignment tests, inserted with plain SQL the way the NBA and WHOOP stages
write them (teams, players, games, nba_game_players, clutch rows; devices, raw records, readings),
plus daily summaries written by hand (the summaries helper's code computes them in production)."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import date, datetime, timedelta

import psycopg

_ids = itertools.count(1)


def team(conn: psycopg.Connection) -> uuid.UUID:
    n = next(_ids)
    return conn.execute(
        "INSERT INTO teams (nba_team_id, tricode) VALUES (%s, %s) RETURNING team_id", (1610612700 + n, "T")
    ).fetchone()[0]


def player(conn: psycopg.Connection) -> uuid.UUID:
    n = next(_ids)
    return conn.execute(
        "INSERT INTO players (nba_person_id, full_name) VALUES (%s, %s) RETURNING player_id", (n, f"P{n}")
    ).fetchone()[0]


def game(
    conn: psycopg.Connection,
    home: uuid.UUID,
    away: uuid.UUID,
    tipoff_at: datetime | None,
    *,
    game_date: date | None = None,
    season_type_digit: int = 2,
    status: str = "final",
) -> uuid.UUID:
    nba_game_id = f"00{season_type_digit}22{next(_ids):05d}"
    game_date = game_date or (tipoff_at - timedelta(hours=5)).date()
    return conn.execute(
        """INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date, tipoff_at, status)
           VALUES (%s, %s, %s, %s, %s, %s) RETURNING game_id""",
        (nba_game_id, home, away, game_date, tipoff_at, status),
    ).fetchone()[0]


def nba_game_id(conn: psycopg.Connection, game_id: uuid.UUID) -> str:
    return conn.execute("SELECT nba_game_id FROM games WHERE game_id = %s", (game_id,)).fetchone()[0]


def played(conn: psycopg.Connection, game_id: uuid.UUID, player_id: uuid.UUID, team_id: uuid.UUID) -> None:
    conn.execute("INSERT INTO nba_game_players VALUES (%s, %s, %s)", (game_id, player_id, team_id))


def situation(
    conn: psycopg.Connection, game_id: uuid.UUID, start: datetime, window_number: int = 1
) -> uuid.UUID:
    return conn.execute(
        """INSERT INTO clutch_situations (game_id, situation_type, start_timestamp, end_timestamp, period,
               window_number, is_clutch_time)
           VALUES (%s, 'clutch_time', %s, %s, 4, %s, true) RETURNING situation_id""",
        (game_id, start, start + timedelta(minutes=10), window_number),
    ).fetchone()[0]


def action(
    conn: psycopg.Connection,
    situation_id: uuid.UUID,
    game_id: uuid.UUID,
    player_id: uuid.UUID,
    at: datetime,
    key: int,
    *,
    action_type: str = "field_goal_made",
    time_error_seconds: float | None = 0.0,
) -> None:
    conn.execute(
        """INSERT INTO clutch_player_actions (situation_id, game_id, player_id, action_timestamp, action_type,
               source, source_action_key, time_method, time_error_seconds)
           VALUES (%s, %s, %s, %s, %s, 'v3', %s, %s, %s)""",
        (
            situation_id,
            game_id,
            player_id,
            at,
            action_type,
            key,
            "exact" if time_error_seconds == 0 else "estimated_stoppage",
            time_error_seconds,
        ),
    )


def derivation(conn: psycopg.Connection, game_id: uuid.UUID, derived_at: datetime) -> None:
    conn.execute(
        """INSERT INTO nba_clutch_derivations (nba_game_id, raw_loaded_at, shot_model, derived_at)
           VALUES (%s, %s, 'none', %s)
           ON CONFLICT (nba_game_id) DO UPDATE SET derived_at = EXCLUDED.derived_at""",
        (nba_game_id(conn, game_id), derived_at, derived_at),
    )


# -- WHOOP -----------------------------------------------------------------------------------------


def device(conn: psycopg.Connection, player_id: uuid.UUID) -> uuid.UUID:
    return conn.execute(
        """INSERT INTO wearables_devices (player_id, provider_user_id, consent_granted, consent_granted_at)
           VALUES (%s, %s, true, now()) RETURNING device_id""",
        (player_id, str(next(_ids))),
    ).fetchone()[0]


def _record(
    conn: psycopg.Connection,
    dev: uuid.UUID,
    pl: uuid.UUID,
    record_type: str,
    record_id: str,
    start: datetime,
    end: datetime | None,
    state: str,
    payload: dict,
    readings: dict[str, float],
    quality: float = 1.0,
) -> str:
    conn.execute(
        """INSERT INTO wearables_raw_records (device_id, player_id, record_type, record_id, score_state,
               record_start, record_end, source_updated_at, payload)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (dev, pl, record_type, record_id, state, start, end, end or start, json.dumps(payload)),
    )
    if state != "SCORED":
        return record_id  # WHOOP gives no score: no readings
    for metric, value in readings.items():
        conn.execute(
            """INSERT INTO wearables_readings (device_id, player_id, source_record_type, source_record_id,
                   reading_timestamp, reading_end, metric_type, metric_value, quality_score)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (dev, pl, record_type, record_id, start, end, metric, value, quality),
        )
    return record_id


def sleep(
    conn: psycopg.Connection,
    dev: uuid.UUID,
    pl: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    nap: bool = False,
    performance: float = 90.0,
    state: str = "SCORED",
    offset: str = "-05:00",
) -> str:
    payload = {"nap": nap, "timezone_offset": offset, "score_state": state}
    return _record(
        conn,
        dev,
        pl,
        "sleep",
        str(uuid.uuid4()),
        start,
        end,
        state,
        payload,
        {"sleep_performance": performance},
    )


def recovery(
    conn: psycopg.Connection,
    dev: uuid.UUID,
    pl: uuid.UUID,
    sleep_id: str,
    at: datetime,
    *,
    score: float = 70.0,
    hrv: float = 80.0,
    resting_hr: float = 50.0,
    calibrating: bool = False,
    state: str = "SCORED",
) -> str:
    payload = {"sleep_id": sleep_id, "score_state": state, "score": {"user_calibrating": calibrating}}
    values = {"recovery_score": score, "hrv_rmssd": hrv, "resting_heart_rate": resting_hr}
    quality = 0.5 if calibrating else 1.0
    return _record(conn, dev, pl, "recovery", sleep_id, at, None, state, payload, values, quality)


def night(
    conn: psycopg.Connection, dev: uuid.UUID, pl: uuid.UUID, start: datetime, end: datetime, **recovery_kw
) -> str:
    """A main sleep and its recovery (timed at the sleep's end, as the WHOOP stage writes it)."""
    sleep_id = sleep(conn, dev, pl, start, end)
    recovery(conn, dev, pl, sleep_id, end, **recovery_kw)
    return sleep_id


def cycle(
    conn: psycopg.Connection,
    dev: uuid.UUID,
    pl: uuid.UUID,
    start: datetime,
    end: datetime | None,
    strain: float = 12.0,
) -> str:
    payload = {"timezone_offset": "-05:00"}
    return _record(
        conn, dev, pl, "cycle", str(next(_ids)), start, end, "SCORED", payload, {"day_strain": strain}
    )


def workout(
    conn: psycopg.Connection,
    dev: uuid.UUID,
    pl: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    strain: float = 15.0,
    state: str = "SCORED",
) -> str:
    values = {"workout_strain": strain, "workout_average_heart_rate": 140.0, "workout_max_heart_rate": 185.0}
    payload = {"timezone_offset": "-05:00"}
    return _record(conn, dev, pl, "workout", str(uuid.uuid4()), start, end, state, payload, values)


def summary(
    conn: psycopg.Connection,
    dev: uuid.UUID,
    pl: uuid.UUID,
    day: date,
    *,
    deviation: float | None = None,
    completeness: float | None = 1.0,
) -> None:
    conn.execute(
        """INSERT INTO wearables_daily_summary (device_id, player_id, summary_date, hrv_baseline_deviation,
               data_completeness) VALUES (%s, %s, %s, %s, %s)""",
        (dev, pl, day, deviation, completeness),
    )
