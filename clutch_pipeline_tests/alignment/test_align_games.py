"""align_games as a whole (reloads, idempotence) and games_to_align (which games need it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clutch_pipeline.alignment.store.context import align_games, games_to_align
from clutch_pipeline_tests.alignment import context_rows as rows

TIP = datetime(2023, 1, 10, 0, 30, tzinfo=UTC)
CLUTCH = TIP + timedelta(hours=2, minutes=5)
NOW = datetime(2023, 6, 1, tzinfo=UTC)


def _clutch_rows(conn, game, pl) -> None:
    """What the NBA stage writes for a game: a situation and its actions (new UUIDs each time)."""
    situation = rows.situation(conn, game, CLUTCH - timedelta(minutes=3))
    rows.action(conn, situation, game, pl, CLUTCH, 101)
    rows.action(conn, situation, game, pl, CLUTCH, 101, action_type="assist")
    rows.action(conn, situation, game, pl, CLUTCH + timedelta(minutes=1), 115, time_error_seconds=32.7)


@pytest.fixture
def world(conn):
    home, away, pl = rows.team(conn), rows.team(conn), rows.player(conn)
    game = rows.game(conn, home, away, TIP)
    rows.played(conn, game, pl, home)
    dev = rows.device(conn, pl)
    rows.night(conn, dev, pl, TIP - timedelta(hours=20), TIP - timedelta(hours=11), hrv=70)
    rows.night(conn, dev, pl, CLUTCH + timedelta(hours=3), CLUTCH + timedelta(hours=11), hrv=90)
    rows.cycle(conn, dev, pl, TIP - timedelta(hours=44), TIP - timedelta(hours=20))
    rows.workout(conn, dev, pl, TIP - timedelta(minutes=15), CLUTCH + timedelta(minutes=20))
    _clutch_rows(conn, game, pl)
    return {"conn": conn, "game": game, "player": pl, "home": home, "away": away, "device": dev}


def _snapshot(conn, game) -> tuple[list, list]:
    """Every stored value of the game's rows but computed_at, in key order."""
    pregame = conn.execute(
        "SELECT to_jsonb(p) - 'computed_at' FROM pregame_context p WHERE game_id = %s ORDER BY player_id",
        (game,),
    ).fetchall()
    actions = conn.execute(
        """SELECT to_jsonb(a) - 'computed_at' FROM clutch_action_wearables a WHERE game_id = %s
           ORDER BY source, source_action_key, action_type""",
        (game,),
    ).fetchall()
    return pregame, actions


def test_a_game_reloaded_with_new_action_uuids_realigns_to_identical_values(world):
    conn, game = world["conn"], world["game"]
    align_games(conn, [game], now=NOW)
    before = _snapshot(conn, game)
    old_ids = conn.execute(
        "SELECT action_id FROM clutch_player_actions WHERE game_id = %s", (game,)
    ).fetchall()

    conn.execute("DELETE FROM clutch_situations WHERE game_id = %s", (game,))  # the reload's delete
    _clutch_rows(conn, game, world["player"])  # ... and re-create
    align_games(conn, [game], now=NOW + timedelta(days=1))

    new_ids = conn.execute(
        "SELECT action_id FROM clutch_player_actions WHERE game_id = %s", (game,)
    ).fetchall()
    assert set(old_ids).isdisjoint(new_ids)
    assert _snapshot(conn, game) == before
    assert len(before[1]) == 3 and before[1][0][0]["workout_match"] == "contains"


def test_aligning_twice_changes_nothing(world):
    conn, game = world["conn"], world["game"]
    first = align_games(conn, [game], now=NOW)
    before = _snapshot(conn, game)

    second = align_games(conn, [game], now=NOW)

    assert second == first
    assert _snapshot(conn, game) == before
    assert (first.games, first.pregame_rows, first.action_rows, first.workout_contains) == (1, 1, 3, 3)
    assert first.interpolated == 3


def test_aligning_one_game_leaves_the_other_games_rows_alone(world):
    conn = world["conn"]
    other = rows.game(conn, world["home"], world["away"], TIP + timedelta(days=2))
    rows.played(conn, other, world["player"], world["home"])
    align_games(conn, [world["game"], other], now=NOW)
    conn.execute("DELETE FROM clutch_situations WHERE game_id = %s", (world["game"],))

    align_games(conn, [world["game"]], now=NOW)

    counts = conn.execute("SELECT game_id, count(*) FROM pregame_context GROUP BY 1 ORDER BY 1").fetchall()
    assert len(counts) == 2
    assert conn.execute("SELECT count(*) FROM clutch_action_wearables").fetchone()[0] == 0


def _aligned(conn, game, derived_at) -> None:
    conn.execute(
        "INSERT INTO alignment_games (game_id, clutch_derived_at, aligned_at) VALUES (%s, %s, %s)",
        (game, derived_at, NOW),
    )


def test_games_to_align_picks_games_never_aligned_and_games_reloaded_since(world):
    conn, game = world["conn"], world["game"]
    derived = NOW - timedelta(days=10)
    rows.derivation(conn, game, derived)
    steady = rows.game(conn, world["home"], world["away"], TIP + timedelta(days=3))
    rows.derivation(conn, steady, derived)
    _aligned(conn, steady, derived)
    never = rows.game(conn, world["home"], world["away"], TIP + timedelta(days=6))

    assert games_to_align(conn, "2022-23") == [game, never]

    _aligned(conn, game, derived)
    rows.derivation(conn, game, derived + timedelta(hours=1))  # the live sensor reloaded it
    assert games_to_align(conn, "2022-23") == [game, never]
    assert games_to_align(conn, "2023-24") == []


def test_games_to_align_picks_games_whose_players_days_are_queued(world):
    conn, game, pl = world["conn"], world["game"], world["player"]
    far = rows.game(conn, world["home"], world["away"], TIP + timedelta(days=20))
    rows.played(conn, far, pl, world["home"])
    for g in (game, far):
        _aligned(conn, g, None)
    assert games_to_align(conn, "2022-23") == []
    game_date = conn.execute("SELECT game_date FROM games WHERE game_id = %s", (game,)).fetchone()[0]

    conn.execute(
        """INSERT INTO wearables_changed_days (consumer, device_id, player_id, local_date)
           VALUES ('alignment', %s, %s, %s)""",
        (world["device"], pl, game_date + timedelta(days=1)),
    )

    assert games_to_align(conn, "2022-23") == [game]


def test_games_to_align_always_includes_scheduled_games(world):
    conn = world["conn"]
    _aligned(conn, world["game"], None)
    scheduled = rows.game(conn, world["home"], world["away"], TIP + timedelta(days=4), status="scheduled")
    _aligned(conn, scheduled, None)

    assert games_to_align(conn, "2022-23") == [scheduled]
