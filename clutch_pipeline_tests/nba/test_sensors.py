"""The live-game sensor, tick by tick against a local CDN and a real database."""

import dagster as dg
import psycopg
import pytest

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.nba.partitions import nba_games
from clutch_pipeline.nba.resources import NbaResource
from clutch_pipeline.nba.sensors import nba_live_games


def _team(team_id: int, tricode: str, score: int) -> dict:
    return {
        "teamId": team_id,
        "teamName": tricode,
        "teamCity": tricode,
        "teamTricode": tricode,
        "score": score,
    }


def _game(game_id: str, status: int, *, period=0, clock="", home=0, away=0) -> dict:
    text = {1: "7:30 pm ET", 2: f"Q{period} {clock}", 3: "Final"}[status]
    return {
        "gameId": game_id,
        "gameCode": f"20251105/{game_id}",
        "gameStatus": status,
        "gameStatusText": text,
        "period": period,
        "gameClock": clock,
        "gameTimeUTC": "2025-11-06T00:30:00Z",
        "gameEt": "2025-11-05T19:30:00Z",
        "regulationPeriods": 4,
        "homeTeam": _team(1610612739, "CLE", home),
        "awayTeam": _team(1610612741, "CHI", away),
    }


def _scoreboard(*games: dict) -> dict:
    return {
        "meta": {"version": 1},
        "scoreboard": {"gameDate": "2025-11-05", "leagueId": "00", "games": list(games)},
    }


@pytest.fixture
def tick(fake_nba, database_url):
    instance = dg.DagsterInstance.ephemeral()
    resources = {
        "postgres": PostgresResource(database_url=database_url),
        "nba": NbaResource(cdn_base_url=fake_nba.cdn_base_url, stats_base_url=fake_nba.stats_base_url),
    }
    state = {"cursor": None}

    def run(*games: dict):
        fake_nba.set_scoreboard(_scoreboard(*games))
        context = dg.build_sensor_context(instance=instance, cursor=state["cursor"], resources=resources)
        result = nba_live_games(context)
        if isinstance(result, dg.SensorResult):
            state["cursor"] = result.cursor
            for request in result.dynamic_partitions_requests:
                instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        return result

    yield run
    instance.dispose()


def _runs(result) -> list[tuple[str, str]]:
    return [(r.partition_key, r.run_key) for r in result.run_requests]


def test_a_new_game_is_registered_as_a_partition_and_a_row(tick, database_url):
    result = tick(_game("0022500150", 1))

    assert result.dynamic_partitions_requests[0].partition_keys == ["0022500150"]
    assert _runs(result) == []
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT status, game_date::text FROM games").fetchall() == [
            ("scheduled", "2025-11-05")
        ]


def test_a_game_in_progress_is_loaded_only_when_it_changed(tick):
    first = tick(_game("0022500150", 2, period=3, clock="PT05M12.00S", home=61, away=54))
    same = tick(_game("0022500150", 2, period=3, clock="PT05M12.00S", home=61, away=54))
    later = tick(_game("0022500150", 2, period=3, clock="PT02M01.00S", home=66, away=58))

    assert [k for _, k in _runs(first)] == ["0022500150:live:p3-PT05M12.00S-61-54"]
    assert _runs(same) == []
    assert [k for _, k in _runs(later)] == ["0022500150:live:p3-PT02M01.00S-66-58"]


def test_a_game_going_final_is_loaded_exactly_once(tick):
    tick(_game("0022500150", 2, period=4, clock="PT00M10.00S", home=101, away=99))

    final = tick(_game("0022500150", 3, period=4, home=103, away=99))
    again = tick(_game("0022500150", 3, period=4, home=103, away=99))

    assert _runs(final) == [("0022500150", "0022500150:final")]
    assert _runs(again) == []


def test_an_unreachable_scoreboard_skips_the_tick_and_keeps_the_cursor(tick, fake_nba):
    tick(_game("0022500150", 2, period=1, clock="PT10M00.00S", home=2, away=0))
    fake_nba.fail(404, match="todaysScoreboard")

    result = tick(_game("0022500150", 2, period=1, clock="PT09M00.00S", home=4, away=0))

    assert isinstance(result, dg.SkipReason)
    assert "scoreboard unavailable" in result.skip_message


def test_a_tick_requests_runs_of_the_nba_job_for_existing_partitions(tick):
    result = tick(_game("0022500150", 2, period=1, clock="PT10M00.00S", home=2, away=0))

    assert nba_live_games.job_name == "load_nba_games"
    assert result.dynamic_partitions_requests[0].partitions_def_name == nba_games.name
