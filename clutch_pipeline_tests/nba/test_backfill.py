"""`clutch nba backfill`: a season in one run, from an archive or the CDN's schedule; its plan."""

import json
import subprocess
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from clutch_pipeline.cli import main
from clutch_pipeline.nba.archive import SAMPLE_ARCHIVE, PlayByPlayArchive
from clutch_pipeline.nba.backfill import (
    ARCHIVE,
    CDN_SCHEDULE,
    LEAGUE_GAME_LOG,
    BackfillError,
    plan_backfill,
    season_year,
)
from clutch_pipeline.nba.partitions import LOAD_NBA_GAMES_JOB, NBA_GAMES_LOAD_OP
from clutch_pipeline.nba.resources import NbaResource

NBA_TEST_DATA = Path(__file__).parent / "data"


def test_nba_backfill_loads_a_season_from_an_archive_in_one_run(database_url, cli_env, clutch_command):
    env = {**cli_env, "CLUTCH_DATABASE_URL": database_url}

    result = subprocess.run(
        [*clutch_command, "nba", "backfill", "--season", "2022-23", "--archive", str(SAMPLE_ARCHIVE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "nba: backfill 2022-23 (39 games): one run" in result.stdout
    with psycopg.connect(database_url) as conn:
        runs = conn.execute("SELECT count(*) FROM runs WHERE pipeline_name = 'load_nba_games'").fetchone()[0]
        games = conn.execute("SELECT count(*) FROM nba_game_loads WHERE status = 'loaded'").fetchone()[0]
    assert (runs, games) == (1, 39)


def _schedule_of_the_cdn_sample_game() -> dict:
    """The cut-down schedule, turned into the 2020-21 season with its one game (GSW at BKN) final."""
    schedule = json.loads((NBA_TEST_DATA / "scheduleLeagueV2_2.json").read_text())
    day = schedule["leagueSchedule"]["gameDates"][0]
    game = dict(day["games"][0])
    game.update(
        gameId="0022000001",
        gameStatus=3,
        gameStatusText="Final",
        gameDateTimeUTC="2020-12-23T00:00:00Z",
        gameDateUTC="2020-12-22T05:00:00Z",
        homeTeam={**game["homeTeam"], "teamId": 1610612751, "teamTricode": "BKN", "score": 99},
        awayTeam={**game["awayTeam"], "teamId": 1610612744, "teamTricode": "GSW", "score": 125},
    )
    schedule["leagueSchedule"]["seasonYear"] = "2020-21"
    schedule["leagueSchedule"]["gameDates"] = [{"gameDate": "12/22/2020 00:00:00", "games": [game]}]
    return schedule


def _backfill_over_http(season: str, database_url: str, cli_env: dict, clutch_command: list, fake_nba):
    env = {
        **cli_env,
        "CLUTCH_DATABASE_URL": database_url,
        "NBA_CDN_BASE_URL": fake_nba.cdn_base_url,
        "NBA_STATS_BASE_URL": fake_nba.stats_base_url,
    }
    return subprocess.run(
        [*clutch_command, "nba", "backfill", "--season", season],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_nba_backfill_of_the_current_season_reads_the_cdn_schedule_and_play_by_play(
    database_url, cli_env, clutch_command, fake_nba
):
    fake_nba.set_schedule(_schedule_of_the_cdn_sample_game())

    result = _backfill_over_http("2020-21", database_url, cli_env, clutch_command, fake_nba)

    assert result.returncode == 0, result.stdout + result.stderr
    with psycopg.connect(database_url) as conn:
        games = conn.execute("SELECT nba_game_id, status, game_date::text FROM games").fetchall()
        actions = conn.execute("SELECT source, count(*) FROM nba_raw_actions GROUP BY 1").fetchall()
    assert games == [("0022000001", "final", "2020-12-22")]
    assert actions == [("cdn", 610)]


def test_nba_backfill_refuses_a_season_no_source_lists(database_url, cli_env, clutch_command, fake_nba):
    fake_nba.set_schedule(_schedule_of_the_cdn_sample_game())
    fake_nba.add_stats("leaguegamelog", _game_log_of_the_cdn_sample_game())

    result = _backfill_over_http("2019-20", database_url, cli_env, clutch_command, fake_nba)

    assert result.returncode == 1
    assert "the league game log lists no game of 2019-20" in result.stderr


def test_nba_backfill_refuses_a_season_the_archive_does_not_hold(database_url, monkeypatch):
    monkeypatch.setenv("CLUTCH_DATABASE_URL", database_url)

    result = CliRunner().invoke(
        main, ["nba", "backfill", "--season", "2021-22", "--archive", str(SAMPLE_ARCHIVE)]
    )

    assert result.exit_code == 1
    assert "holds no game of 2021-22" in result.output


@pytest.mark.parametrize("bad", ["2022-24", "2022", "22-23"])
def test_a_season_name_must_be_one_season(bad):
    assert season_year("2022-23") == "22"
    with pytest.raises(BackfillError, match="season"):
        season_year(bad)


def _game_log_of_the_cdn_sample_game() -> dict:
    headers = [
        "SEASON_ID",
        "TEAM_ID",
        "TEAM_ABBREVIATION",
        "TEAM_NAME",
        "GAME_ID",
        "GAME_DATE",
        "MATCHUP",
        "WL",
        "PTS",
    ]
    rows = [
        ["22020", 1610612751, "BKN", "Brooklyn Nets", "0022000001", "2020-12-22", "BKN vs. GSW", "W", 125],
        [
            "22020",
            1610612744,
            "GSW",
            "Golden State Warriors",
            "0022000001",
            "2020-12-22",
            "GSW @ BKN",
            "L",
            99,
        ],
    ]
    return {
        "resource": "leaguegamelog",
        "parameters": {},
        "resultSets": [{"name": "LeagueGameLog", "headers": headers, "rowSet": rows}],
    }


def test_nba_backfill_of_a_past_season_reads_the_stats_league_game_log(
    database_url, cli_env, clutch_command, fake_nba
):
    schedule = _schedule_of_the_cdn_sample_game()
    schedule["leagueSchedule"]["gameDates"][0]["games"][0]["gameId"] = "0022500001"  # another season
    fake_nba.set_schedule(schedule)
    fake_nba.add_stats("leaguegamelog", _game_log_of_the_cdn_sample_game())

    result = _backfill_over_http("2020-21", database_url, cli_env, clutch_command, fake_nba)

    assert result.returncode == 0, result.stdout + result.stderr
    with psycopg.connect(database_url) as conn:
        games = conn.execute("SELECT nba_game_id, status, home_score, away_score FROM games").fetchall()
    assert games == [("0022000001", "final", 125, 99)]
    assert fake_nba.count("leaguegamelog") == 1


# -- the plan, as the CLI calls it -------------------------------------------------------------------


def _sources(fake_nba):
    """What the CLI passes: the NBA resource's sources, here pointed at the fake server, no retries."""
    return NbaResource(
        stats_base_url=fake_nba.stats_base_url, cdn_base_url=fake_nba.cdn_base_url, retry_attempts=1
    ).sources


def test_a_season_written_in_full_is_refused_naming_the_format_before_any_request(conn, fake_nba):
    with pytest.raises(BackfillError, match="a season looks like 2022-23, not '2022-2023'"):
        plan_backfill("2022-2023", conn=conn, sources=_sources(fake_nba))

    assert fake_nba.count() == 0


def test_a_plan_from_an_archive_is_one_run_over_its_seasons_games(conn, fake_nba):
    plan = plan_backfill("2022-23", SAMPLE_ARCHIVE, conn=conn, sources=_sources(fake_nba))

    assert plan.games == sorted(PlayByPlayArchive(SAMPLE_ARCHIVE).game_ids()) and len(plan.games) == 39
    assert (plan.source, plan.job_name, plan.title) == (
        ARCHIVE,
        LOAD_NBA_GAMES_JOB,
        "nba: backfill 2022-23 (39 games)",
    )
    config = plan.run_config["ops"][NBA_GAMES_LOAD_OP]["config"]
    assert config["archive_path"] == str(SAMPLE_ARCHIVE) and config["force"] is False
    assert fake_nba.count() == 0


def test_a_plan_from_an_archive_passes_the_manifest_it_read_to_the_run(conn, fake_nba):
    plan = plan_backfill("2022-23", SAMPLE_ARCHIVE, conn=conn, sources=_sources(fake_nba))

    passed = plan.run_config["ops"][NBA_GAMES_LOAD_OP]["config"]["manifest_csv"]
    own = PlayByPlayArchive(SAMPLE_ARCHIVE)
    assert PlayByPlayArchive(SAMPLE_ARCHIVE, manifest_csv=passed).entries == sorted(
        own.entries, key=lambda e: e.game_id
    )


def test_a_plan_from_an_archive_without_the_season_is_refused(conn, fake_nba):
    with pytest.raises(BackfillError, match="holds no game of 2021-22"):
        plan_backfill("2021-22", SAMPLE_ARCHIVE, conn=conn, sources=_sources(fake_nba))


def test_a_plan_of_the_current_season_registers_its_played_games_from_the_cdn_schedule(conn, fake_nba):
    fake_nba.set_schedule(_schedule_of_the_cdn_sample_game())

    plan = plan_backfill("2020-21", force=True, conn=conn, sources=_sources(fake_nba))

    assert (plan.games, plan.source) == (["0022000001"], CDN_SCHEDULE)
    assert plan.run_config == {"ops": {NBA_GAMES_LOAD_OP: {"config": {"force": True}}}}
    assert conn.execute("SELECT nba_game_id, status FROM games").fetchall() == [("0022000001", "final")]


def test_a_plan_of_a_past_season_registers_its_games_from_the_league_game_log(conn, fake_nba):
    fake_nba.add_stats("leaguegamelog", _game_log_of_the_cdn_sample_game())
    schedule = _schedule_of_the_cdn_sample_game()
    schedule["leagueSchedule"]["seasonYear"] = "2025-26"
    schedule["leagueSchedule"]["gameDates"][0]["games"][0]["gameId"] = "0022500001"
    fake_nba.set_schedule(schedule)

    plan = plan_backfill("2020-21", conn=conn, sources=_sources(fake_nba))

    assert (plan.games, plan.source) == (["0022000001"], LEAGUE_GAME_LOG)
    assert conn.execute("SELECT nba_game_id FROM games").fetchall() == [("0022000001",)]


def test_a_plan_whose_source_does_not_answer_fails_with_the_reason(conn, fake_nba):
    fake_nba.fail(503)

    with pytest.raises(BackfillError, match="503"):
        plan_backfill("2020-21", conn=conn, sources=_sources(fake_nba))
