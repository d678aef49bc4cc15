"""The schedule and scoreboard parsers, and the live sensor's pure plan (clutch_pipeline.nba.schedule)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from clutch_pipeline.nba.schedule import (
    FINAL,
    IN_PROGRESS,
    POSTPONED,
    SCHEDULED,
    ScheduledGame,
    ScheduleError,
    dump_cursor,
    final_run_key,
    live_run_key,
    load_cursor,
    parse_schedule,
    parse_scoreboard,
    plan_live_runs,
    scoreboard_fingerprint,
    scoreboard_fingerprints,
    season_of,
    season_type_of,
)

DATA = Path(__file__).parent / "data"
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "nba"
FULL_SCHEDULE = REFERENCE / "scheduleLeagueV2_2023-24_asof_2023-09-16.json"
SCOREBOARD_V3 = REFERENCE / "scoreboardv3_2025-11-05.json"

CLE, PHI, BOS, WAS, LAL, SAS = 1610612739, 1610612755, 1610612738, 1610612764, 1610612747, 1610612759


def _reference(path: Path) -> dict[str, Any]:
    if not path.exists():
        pytest.skip(f"{path.name} is not at {path.parent} (../shared beside the repository root)")
    return json.loads(path.read_text())


def _small_schedule() -> dict[str, Any]:
    """The cut-down CDN schedule: LAL@DEN and PHX@GSW on 2023-10-24."""
    return json.loads((DATA / "scheduleLeagueV2_2.json").read_text())


def _first_schedule_game(payload: dict[str, Any]) -> dict[str, Any]:
    return payload["leagueSchedule"]["gameDates"][0]["games"][0]


def _team(team_id: int, name: str, city: str, tricode: str, score: int, periods: list[int]) -> dict[str, Any]:
    return {
        "teamId": team_id,
        "teamName": name,
        "teamCity": city,
        "teamTricode": tricode,
        "wins": 20,
        "losses": 18,
        "score": score,
        "inBonus": None,
        "timeoutsRemaining": 4,
        "periods": [
            {"period": i, "periodType": "REGULAR", "score": periods[i - 1] if i <= len(periods) else 0}
            for i in range(1, 5)
        ],
    }


def _scoreboard_game(
    *,
    game_id: str,
    code: str,
    status: int,
    text: str,
    period: int,
    clock: str,
    tip_utc: str,
    tip_et: str,
    home: dict[str, Any],
    away: dict[str, Any],
) -> dict[str, Any]:
    return {
        "gameId": game_id,
        "gameCode": code,
        "gameStatus": status,
        "gameStatusText": text,
        "period": period,
        "gameClock": clock,
        "gameTimeUTC": tip_utc,
        "gameEt": tip_et,  # Eastern wall clock with a fake "Z" (NBA_DATA.md 3.6)
        "regulationPeriods": 4,
        "seriesGameNumber": "",
        "seriesText": "",
        "homeTeam": home,
        "awayTeam": away,
        "gameLeaders": {},
        "pbOdds": {"team": None, "odds": 0.0, "suspended": 0},
    }


def _cdn_scoreboard() -> dict[str, Any]:
    """A CDN ``todaysScoreboard_00.json`` on 2026-01-15 (EST, UTC-5): one final, one live, one to come."""
    return {
        "meta": {
            "version": 1,
            "request": "https://nba-prod-us-east-1-mediaops-stats.s3.amazonaws.com/NBA/liveData/scoreboard/todaysScoreboard_00.json",
            "time": "2026-01-15 20:41:03.413",
            "code": 200,
        },
        "scoreboard": {
            "gameDate": "2026-01-15",
            "leagueId": "00",
            "leagueName": "National Basketball Association",
            "games": [
                _scoreboard_game(
                    game_id="0022500601",
                    code="20260115/PHICLE",
                    status=3,
                    text="Final",
                    period=4,
                    clock="",
                    tip_utc="2026-01-15T17:00:00Z",
                    tip_et="2026-01-15T12:00:00Z",
                    home=_team(CLE, "Cavaliers", "Cleveland", "CLE", 118, [30, 28, 31, 29]),
                    away=_team(PHI, "76ers", "Philadelphia", "PHI", 109, [25, 27, 30, 27]),
                ),
                _scoreboard_game(
                    game_id="0022500602",
                    code="20260115/WASBOS",
                    status=2,
                    text="Q3 5:12",
                    period=3,
                    clock="PT05M12.00S",
                    tip_utc="2026-01-16T00:00:00Z",
                    tip_et="2026-01-15T19:00:00Z",
                    home=_team(BOS, "Celtics", "Boston", "BOS", 61, [29, 24, 8]),
                    away=_team(WAS, "Wizards", "Washington", "WAS", 54, [22, 25, 7]),
                ),
                _scoreboard_game(
                    game_id="0022500603",
                    code="20260115/SASLAL",
                    status=1,
                    text="10:30 pm ET",
                    period=0,
                    clock="",
                    tip_utc="2026-01-16T03:30:00Z",
                    tip_et="2026-01-15T22:30:00Z",
                    home=_team(LAL, "Lakers", "Los Angeles", "LAL", 0, []),
                    away=_team(SAS, "Spurs", "San Antonio", "SAS", 0, []),
                ),
            ],
        },
    }


def _game(
    game_id: str,
    status: str,
    *,
    period: int | None = None,
    clock: str | None = None,
    home: int | None = None,
    away: int | None = None,
) -> ScheduledGame:
    return ScheduledGame(
        game_id=game_id,
        season=season_of(game_id),
        season_type=season_type_of(game_id),
        game_date=date(2026, 1, 15),
        tipoff_utc=datetime(2026, 1, 16, 0, 0, tzinfo=UTC),
        status=status,
        home_team_id=BOS,
        away_team_id=WAS,
        home_tricode="BOS",
        away_tricode="WAS",
        home_score=home,
        away_score=away,
        period=period,
        game_clock=clock,
    )


LIVE = "0022500602"


def _live(clock: str, home: int, away: int, period: int = 3) -> ScheduledGame:
    return _game(LIVE, IN_PROGRESS, period=period, clock=clock, home=home, away=away)


def _tick(games: list[ScheduledGame], cursor_text: str | None):
    """One sensor tick as the sensor runs it: load the cursor, plan, dump the cursor."""
    plan = plan_live_runs(games, load_cursor(cursor_text), scoreboard_fingerprints(games))
    return plan, dump_cursor(plan.cursor)


# -- game ids -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("game_id", "season", "season_type"),
    [
        ("0012300001", "2023-24", "preseason"),
        ("0022300061", "2023-24", "regular_season"),
        ("0032300001", "2023-24", "all_star"),
        ("0042200101", "2022-23", "playoffs"),
        ("0052300101", "2023-24", "play_in"),
        ("0062300001", "2023-24", "in_season_tournament_final"),
        ("0029900001", "1999-00", "regular_season"),
    ],
)
def test_season_and_season_type_come_from_the_game_id(game_id: str, season: str, season_type: str) -> None:
    assert (season_of(game_id), season_type_of(game_id)) == (season, season_type)


def test_a_game_id_that_is_not_ten_nba_digits_is_refused() -> None:
    with pytest.raises(ScheduleError, match="1022300061"):
        season_of("1022300061")


# -- the season schedule (cut-down copy) ----------------------------------------------------------------


def test_schedule_tipoff_is_gameDateTimeUTC_not_the_1900_gameTimeUTC() -> None:
    games, skipped = parse_schedule(_small_schedule())

    assert skipped == []
    assert [(g.game_id, g.tipoff_utc) for g in games] == [
        ("0022300061", datetime(2023, 10, 24, 23, 30, tzinfo=UTC)),
        ("0022300062", datetime(2023, 10, 25, 2, 0, tzinfo=UTC)),
    ]


def test_schedule_game_date_is_the_eastern_date_of_a_tipoff_after_midnight_utc() -> None:
    games, _ = parse_schedule(_small_schedule())

    phx_at_gsw = games[1]
    assert phx_at_gsw.tipoff_utc is not None and phx_at_gsw.tipoff_utc.date() == date(2023, 10, 25)
    assert phx_at_gsw.game_date == date(2023, 10, 24)


def test_schedule_game_carries_teams_season_and_no_score_before_tipoff() -> None:
    games, _ = parse_schedule(_small_schedule())

    assert games[0] == ScheduledGame(
        game_id="0022300061",
        season="2023-24",
        season_type="regular_season",
        game_date=date(2023, 10, 24),
        tipoff_utc=datetime(2023, 10, 24, 23, 30, tzinfo=UTC),
        status=SCHEDULED,
        home_team_id=1610612743,
        away_team_id=1610612747,
        home_tricode="DEN",
        away_tricode="LAL",
        home_score=None,
        away_score=None,
        period=None,
        game_clock=None,
    )


def test_schedule_ignores_the_fake_z_eastern_fields() -> None:
    payload = _small_schedule()
    expected, _ = parse_schedule(payload)
    for raw in payload["leagueSchedule"]["gameDates"][0]["games"]:
        raw["gameDateTimeEst"] = "2023-10-24T19:30:00Z" if raw["gameId"].endswith("62") else "garbage"
        raw["gameDateEst"] = raw["gameTimeEst"] = "2099-01-01T00:00:00Z"

    assert parse_schedule(payload)[0] == expected


def test_schedule_skips_an_undecided_game_and_reports_its_id() -> None:
    payload = _small_schedule()
    undecided = _first_schedule_game(payload)
    undecided["homeTeam"]["teamId"] = undecided["awayTeam"]["teamId"] = 0
    undecided["gameTimeUTC"] = "0001-01-01T04:57:00Z"

    games, skipped = parse_schedule(payload)

    assert [g.game_id for g in games] == ["0022300062"]
    assert len(skipped) == 1 and skipped[0].startswith("0022300061: undecided")


def test_schedule_keeps_a_game_whose_teams_are_known_but_time_is_not() -> None:
    payload = _small_schedule()
    raw = _first_schedule_game(payload)
    raw["gameTimeUTC"] = "0001-01-01T04:57:00Z"
    raw["gameDateTimeUTC"] = raw["gameDateUTC"] = "2023-10-24T04:00:00Z"  # New York midnight

    game = parse_schedule(payload)[0][0]

    assert (game.game_id, game.tipoff_utc, game.game_date) == ("0022300061", None, date(2023, 10, 24))


@pytest.mark.parametrize(
    ("code", "text", "status"),
    [
        (1, "7:30 pm ET", SCHEDULED),
        (2, "Q2 3:04", IN_PROGRESS),
        (3, "Final", FINAL),
        (3, "Final/OT", FINAL),
        (1, "PPD", POSTPONED),
    ],
)
def test_schedule_status_from_gameStatus_and_PPD_text(code: int, text: str, status: str) -> None:
    payload = _small_schedule()
    raw = _first_schedule_game(payload)
    raw["gameStatus"], raw["gameStatusText"] = code, text

    assert parse_schedule(payload)[0][0].status == status


def test_schedule_final_game_carries_its_score() -> None:
    payload = _small_schedule()
    raw = _first_schedule_game(payload)
    raw["gameStatus"], raw["gameStatusText"] = 3, "Final"
    raw["homeTeam"]["score"], raw["awayTeam"]["score"] = 119, 107

    game = parse_schedule(payload)[0][0]

    assert (game.home_score, game.away_score) == (119, 107)


def test_schedule_without_leagueSchedule_raises_naming_the_field() -> None:
    with pytest.raises(ScheduleError, match="leagueSchedule"):
        parse_schedule({"meta": {}})


def test_schedule_that_is_not_an_object_raises() -> None:
    with pytest.raises(ScheduleError, match="payload"):
        parse_schedule([])


def test_schedule_skips_a_malformed_game_and_names_its_id_and_field() -> None:
    payload = _small_schedule()
    del _first_schedule_game(payload)["gameDateTimeUTC"]

    games, skipped = parse_schedule(payload)

    assert [g.game_id for g in games] == ["0022300062"]
    assert skipped == ["0022300061: malformed: gameDateTimeUTC: missing"]


def test_schedule_reports_a_game_listed_twice_and_keeps_the_first() -> None:
    payload = _small_schedule()
    games_of_day = payload["leagueSchedule"]["gameDates"][0]["games"]
    games_of_day.append(copy.deepcopy(games_of_day[0]))

    games, skipped = parse_schedule(payload)

    assert [g.game_id for g in games] == ["0022300061", "0022300062"]
    assert skipped == ["0022300061: listed again; the first listing was kept"]


def test_schedule_whose_every_game_is_malformed_raises() -> None:
    payload = _small_schedule()
    for raw in payload["leagueSchedule"]["gameDates"][0]["games"]:
        raw["gameStatus"] = 9

    with pytest.raises(ScheduleError, match=r"every game is malformed.*gameStatus"):
        parse_schedule(payload)


# -- the full 2023-24 schedule (../shared) --------------------------------------------------------------


@pytest.fixture(scope="module")
def season_2023_24() -> dict[str, Any]:
    return _reference(FULL_SCHEDULE)


@pytest.fixture(scope="module")
def parsed_2023_24(season_2023_24: dict[str, Any]) -> tuple[list[ScheduledGame], list[str]]:
    return parse_schedule(season_2023_24)


def test_2023_24_schedule_holds_1206_regular_season_ids_of_which_6_are_undecided(
    season_2023_24: dict[str, Any], parsed_2023_24: tuple[list[ScheduledGame], list[str]]
) -> None:
    games, skipped = parsed_2023_24
    raw_ids = [g["gameId"] for d in season_2023_24["leagueSchedule"]["gameDates"] for g in d["games"]]
    skipped_ids = [line.split(":")[0] for line in skipped]

    assert sum(i.startswith("002") for i in raw_ids) == 1206
    assert sum(g.season_type == "regular_season" for g in games) == 1200
    assert sum(i.startswith("002") for i in skipped_ids) == 6
    assert all(": undecided" in line for line in skipped)


def test_2023_24_schedule_skips_the_undecided_in_season_tournament_final(
    parsed_2023_24: tuple[list[ScheduledGame], list[str]],
) -> None:
    games, skipped = parsed_2023_24

    assert [line.split(":")[0] for line in skipped if line.startswith("006")] == ["0062300001"]
    assert season_type_of("0062300001") == "in_season_tournament_final"
    assert not any(g.game_id == "0062300001" for g in games)


def test_2023_24_in_season_tournament_final_once_decided_is_typed_as_such(
    season_2023_24: dict[str, Any],
) -> None:
    final = next(
        g
        for d in season_2023_24["leagueSchedule"]["gameDates"]
        for g in d["games"]
        if g["gameId"] == "0062300001"
    )
    decided = copy.deepcopy(final)
    decided["homeTeam"].update(teamId=1610612747, teamTricode="LAL")
    decided["awayTeam"].update(teamId=1610612754, teamTricode="IND")
    decided["gameDateTimeUTC"], decided["gameTimeUTC"] = "2023-12-10T01:30:00Z", "1900-01-02T01:30:00Z"
    payload = {"leagueSchedule": {"gameDates": [{"games": [decided]}]}}

    game = parse_schedule(payload)[0][0]

    assert (game.season, game.season_type) == ("2023-24", "in_season_tournament_final")
    assert game.game_date == date(2023, 12, 9)


def test_2023_24_schedule_types_73_preseason_games(
    parsed_2023_24: tuple[list[ScheduledGame], list[str]],
) -> None:
    preseason = [g for g in parsed_2023_24[0] if g.season_type == "preseason"]

    assert len(preseason) == 73
    assert all(g.game_id.startswith("00123") and g.season == "2023-24" for g in preseason)


def test_2023_24_every_eastern_date_matches_the_printed_gameDateEst(
    season_2023_24: dict[str, Any], parsed_2023_24: tuple[list[ScheduledGame], list[str]]
) -> None:
    printed = {
        g["gameId"]: date.fromisoformat(g["gameDateEst"][:10])
        for d in season_2023_24["leagueSchedule"]["gameDates"]
        for g in d["games"]
    }
    games = parsed_2023_24[0]

    assert len(games) == 1273
    assert all(g.tipoff_utc is not None for g in games)
    assert {g.game_id: g.game_date for g in games} == {g.game_id: printed[g.game_id] for g in games}


# -- scoreboards ----------------------------------------------------------------------------------------


def test_cdn_scoreboard_gives_status_period_clock_and_score_of_a_live_game() -> None:
    live = parse_scoreboard(_cdn_scoreboard())[1]

    assert live == ScheduledGame(
        game_id="0022500602",
        season="2025-26",
        season_type="regular_season",
        game_date=date(2026, 1, 15),
        tipoff_utc=datetime(2026, 1, 16, 0, 0, tzinfo=UTC),
        status=IN_PROGRESS,
        home_team_id=BOS,
        away_team_id=WAS,
        home_tricode="BOS",
        away_tricode="WAS",
        home_score=61,
        away_score=54,
        period=3,
        game_clock="PT05M12.00S",
    )


def test_cdn_scoreboard_statuses_final_in_progress_scheduled() -> None:
    games = parse_scoreboard(_cdn_scoreboard())

    assert [(g.game_id, g.status) for g in games] == [
        ("0022500601", FINAL),
        ("0022500602", IN_PROGRESS),
        ("0022500603", SCHEDULED),
    ]


def test_cdn_scoreboard_game_not_started_has_no_score_period_or_clock() -> None:
    later = parse_scoreboard(_cdn_scoreboard())[2]

    assert (later.home_score, later.away_score, later.period, later.game_clock) == (None, None, None, None)
    assert later.game_date == date(2026, 1, 15)  # 10:30 pm ET is 03:30 UTC the next day


def test_cdn_scoreboard_postponed_game() -> None:
    payload = _cdn_scoreboard()
    payload["scoreboard"]["games"][2]["gameStatusText"] = "PPD"

    assert parse_scoreboard(payload)[2].status == POSTPONED


def test_cdn_scoreboard_ignores_the_fake_z_gameEt() -> None:
    payload = _cdn_scoreboard()
    expected = parse_scoreboard(payload)
    for raw in payload["scoreboard"]["games"]:
        raw["gameEt"] = "not a time"

    assert parse_scoreboard(payload) == expected


def test_scoreboard_without_games_raises_naming_the_field() -> None:
    with pytest.raises(ScheduleError, match=r"scoreboard\.games"):
        parse_scoreboard({"scoreboard": {"gameDate": "2026-01-15"}})


def test_scoreboard_malformed_game_raises_naming_game_and_field() -> None:
    payload = _cdn_scoreboard()
    payload["scoreboard"]["games"][1]["homeTeam"]["score"] = "sixty-one"

    with pytest.raises(ScheduleError, match=r"game 0022500602 homeTeam\.score") as caught:
        parse_scoreboard(payload)
    assert (caught.value.game_id, caught.value.field) == ("0022500602", "homeTeam.score")


def test_scoreboard_malformed_game_is_skipped_when_the_caller_collects_skips() -> None:
    payload = _cdn_scoreboard()
    del payload["scoreboard"]["games"][1]["gameTimeUTC"]
    skipped: list[str] = []

    games = parse_scoreboard(payload, skipped=skipped)

    assert [g.game_id for g in games] == ["0022500601", "0022500603"]
    assert skipped == ["0022500602: malformed: gameTimeUTC: missing"]


def test_stats_scoreboardv3_sample_parses_eleven_finals() -> None:
    games = parse_scoreboard(_reference(SCOREBOARD_V3))

    assert len(games) == 11
    assert {(g.status, g.game_date, g.season) for g in games} == {(FINAL, date(2025, 11, 5), "2025-26")}
    first = games[0]
    assert (first.game_id, first.home_tricode, first.home_score, first.away_tricode, first.away_score) == (
        "0022500171",
        "CLE",
        132,
        "PHI",
        121,
    )
    assert first.tipoff_utc == datetime(2025, 11, 6, 0, 0, tzinfo=UTC)  # gameEt says 19:00 "Z"


# -- the live sensor's plan -----------------------------------------------------------------------------


def test_plan_registers_a_game_seen_for_the_first_time_only_once() -> None:
    games = [_game("0022500603", SCHEDULED)]

    first, cursor = _tick(games, None)
    second, _ = _tick(games, cursor)

    assert (first.new_games, second.new_games) == (["0022500603"], [])


def test_plan_skips_a_scheduled_game_with_the_reason() -> None:
    plan, _ = _tick([_game("0022500603", SCHEDULED)], None)

    assert (plan.runs, plan.skipped) == ([], {"0022500603": "scheduled"})


def test_plan_skips_a_postponed_game_with_the_reason() -> None:
    plan, _ = _tick([_game("0022500603", POSTPONED)], None)

    assert (plan.runs, plan.skipped) == ([], {"0022500603": "postponed"})


def test_plan_requests_one_run_for_a_live_game_polled_twice_without_change() -> None:
    first, cursor = _tick([_live("PT05M12.00S", 61, 54)], None)
    second, _ = _tick([_live("PT05M12.00S", 61, 54)], cursor)

    assert first.runs == [(LIVE, f"{LIVE}:live:p3-PT05M12.00S-61-54")]
    assert second.runs == []
    assert second.skipped == {LIVE: "unchanged since last run"}


def test_plan_requests_a_second_run_once_the_live_game_changed() -> None:
    _, cursor = _tick([_live("PT05M12.00S", 61, 54)], None)
    _, cursor = _tick([_live("PT05M12.00S", 61, 54)], cursor)
    third, _ = _tick([_live("PT01M40.00S", 66, 60)], cursor)

    assert third.runs == [(LIVE, f"{LIVE}:live:p3-PT01M40.00S-66-60")]


def test_plan_requests_exactly_one_final_run_across_many_ticks() -> None:
    _, cursor = _tick([_live("PT00M30.00S", 101, 99, period=4)], None)
    runs = []
    for _ in range(4):
        plan, cursor = _tick([_game(LIVE, FINAL, period=4, home=104, away=99)], cursor)
        runs += plan.runs

    assert runs == [(LIVE, f"{LIVE}:final")]
    assert plan.skipped == {LIVE: "final run already requested"}


def test_plan_requests_a_final_run_for_a_game_first_seen_final() -> None:
    plan, _ = _tick([_game(LIVE, FINAL, period=4, home=104, away=99)], None)

    assert (plan.new_games, plan.runs) == ([LIVE], [(LIVE, final_run_key(LIVE))])


def test_plan_keeps_a_final_game_final_when_the_scoreboard_shows_it_live_again() -> None:
    _, cursor = _tick([_game(LIVE, FINAL, period=4, home=104, away=99)], None)
    plan, _ = _tick([_live("PT00M01.00S", 104, 99, period=4)], cursor)

    assert plan.runs == []
    assert plan.skipped == {LIVE: "final run already requested"}


def test_plan_uses_the_fingerprint_the_caller_passes() -> None:
    games = [_live("PT05M12.00S", 61, 54)]

    first = plan_live_runs(games, {}, {LIVE: "412-530"})
    same_actions = plan_live_runs(games, first.cursor, {LIVE: "412-530"})
    more_actions = plan_live_runs(games, same_actions.cursor, {LIVE: "415-534"})

    assert first.runs == [(LIVE, live_run_key(LIVE, "412-530"))]
    assert same_actions.runs == []
    assert more_actions.runs == [(LIVE, f"{LIVE}:live:415-534")]


def test_plan_falls_back_to_the_scoreboard_fingerprint_when_none_is_passed() -> None:
    game = _live("PT05M12.00S", 61, 54)

    plan = plan_live_runs([game], {}, {})

    assert plan.runs == [(LIVE, live_run_key(LIVE, scoreboard_fingerprint(game)))]


def test_plan_final_run_key_cannot_collide_with_a_live_run_key() -> None:
    assert live_run_key(LIVE, "final") != final_run_key(LIVE)


def test_plan_cursor_drops_games_no_longer_on_the_scoreboard() -> None:
    _, cursor = _tick([_game("0022500601", FINAL, period=4, home=118, away=109)], None)
    plan, _ = _tick([_game("0022500701", SCHEDULED)], cursor)

    assert set(plan.cursor) == {"0022500701"}


def test_plan_of_a_real_scoreboard_runs_the_final_and_the_live_game_and_skips_the_scheduled() -> None:
    games = parse_scoreboard(_cdn_scoreboard())

    plan = plan_live_runs(games, {}, scoreboard_fingerprints(games))

    assert plan.new_games == ["0022500601", "0022500602", "0022500603"]
    assert plan.runs == [
        ("0022500601", "0022500601:final"),
        ("0022500602", "0022500602:live:p3-PT05M12.00S-61-54"),
    ]
    assert plan.skipped == {"0022500603": "scheduled"}


# -- the cursor -----------------------------------------------------------------------------------------


def test_cursor_round_trips_through_its_string() -> None:
    games = parse_scoreboard(_cdn_scoreboard())
    cursor = plan_live_runs(games, {}, scoreboard_fingerprints(games)).cursor

    assert load_cursor(dump_cursor(cursor)) == cursor
    assert cursor == {
        "0022500601": "final:",
        "0022500602": "in_progress:p3-PT05M12.00S-61-54",
        "0022500603": "scheduled:",
    }


def test_no_cursor_starts_fresh_without_complaint() -> None:
    said: list[str] = []

    assert load_cursor(None, on_reset=said.append) == {}
    assert said == []


@pytest.mark.parametrize("garbage", ["{not json", "[1, 2]", '{"version": 99, "games": {}}', '{"version": 1}'])
def test_garbage_cursor_starts_fresh_and_says_so(garbage: str) -> None:
    said: list[str] = []

    assert load_cursor(garbage, on_reset=said.append) == {}
    assert len(said) == 1 and "starting fresh" in said[0]


def test_cursor_entry_that_cannot_be_read_is_dropped_and_reported() -> None:
    text = json.dumps({"version": 1, "games": {"0022500601": "final:", "0022500602": 7, "x": "final:"}})
    said: list[str] = []

    assert load_cursor(text, on_reset=said.append) == {"0022500601": "final:"}
    assert len(said) == 2
