"""Rows in every table of the privacy list (``db/store.py`` ``WEARABLES_DATA``) for a few athletes, and
how to count one athlete's rows in each, so that revocation and retention are checked table by table.

The counts walk ``WEARABLES_DATA`` itself: a table added to that list later fails the privacy tests
until it has a counter in ``PLAYER_ROWS`` and rows from ``add_rows_of_every_table``. The counters are
written independently of the statements they check (a statement that matches no rows, or the wrong
athlete's, changes the counts).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import psycopg

from clutch_pipeline.db.store import WEARABLES_DATA
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.webhooks import parse_event


@dataclass(frozen=True)
class Counter:
    """One athlete's rows of a table: ``rows`` is ``FROM ... WHERE ...`` with the parameters
    ``player``, ``device`` and ``whoop_user``; ``moment`` is a row's time, where retention ages the
    table out (None where it does not)."""

    rows: str
    moment: str | None


PLAYER_ROWS: dict[str, Counter] = {
    "wearables_readings": Counter(
        "FROM wearables_readings WHERE player_id = %(player)s", "reading_timestamp"
    ),
    "wearables_raw_records": Counter(
        "FROM wearables_raw_records WHERE device_id = %(device)s",
        "COALESCE(record_end, record_start, source_updated_at)",
    ),
    "wearables_daily_summary": Counter(
        "FROM wearables_daily_summary WHERE device_id = %(device)s", "summary_date"
    ),
    "whoop_webhook_events": Counter(
        "FROM whoop_webhook_events WHERE whoop_user_id = %(whoop_user)s::bigint", "received_at"
    ),
    "wearables_sync_state": Counter("FROM wearables_sync_state WHERE device_id = %(device)s", None),
    "ml_features": Counter(
        "FROM ml_features WHERE entity_id = %(player)s AND entity_type = 'player' AND uses_wearables",
        "as_of_date",
    ),
    "wearables_changed_days": Counter(
        "FROM wearables_changed_days WHERE device_id = %(device)s", "local_date"
    ),
    "clutch_action_wearables": Counter(
        "FROM clutch_action_wearables WHERE player_id = %(player)s", "action_timestamp"
    ),
    "pregame_context": Counter(
        "FROM pregame_context c WHERE player_id = %(player)s AND (has_wearables_data"
        " OR num_nonnulls(device_id, sleep_record_id, sleep_end_at, local_date, hrv_rmssd_pregame,"
        " resting_hr_pregame, recovery_score_pregame, sleep_performance_pregame, day_strain_previous,"
        " hrv_baseline_deviation, recovery_calibrating, wearables_quality_score, measured_until) > 0)",
        "(SELECT g.game_date FROM games g WHERE g.game_id = c.game_id)",
    ),
    "clutch_game_scores": Counter(
        "FROM clutch_game_scores WHERE player_id = %(player)s AND (has_wearables_data"
        " OR num_nonnulls(hrv_rmssd_pregame, hrv_baseline_deviation, recovery_score_pregame,"
        " sleep_performance_pregame, day_strain_pregame, wearables_quality_score) > 0)",
        "game_date",
    ),
    "clutch_predictions": Counter(
        "FROM clutch_predictions c WHERE player_id = %(player)s AND (has_wearables_data"
        " OR num_nonnulls(hrv_baseline_deviation, recovery_score_pregame, sleep_performance_pregame) > 0)",
        "(SELECT g.game_date FROM games g WHERE g.game_id = c.game_id)",
    ),
    "clutch_performance_scores": Counter(
        "FROM clutch_performance_scores s WHERE player_id = %(player)s AND (has_wearables_data"
        " OR num_nonnulls(hrv_rmssd_pregame, hrv_baseline_deviation, recovery_score_pregame,"
        " sleep_performance_pregame, day_strain_pregame, wearables_quality_score) > 0)",
        "(SELECT g.game_date FROM games g WHERE g.game_id = s.game_id)",
    ),
}


@dataclass(frozen=True)
class Athlete:
    player: uuid.UUID
    device: uuid.UUID
    whoop_user: str

    @property
    def params(self) -> dict[str, object]:
        return {"player": self.player, "device": self.device, "whoop_user": self.whoop_user}


def athlete(conn: psycopg.Connection, nba_person_id: int) -> Athlete:
    """The player, WHOOP device and WHOOP user id of an athlete with a device."""
    row = conn.execute(
        "SELECT p.player_id, d.device_id, d.provider_user_id FROM players p"
        " JOIN wearables_devices d USING (player_id) WHERE p.nba_person_id = %s",
        (nba_person_id,),
    ).fetchone()
    return Athlete(*row)


def counter(table: str) -> Counter:
    assert table in PLAYER_ROWS, (
        f"{table} is on the privacy list but privacy_rows.PLAYER_ROWS cannot count it:"
        " add a counter, and rows of it to add_rows_of_every_table"
    )
    return PLAYER_ROWS[table]


def rows_of(
    conn: psycopg.Connection, nba_person_id: int, older_than: datetime | None = None
) -> dict[str, int]:
    """The athlete's rows in each table of the privacy list; with ``older_than``, only those whose
    time is before it, in the tables retention ages out."""
    params = {**athlete(conn, nba_person_id).params, "before": older_than}
    counts = {}
    for entry in WEARABLES_DATA:
        count = counter(entry.table)
        if older_than is None:
            query = f"SELECT count(*) {count.rows}"
        elif count.moment is None:
            continue
        else:
            query = f"SELECT count(*) {count.rows} AND {count.moment} < %(before)s"
        counts[entry.table] = conn.execute(query, params).fetchone()[0]
    return counts


def add_rows_of_every_table(
    conn: psycopg.Connection, person_ids: Iterable[int], days: Sequence[date]
) -> None:
    """For each athlete (players with a WHOOP device) and each day: a sync watermark, a webhook event
    received at the day's midnight UTC, a daily summary, a wearables feature and a clutch score with
    wearables values in a game of that day, as the sync, the service and later stages write them.
    Readings and raw records come from a sync."""
    situations = {day: _game_with_a_clutch_window(conn, day, number) for number, day in enumerate(days)}
    for person_id in person_ids:
        who = athlete(conn, person_id)
        store.advance_watermarks(
            conn,
            who.device,
            {"cycle": _midnight(days[-1]), "sleep": _midnight(days[-1])},
            _midnight(days[-1]),
        )
        for day in days:
            _add_day(conn, who, person_id, day, situations[day])


def _add_day(conn: psycopg.Connection, who: Athlete, person_id: int, day: date, game: tuple) -> None:
    event = {
        "user_id": int(who.whoop_user),
        "id": str(uuid.uuid4()),
        "type": "sleep.updated",
        "trace_id": f"trace-{person_id}-{day.isoformat()}",
    }
    outcome = store.store_webhook_event(conn, parse_event(json.dumps(event).encode()), _midnight(day))
    assert outcome is store.WebhookOutcome.STORED
    conn.execute(
        "INSERT INTO wearables_daily_summary (device_id, player_id, summary_date, recovery_score)"
        " VALUES (%s, %s, %s, 70)",
        (who.device, who.player, day),
    )
    conn.execute(
        "INSERT INTO ml_features (entity_type, entity_id, feature_name, feature_value, calculation_window,"
        " as_of_date, uses_wearables) VALUES ('player', %s, 'hrv_avg', 80, 'last_7_days', %s, TRUE)",
        (who.player, day),
    )
    game_id, situation_id = game
    conn.execute(
        "INSERT INTO wearables_changed_days (consumer, device_id, player_id, local_date)"
        " VALUES ('alignment', %s, %s, %s)",
        (who.device, who.player, day),
    )
    conn.execute(
        "INSERT INTO clutch_action_wearables (game_id, source, source_action_key, action_type, player_id,"
        " device_id, action_timestamp, workout_record_id, workout_match, workout_gap_minutes, workout_strain,"
        " quality_score) VALUES (%s, 'cdn', %s, 'field_goal_made', %s, %s, %s, %s, 'contains', 0, 14.2, 0.9)",
        (game_id, person_id, who.player, who.device, _midnight(day), str(uuid.uuid4())),
    )
    conn.execute(
        "INSERT INTO pregame_context (game_id, player_id, played, is_playoff, has_wearables_data, device_id,"
        " sleep_record_id, sleep_end_at, local_date, hrv_rmssd_pregame, resting_hr_pregame,"
        " recovery_score_pregame, sleep_performance_pregame, day_strain_previous, hrv_baseline_deviation,"
        " recovery_calibrating, wearables_quality_score, measured_until)"
        " VALUES (%s, %s, TRUE, FALSE, TRUE, %s, %s, %s, %s, 75, 48, 66, 88, 12.5, -3.5, FALSE, 0.9, %s)",
        (game_id, who.player, who.device, str(uuid.uuid4()), _midnight(day), day, _midnight(day)),
    )
    conn.execute(
        "INSERT INTO model_runs (model_version, started_at, seasons, rows, players, rows_with_wearables)"
        " VALUES ('clutch_model_v1_test', now(), '{2022-23}', 1, 1, 1) ON CONFLICT DO NOTHING"
    )
    conn.execute(
        "INSERT INTO clutch_predictions (model_version, player_id, game_id, purpose, predicted_clutch_score,"
        " interval_low, interval_high, has_wearables_data, hrv_baseline_deviation, recovery_score_pregame,"
        " sleep_performance_pregame) VALUES ('clutch_model_v1_test', %s, %s, 'upcoming', 52, 40, 64, TRUE,"
        " -3.5, 66, 88)",
        (who.player, game_id),
    )
    conn.execute(
        "INSERT INTO clutch_game_scores (game_id, player_id, season, game_date, situations, actions_total,"
        " clutch_score, is_playoff, hrv_rmssd_pregame, hrv_baseline_deviation, recovery_score_pregame,"
        " sleep_performance_pregame, day_strain_pregame, has_wearables_data, wearables_quality_score)"
        " VALUES (%s, %s, '2022-23', %s, 1, 4, 55, FALSE, 75, -3.5, 66, 88, 12.5, TRUE, 0.9)",
        (game_id, who.player, day),
    )
    conn.execute(
        "INSERT INTO clutch_performance_scores (player_id, game_id, situation_id, actions_total,"
        " hrv_rmssd_pregame, hrv_baseline_deviation, recovery_score_pregame, sleep_performance_pregame,"
        " day_strain_pregame, has_wearables_data, wearables_quality_score)"
        " VALUES (%s, %s, %s, 4, 75, -3.5, 66, 88, 12.5, TRUE, 0.9)",
        (who.player, game_id, situation_id),
    )


def _game_with_a_clutch_window(conn: psycopg.Connection, day: date, number: int) -> tuple:
    """A Boston-Miami game on ``day`` and a clutch window of it."""
    teams = [
        conn.execute(
            "INSERT INTO teams (nba_team_id) VALUES (%s) ON CONFLICT (nba_team_id)"
            " DO UPDATE SET nba_team_id = EXCLUDED.nba_team_id RETURNING team_id",
            (nba_team_id,),
        ).fetchone()[0]
        for nba_team_id in (1610612738, 1610612748)
    ]
    game_id = conn.execute(
        "INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date) VALUES (%s, %s, %s, %s)"
        " RETURNING game_id",
        (f"00222009{number:02d}", *teams, day),
    ).fetchone()[0]
    start = _midnight(day)
    situation_id = conn.execute(
        "INSERT INTO clutch_situations (game_id, situation_type, start_timestamp, end_timestamp, period)"
        " VALUES (%s, 'clutch_time', %s, %s, 4) RETURNING situation_id",
        (game_id, start, start),
    ).fetchone()[0]
    return game_id, situation_id


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
