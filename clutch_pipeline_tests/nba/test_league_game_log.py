"""A past season's games from stats.nba.com's ``leaguegamelog`` (team rows): the parser
(``schedule.parse_league_game_log``) and the request (``NbaSources.stats_league_game_log``).

The rows are those of 2022-23's first games as the endpoint writes them (the same games as
``team_game_logs_2022-23.csv``, which is derived from it), served by the fake NBA server.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from clutch_pipeline.http_retry import HttpGaveUp, RetryPolicy
from clutch_pipeline.nba.schedule import (
    FINAL,
    STATS_SEASON_TYPES,
    ScheduledGame,
    ScheduleError,
    parse_league_game_log,
    stats_season_type,
)
from clutch_pipeline.nba.sources import NbaPayloadError, NbaSources
from clutch_pipeline_tests.nba.fake_nba_server import STATS_ROOT, FakeClock, FakeNbaServer

BOS, PHI, GSW, LAL, DET, ORL = 1610612738, 1610612755, 1610612744, 1610612747, 1610612765, 1610612753

HEADERS = [
    "SEASON_ID", "TEAM_ID", "TEAM_ABBREVIATION", "TEAM_NAME", "GAME_ID", "GAME_DATE", "MATCHUP", "WL",
    "MIN", "FGM", "FGA", "FG_PCT", "FG3M", "FG3A", "FG3_PCT", "FTM", "FTA", "FT_PCT", "OREB", "DREB",
    "REB", "AST", "STL", "BLK", "TOV", "PF", "PTS", "PLUS_MINUS", "VIDEO_AVAILABLE",
]  # fmt: skip

# One row per team per game, in the endpoint's order (by date): a game's two rows need not be adjacent.
ROWS = [
    ["22022", BOS, "BOS", "Boston Celtics", "0022200001", "2022-10-18", "BOS vs. PHI", "W", 240,
     46, 82, 0.561, 12, 35, 0.343, 22, 28, 0.786, 6, 30, 36, 24, 8, 3, 11, 24, 126, 9, 1],
    ["22022", LAL, "LAL", "Los Angeles Lakers", "0022200002", "2022-10-18", "LAL @ GSW", "L", 240,
     40, 94, 0.426, 10, 40, 0.25, 19, 25, 0.76, 9, 39, 48, 23, 12, 4, 22, 18, 109, -14, 1],
    ["22022", PHI, "PHI", "Philadelphia 76ers", "0022200001", "2022-10-18", "PHI @ BOS", "L", 240,
     40, 80, 0.5, 13, 34, 0.382, 24, 28, 0.857, 4, 27, 31, 16, 8, 3, 14, 25, 117, -9, 1],
    ["22022", GSW, "GSW", "Golden State Warriors", "0022200002", "2022-10-18", "GSW vs. LAL", "W", 240,
     45, 99, 0.455, 16, 45, 0.356, 17, 23, 0.739, 11, 37, 48, 31, 11, 4, 18, 23, 123, 14, 1],
    ["22022", ORL, "ORL", "Orlando Magic", "0022200003", "2022-10-19", "ORL @ DET", "L", 240,
     42, 86, 0.488, 11, 30, 0.367, 14, 19, 0.737, 10, 38, 48, 21, 5, 5, 18, 24, 109, -4, 1],
    ["22022", DET, "DET", "Detroit Pistons", "0022200003", "2022-10-19", "DET vs. ORL", "W", 240,
     40, 94, 0.426, 14, 38, 0.368, 19, 24, 0.792, 12, 29, 41, 31, 11, 4, 13, 21, 113, 4, 1],
]  # fmt: skip

PARAMETERS = {
    "Counter": 0,
    "DateFrom": None,
    "DateTo": None,
    "Direction": "ASC",
    "LeagueID": "00",
    "PlayerOrTeam": "T",
    "Season": "2022-23",
    "SeasonType": "Regular Season",
    "Sorter": "DATE",
}


def game_log(rows: list[list[Any]] | None = None, headers: list[str] | None = None) -> dict[str, Any]:
    return {
        "resource": "leaguegamelog",
        "parameters": PARAMETERS,
        "resultSets": [
            {
                "name": "LeagueGameLog",
                "headers": list(HEADERS if headers is None else headers),
                "rowSet": copy.deepcopy(ROWS if rows is None else rows),
            }
        ],
    }


def rows_of(*game_ids: str) -> list[list[Any]]:
    return [row for row in ROWS if row[4] in game_ids]


def with_values(row: list[Any], **values: Any) -> list[Any]:
    changed = list(row)
    for name, value in values.items():
        changed[HEADERS.index(name)] = value
    return changed


# -- parsing --------------------------------------------------------------------------------------------


def test_each_games_two_rows_make_one_final_game():
    games, skipped = parse_league_game_log(game_log())

    assert skipped == []
    assert [game.game_id for game in games] == ["0022200001", "0022200002", "0022200003"]
    assert games[0] == ScheduledGame(
        game_id="0022200001",
        season="2022-23",
        season_type="regular_season",
        game_date=date(2022, 10, 18),
        tipoff_utc=None,
        status=FINAL,
        home_team_id=BOS,
        away_team_id=PHI,
        home_tricode="BOS",
        away_tricode="PHI",
        home_score=126,
        away_score=117,
        period=None,
        game_clock=None,
    )


def test_home_is_the_vs_row_and_away_the_at_row_whatever_their_order():
    games, _ = parse_league_game_log(game_log())

    # GSW-LAL and DET-ORL list the away team's row first.
    assert [(g.home_tricode, g.away_tricode) for g in games] == [
        ("BOS", "PHI"),
        ("GSW", "LAL"),
        ("DET", "ORL"),
    ]
    assert [(g.home_team_id, g.away_team_id) for g in games] == [(BOS, PHI), (GSW, LAL), (DET, ORL)]
    assert [(g.home_score, g.away_score) for g in games] == [(126, 117), (123, 109), (113, 109)]
    assert [g.game_date for g in games] == [date(2022, 10, 18), date(2022, 10, 18), date(2022, 10, 19)]


def test_columns_are_read_by_name_not_position():
    order = list(reversed(HEADERS))
    rows = [[dict(zip(HEADERS, row, strict=True))[name] for name in order] for row in ROWS]

    assert parse_league_game_log(game_log(rows, order)) == parse_league_game_log(game_log())


def test_the_result_set_may_be_called_resultset():
    expected = parse_league_game_log(game_log())
    as_list = game_log()
    as_list["resultSet"] = as_list.pop("resultSets")
    as_object = game_log()
    as_object["resultSet"] = as_object.pop("resultSets")[0]

    assert parse_league_game_log(as_list) == expected
    assert parse_league_game_log(as_object) == expected


def test_season_and_season_type_come_from_the_game_id():
    rows = [with_values(row, GAME_ID="0042200101", SEASON_ID="42022") for row in rows_of("0022200001")]

    (game,), _ = parse_league_game_log(game_log(rows))

    assert (game.game_id, game.season, game.season_type) == ("0042200101", "2022-23", "playoffs")


def test_a_game_with_one_row_is_skipped_with_its_reason():
    rows = [row for row in ROWS if row[2] != "PHI"]

    games, skipped = parse_league_game_log(game_log(rows))

    assert [game.game_id for game in games] == ["0022200002", "0022200003"]
    assert skipped == ["0022200001: 1 team rows (BOS), expected 2"]


@pytest.mark.parametrize(
    ("away_row_values", "reason"),
    [
        (
            {"MATCHUP": "PHI vs. BOS"},
            "not one home and one away team: MATCHUP 'BOS vs. PHI' and 'PHI vs. BOS'",
        ),
        ({"MATCHUP": "PHI - BOS"}, "not one home and one away team: MATCHUP 'BOS vs. PHI' and 'PHI - BOS'"),
        ({"TEAM_ID": BOS, "TEAM_ABBREVIATION": "BOS"}, f"not two teams: team ids {BOS} and {BOS}"),
        ({"GAME_DATE": "2022-10-19"}, "the rows disagree on GAME_DATE (2022-10-18, 2022-10-19)"),
    ],
)
def test_two_rows_that_are_not_a_home_away_pair_are_skipped(away_row_values, reason):
    bos, phi = rows_of("0022200001")
    rows = [bos, with_values(phi, **away_row_values), *rows_of("0022200002")]

    games, skipped = parse_league_game_log(game_log(rows))

    assert [game.game_id for game in games] == ["0022200002"]
    assert skipped == [f"0022200001: {reason}"]


def test_a_game_with_three_rows_is_skipped():
    rows = [*rows_of("0022200001"), with_values(ROWS[0], MATCHUP="BOS @ PHI"), *rows_of("0022200002")]

    games, skipped = parse_league_game_log(game_log(rows))

    assert [game.game_id for game in games] == ["0022200002"]
    assert skipped == ["0022200001: 3 team rows (BOS, PHI, BOS), expected 2"]


def test_malformed_rows_and_games_are_skipped_and_the_others_kept():
    bos, phi = rows_of("0022200001")
    gsw_short = rows_of("0022200002")[1][:-1]
    rows = [
        bos,
        with_values(phi, PTS=None),
        gsw_short,
        with_values(ROWS[0], GAME_ID=22200009),
        *rows_of("0022200003"),
    ]

    games, skipped = parse_league_game_log(game_log(rows))

    assert [game.game_id for game in games] == ["0022200003"]
    assert skipped == [
        "LeagueGameLog.rowSet[2]: malformed: expected a list of 29 values, got 28",
        "LeagueGameLog.rowSet[3]: malformed: GAME_ID: an NBA game id is 00 + season type 1-6 + 7 digits, "
        "got 22200009",
        "0022200001: malformed: PTS: missing",
    ]


def test_every_game_malformed_means_the_format_changed():
    rows = [with_values(row, GAME_DATE="18/10/2022") for row in ROWS]

    with pytest.raises(ScheduleError, match="every game is malformed"):
        parse_league_game_log(game_log(rows))
    with pytest.raises(ScheduleError, match="every row is malformed"):
        parse_league_game_log(game_log([row[:5] for row in ROWS]))


def test_a_season_without_games_is_empty():
    assert parse_league_game_log(game_log([])) == ([], [])


def _without_result_sets() -> dict:
    payload = game_log()
    del payload["resultSets"]
    return payload


def _with_table(**changes: Any) -> dict:
    payload = game_log()
    payload["resultSets"][0].update(changes)
    return payload


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "payload: expected an object"),
        (_without_result_sets(), "resultSets: missing"),
        ({"resultSets": "LeagueGameLog"}, "resultSets: expected a list"),
        (_with_table(name="PlayerGameLog"), "expected one LeagueGameLog result set, got ['PlayerGameLog']"),
        (_with_table(headers=[h for h in HEADERS if h != "MATCHUP"]), "missing columns ['MATCHUP']"),
        (_with_table(headers=None), "LeagueGameLog.headers: missing"),
        (_with_table(headers=[*HEADERS[:-1], "PTS"]), "expected distinct column names"),
        (_with_table(rowSet={"0022200001": ROWS[0]}), "LeagueGameLog.rowSet: expected a list"),
    ],
)
def test_a_payload_of_the_wrong_shape_raises(payload, message):
    with pytest.raises(ScheduleError) as raised:
        parse_league_game_log(payload)

    assert message in str(raised.value)


def test_our_season_types_map_to_the_endpoints():
    assert STATS_SEASON_TYPES == {
        "preseason": "Pre Season",
        "regular_season": "Regular Season",
        "playoffs": "Playoffs",
        "play_in": "PlayIn",
    }
    assert stats_season_type("play_in") == "PlayIn"
    with pytest.raises(ValueError, match="all_star"):
        stats_season_type("all_star")


# -- the request, against the fake NBA server -----------------------------------------------------------

GAME_LOG_PATH = f"{STATS_ROOT}/leaguegamelog"


@pytest.fixture
def fake_stats():
    with FakeNbaServer(files={GAME_LOG_PATH: game_log()}) as server:
        yield server


@pytest.fixture
def nba(fake_stats: FakeNbaServer, waits: list[float], clock: FakeClock) -> NbaSources:
    retry = RetryPolicy(attempts=3, sleep=waits.append, rng=lambda: 1.0)
    return NbaSources(
        stats_base_url=fake_stats.stats_base_url,
        cdn_base_url=fake_stats.cdn_base_url,
        retry=retry,
        clock=clock.monotonic,
        sleep=clock.sleep,
    )


def test_the_game_log_is_asked_of_stats_with_team_rows_of_the_season(nba, fake_stats):
    payload = nba.stats_league_game_log("2022-23")

    (request,) = fake_stats.received()
    assert request.path == "/stats/leaguegamelog"
    assert request.query == {
        "Counter": "0",
        "Direction": "ASC",
        "LeagueID": "00",
        "PlayerOrTeam": "T",
        "Season": "2022-23",
        "SeasonType": "Regular Season",
        "Sorter": "DATE",
    }
    assert "SeasonType=Regular+Season" in request.target
    assert request.headers["Referer"] == "https://www.nba.com/"
    games, skipped = parse_league_game_log(payload)
    assert (len(games), skipped) == (3, [])


def test_the_season_type_is_passed_as_the_endpoint_writes_it(nba, fake_stats):
    nba.stats_league_game_log("2021-22", stats_season_type("play_in"))

    (request,) = fake_stats.received()
    assert (request.query["Season"], request.query["SeasonType"]) == ("2021-22", "PlayIn")


def test_a_5xx_is_retried_and_each_attempt_is_paced(nba, fake_stats, waits, clock):
    fake_stats.fail(503, match="leaguegamelog", times=1)

    payload = nba.stats_league_game_log("2022-23")

    assert fake_stats.count("leaguegamelog") == 2
    assert waits == [1.0]  # the retry policy's backoff
    assert clock.sleeps == [pytest.approx(0.6)]  # the stats interval, before the second attempt
    assert parse_league_game_log(payload)[0][0].game_id == "0022200001"


def test_stats_requests_are_spaced_by_the_polite_interval(nba, clock):
    nba.stats_league_game_log("2022-23")
    clock.now += 0.2
    nba.stats_league_game_log("2022-23", "Playoffs")

    assert clock.sleeps == [pytest.approx(0.4)]


def test_a_refusal_is_not_retried_and_names_the_season(nba, fake_stats, waits):
    fake_stats.fail(400, match="leaguegamelog")

    with pytest.raises(HttpGaveUp) as raised:
        nba.stats_league_game_log("2022-23")

    assert raised.value.status == 400
    assert raised.value.url_path == "/stats/leaguegamelog"
    assert "stats league game log of 2022-23 Regular Season" in raised.value.__notes__
    assert waits == []


def test_a_truncated_answer_raises_naming_the_season(nba, fake_stats):
    fake_stats.truncate(match="leaguegamelog")

    with pytest.raises(NbaPayloadError, match="game log of 2022-23 Regular Season"):
        nba.stats_league_game_log("2022-23")


@pytest.mark.parametrize("season", ["2022", "2022-2023", "2022-24", "22-23", "2022-23 "])
def test_a_season_must_be_written_yyyy_yy(nba, fake_stats, season):
    with pytest.raises(ValueError, match="YYYY-YY"):
        nba.stats_league_game_log(season)

    assert fake_stats.count() == 0
