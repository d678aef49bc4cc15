"""The request planner wired to the database: athletes' tip-offs from our NBA tables, pending webhook
events, requests spent; and the run it asks for."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.resources import WhoopResource
from clutch_pipeline.whoop.sensors import plan_now, planned_event_ids, run_request
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key
from clutch_pipeline.whoop.webhooks import parse_event
from clutch_pipeline_tests.whoop.athletes import add_device

NOW = datetime(2023, 1, 10, 23, 0, tzinfo=UTC)
TATUM, BOS, MIA = 1628369, 1610612738, 1610612748
TATUM_USER = 777
SLEEP = "550e8400-e29b-41d4-a716-446655440000"


@pytest.fixture
def resources(database_url):
    return (
        PostgresResource(database_url=database_url),
        WhoopResource(base_url="http://127.0.0.1:9", client_id="id", client_secret="secret"),
    )


def add_game(conn, game_id: str, day: date, tipoff: datetime, home: int, away: int) -> None:
    teams = dict(
        conn.execute(
            "INSERT INTO teams (nba_team_id) VALUES (%s), (%s) ON CONFLICT (nba_team_id) DO UPDATE"
            " SET nba_team_id = EXCLUDED.nba_team_id RETURNING nba_team_id, team_id",
            (home, away),
        ).fetchall()
    )
    conn.execute(
        "INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date, tipoff_at)"
        " VALUES (%s, %s, %s, %s, %s)",
        (game_id, teams[home], teams[away], day, tipoff),
    )


@pytest.fixture
def tatum_plays_tonight(conn):
    """Tatum consented (token fresh), acted for Boston two days ago; Boston tips off in an hour."""
    add_device(
        conn,
        TokenCipher([generate_key()]),
        TATUM,
        whoop_user_id=TATUM_USER,
        expires_at=NOW + timedelta(minutes=50),
    )
    add_game(conn, "0022200600", date(2023, 1, 8), NOW - timedelta(days=2), BOS, MIA)
    played_for(conn, TATUM, "0022200600", BOS)
    add_game(conn, "0022200610", date(2023, 1, 10), NOW + timedelta(hours=1), MIA, BOS)


def played_for(conn, person: int, game_id: str, team: int) -> None:
    """What the NBA load records of a player who acted in a game (nba_game_players)."""
    conn.execute(
        """INSERT INTO nba_game_players (game_id, player_id, team_id)
           SELECT g.game_id, p.player_id, t.team_id FROM games g, players p, teams t
           WHERE g.nba_game_id = %s AND p.nba_person_id = %s AND t.nba_team_id = %s""",
        (game_id, person, team),
    )


def add_event(
    conn, event_type: str, record_id: str, user: int = TATUM_USER, trace: str = "t1", at=NOW
) -> None:
    body = json.dumps({"user_id": user, "id": record_id, "type": event_type, "trace_id": trace}).encode()
    store.store_webhook_event(conn, parse_event(body), at)


def test_an_athletes_tipoffs_come_from_his_teams_games(conn, tatum_plays_tonight):
    (state,) = store.athlete_states(conn, NOW)
    assert state.nba_person_id == TATUM
    assert state.next_tipoff == NOW + timedelta(hours=1)
    assert state.last_tipoff == NOW - timedelta(days=2)


def test_an_athlete_traded_follows_the_team_of_his_latest_game(conn, tatum_plays_tonight):
    add_game(conn, "0022200590", date(2023, 1, 5), NOW - timedelta(days=5), MIA, 1610612747)
    played_for(conn, TATUM, "0022200590", 1610612747)  # an earlier game, for the Lakers

    (state,) = store.athlete_states(conn, NOW)

    assert state.next_tipoff == NOW + timedelta(hours=1)  # Boston's, his latest team's


def test_an_athlete_without_a_game_in_60_days_has_no_tipoffs(conn, tatum_plays_tonight):
    conn.execute("DELETE FROM nba_game_players")
    add_game(conn, "0022200100", date(2022, 11, 1), NOW - timedelta(days=70), BOS, MIA)
    played_for(conn, TATUM, "0022200100", BOS)

    (state,) = store.athlete_states(conn, NOW)

    assert state.next_tipoff is None and state.last_tipoff is None


def test_an_athlete_playing_within_the_hour_gets_his_cycle_before_tipoff(resources, tatum_plays_tonight):
    plan, _, _ = plan_now(*resources, NOW)
    request = run_request(plan, NOW)
    collections = request.run_config["ops"]["whoop_sync"]["config"]["collections"]
    assert f"{TATUM}:cycle" in collections
    assert request.tags["clutch/plan_planned_requests"] == str(plan.estimated_requests)


def test_a_settled_webhook_event_becomes_a_fetch_of_its_record(conn, resources, tatum_plays_tonight):
    add_event(conn, "sleep.updated", SLEEP, at=NOW - timedelta(minutes=10))
    add_event(conn, "recovery.updated", SLEEP, trace="t2", at=NOW - timedelta(minutes=9))
    plan, events, _ = plan_now(*resources, NOW)
    records = run_request(plan, NOW).run_config["ops"]["whoop_sync"]["config"]["records"]
    assert records == [f"{TATUM}:recovery:{SLEEP}"]  # the sleep comes with its recovery
    assert sorted(planned_event_ids(plan, events)) == [e.event_id for e in events]


def test_events_handed_to_a_run_are_not_offered_again(conn, resources, tatum_plays_tonight):
    add_event(conn, "workout.updated", "w-1", at=NOW - timedelta(minutes=10))
    plan, events, _ = plan_now(*resources, NOW)
    store.mark_events_planned(conn, planned_event_ids(plan, events), NOW)
    _, pending, _ = plan_now(*resources, NOW + timedelta(minutes=1))
    assert pending == []


def test_events_of_users_without_consent_and_of_unknown_types_are_set_aside(
    conn, resources, tatum_plays_tonight
):
    add_event(conn, "sleep.updated", SLEEP, user=999, trace="t3")
    add_event(conn, "body.updated", SLEEP, trace="t4")
    _, events, set_aside = plan_now(*resources, NOW)
    assert events == []
    assert set_aside == {"unknown event type": 1, "no consented device for the user": 1}


def test_an_athlete_whose_cycle_was_just_synced_needs_no_pre_tipoff_cycle(
    conn, resources, tatum_plays_tonight
):
    (device,) = store.syncable_devices(conn, [TATUM])
    conn.execute(
        "INSERT INTO wearables_sync_state (device_id, record_type, synced_through, updated_at)"
        " SELECT %s, t, %s, %s FROM unnest(ARRAY['cycle', 'sleep', 'recovery', 'workout']) t",
        (device.device_id, NOW - timedelta(minutes=30), NOW - timedelta(minutes=30)),
    )
    plan, _, _ = plan_now(*resources, NOW)
    assert not [s for s in plan.syncs if "cycle" in s.record_types]
