"""HTTP access to the NBA, against the fake NBA server (real URL layouts, real sample payloads).

Retry waits go to ``waits`` and pacing runs on a fake clock, so no test sleeps; the jitter is fixed at
the top of its range (``rng=lambda: 1.0``), so backoff waits are 1, 2, 4... seconds.
"""

from __future__ import annotations

import time

import pytest

from clutch_pipeline.http_retry import HttpGaveUp, RetryPolicy
from clutch_pipeline.nba.sources import NbaPayloadError, NbaSources
from clutch_pipeline_tests.nba.fake_nba_server import FakeClock, FakeNbaServer, cdn_playbyplay_path

CDN_GAME = "0022000001"  # served by the CDN (data/playbyplay_0022000001.json)
V3_GAME = "0022200552"  # served by stats v3 only (data/playbyplayv3_0022200552.json)


@pytest.fixture
def nba(fake_nba: FakeNbaServer, waits: list[float], clock: FakeClock) -> NbaSources:
    return client(fake_nba, waits, clock)


def client(fake: FakeNbaServer, waits: list[float], clock: FakeClock, **overrides) -> NbaSources:
    retry = RetryPolicy(attempts=overrides.pop("attempts", 5), sleep=waits.append, rng=lambda: 1.0)
    settings = {
        "stats_base_url": fake.stats_base_url,
        "cdn_base_url": fake.cdn_base_url,
        "retry": retry,
        "clock": clock.monotonic,
        "sleep": clock.sleep,
    }
    return NbaSources(**{**settings, **overrides})


# -- CDN first, stats v3 when the CDN does not serve the game ------------------------------------------


def test_play_by_play_comes_from_the_cdn_when_it_serves_the_game(nba, fake_nba):
    source, payload = nba.play_by_play(CDN_GAME)

    assert source == "cdn"
    assert payload["game"]["gameId"] == CDN_GAME
    assert len(payload["game"]["actions"]) == 610
    assert fake_nba.count("playbyplayv3") == 0


@pytest.mark.parametrize("status", [403, 404])
def test_play_by_play_falls_back_to_v3_when_the_cdn_does_not_serve_the_game(nba, fake_nba, status):
    fake_nba.fail(status, match=f"playbyplay_{V3_GAME}")

    source, payload = nba.play_by_play(V3_GAME)

    assert source == "v3"
    assert payload["game"]["gameId"] == V3_GAME
    assert [r.path for r in fake_nba.received()] == [cdn_playbyplay_path(V3_GAME), "/stats/playbyplayv3"]


def test_play_by_play_falls_back_to_v3_when_the_cdn_keeps_failing(fake_nba, waits, clock):
    fake_nba.fail(503, match="/static/json/")
    fake_nba.add_v3_playbyplay(
        CDN_GAME, {"meta": {"version": 1}, "game": {"gameId": CDN_GAME, "actions": []}}
    )
    nba = client(fake_nba, waits, clock, attempts=3)

    source, payload = nba.play_by_play(CDN_GAME)

    assert (source, payload["game"]["gameId"]) == ("v3", CDN_GAME)
    assert fake_nba.count("/static/json/") == 3


def test_cdn_playbyplay_is_none_when_the_cdn_does_not_have_the_game(nba):
    assert nba.cdn_playbyplay(V3_GAME) is None  # the fake CDN answers 403 AccessDenied, as S3 does


def test_v3_asks_for_every_period_of_the_game(nba, fake_nba):
    nba.v3_playbyplay(V3_GAME)

    (request,) = fake_nba.received("playbyplayv3")
    assert request.query == {"GameID": V3_GAME, "StartPeriod": "0", "EndPeriod": "0"}


# -- retries -------------------------------------------------------------------------------------------


def test_5xx_is_retried_with_backoff_then_succeeds(nba, fake_nba, waits):
    fake_nba.fail(503, match="playbyplayv3", times=2)

    payload = nba.v3_playbyplay(V3_GAME)

    assert payload["game"]["gameId"] == V3_GAME
    assert fake_nba.count("playbyplayv3") == 3
    assert waits == [1.0, 2.0]


def test_gives_up_after_the_configured_attempts_naming_the_path(fake_nba, waits, clock):
    fake_nba.fail(500, match="playbyplayv3")
    nba = client(fake_nba, waits, clock, attempts=4)

    with pytest.raises(HttpGaveUp) as caught:
        nba.v3_playbyplay(V3_GAME)

    assert (caught.value.status, caught.value.url_path) == (500, "/stats/playbyplayv3")
    assert fake_nba.count("playbyplayv3") == 4
    assert any(V3_GAME in note for note in caught.value.__notes__)


def test_429_waits_for_retry_after(nba, fake_nba, waits):
    fake_nba.rate_limit(retry_after=7, match="playbyplayv3")

    nba.v3_playbyplay(V3_GAME)

    assert waits == [7.0]
    assert fake_nba.count("playbyplayv3") == 2


def test_non_429_4xx_is_not_retried(nba, fake_nba, waits):
    fake_nba.fail(400, match="playbyplayv3")

    with pytest.raises(HttpGaveUp) as caught:
        nba.v3_playbyplay(V3_GAME)

    assert caught.value.status == 400
    assert fake_nba.count("playbyplayv3") == 1
    assert waits == []


def test_a_slow_answer_times_out_is_retried_and_finally_raises(fake_nba, waits, clock):
    fake_nba.slow(0.3, match="playbyplayv3")
    nba = client(fake_nba, waits, clock, attempts=2, read_timeout=0.15)

    with pytest.raises(HttpGaveUp) as caught:
        nba.v3_playbyplay(V3_GAME)

    assert caught.value.status is None
    assert "ReadTimeout" in str(caught.value)
    assert fake_nba.count("playbyplayv3") == 2


# -- payloads ------------------------------------------------------------------------------------------


def test_a_truncated_body_raises_an_error_naming_the_game(nba, fake_nba):
    fake_nba.truncate(match=f"playbyplay_{CDN_GAME}")

    with pytest.raises(NbaPayloadError, match=f"game {CDN_GAME}"):
        nba.cdn_playbyplay(CDN_GAME)
    assert fake_nba.count() == 1


def test_a_body_cut_off_in_transit_is_retried(nba, fake_nba, waits):
    fake_nba.truncate(match=f"playbyplay_{CDN_GAME}", times=1, cut_connection=True)

    payload = nba.cdn_playbyplay(CDN_GAME)

    assert payload is not None and payload["game"]["gameId"] == CDN_GAME
    assert waits == [1.0]


def test_a_game_id_must_be_ten_digits(nba, fake_nba):
    with pytest.raises(ValueError, match="ten digits"):
        nba.cdn_playbyplay("../../x")
    assert fake_nba.count() == 0


def scoreboard_team(team_id: int, city: str, name: str, tricode: str, quarters: list[int]) -> dict:
    periods = [{"period": n, "periodType": "REGULAR", "score": q} for n, q in enumerate(quarters, 1)]
    return {
        "teamId": team_id,
        "teamName": name,
        "teamCity": city,
        "teamTricode": tricode,
        "wins": 5,
        "losses": 3,
        "score": sum(quarters),
        "inBonus": None,
        "timeoutsRemaining": 1,
        "periods": periods,
    }


# The shape of NBA_DATA.md 3.6, with the values of a real final (scoreboardv3 of 2025-11-05).
TODAYS_SCOREBOARD = {
    "meta": {"version": 1, "code": 200, "time": "2025-11-06 02:51:00.000"},
    "scoreboard": {
        "gameDate": "2025-11-05",
        "leagueId": "00",
        "leagueName": "National Basketball Association",
        "games": [
            {
                "gameId": "0022500171",
                "gameCode": "20251105/PHICLE",
                "gameStatus": 3,
                "gameStatusText": "Final",
                "period": 4,
                "gameClock": "",
                "gameTimeUTC": "2025-11-06T00:00:00Z",
                "gameEt": "2025-11-05T19:00:00Z",
                "regulationPeriods": 4,
                "seriesGameNumber": "",
                "seriesText": "",
                "homeTeam": scoreboard_team(1610612739, "Cleveland", "Cavaliers", "CLE", [41, 29, 37, 25]),
                "awayTeam": scoreboard_team(1610612755, "Philadelphia", "76ers", "PHI", [27, 40, 20, 34]),
                "gameLeaders": {},
                "pbOdds": {},
            }
        ],
    },
}


def test_todays_scoreboard_is_read_from_the_cdn(nba, fake_nba):
    fake_nba.set_scoreboard(TODAYS_SCOREBOARD)

    scoreboard = nba.cdn_scoreboard()

    assert scoreboard["scoreboard"]["games"][0]["gameId"] == "0022500171"


def test_the_schedule_is_read_from_the_cdn(nba, fake_nba):
    schedule = nba.cdn_schedule()

    assert schedule["leagueSchedule"]["seasonYear"] == "2023-24"
    assert fake_nba.received()[0].path == "/static/json/staticData/scheduleLeagueV2_2.json"


# -- how it asks ---------------------------------------------------------------------------------------


def test_requests_carry_the_browser_headers_and_the_servers_own_host(nba, fake_nba):
    nba.cdn_playbyplay(CDN_GAME)
    nba.v3_playbyplay(V3_GAME)

    for request in fake_nba.received():
        assert request.headers["Host"] == fake_nba.host
        assert "Chrome/" in request.headers["User-Agent"]
        assert request.headers["Referer"] == "https://www.nba.com/"
        assert request.headers["Accept"] == "application/json, text/plain, */*"
        assert request.headers["Sec-Fetch-Dest"] == "empty"
        assert "x-nba-stats-token" not in request.headers


def test_stats_requests_are_spaced_by_the_polite_interval(nba, clock):
    nba.v3_playbyplay(V3_GAME)
    nba.v3_playbyplay(V3_GAME)

    assert clock.sleeps == [pytest.approx(0.6)]


def test_no_pause_once_the_interval_has_passed(nba, clock):
    nba.v3_playbyplay(V3_GAME)
    clock.now += 5.0
    nba.v3_playbyplay(V3_GAME)

    assert clock.sleeps == []


def test_cdn_requests_are_not_held_by_the_stats_interval(nba, clock):
    nba.v3_playbyplay(V3_GAME)
    nba.cdn_playbyplay(CDN_GAME)
    nba.cdn_playbyplay(CDN_GAME)

    assert clock.sleeps == []


def test_a_base_url_left_at_its_default_fails_at_once_in_tests():
    nba = NbaSources()  # stats.nba.com and cdn.nba.com, real sleep: the suite's loopback guard refuses
    started = time.monotonic()

    with pytest.raises(HttpGaveUp) as caught:
        nba.cdn_scoreboard()

    assert (caught.value.status, caught.value.attempts) == (None, 1)
    assert "NetworkRefused" in str(caught.value)
    assert time.monotonic() - started < 1.0
