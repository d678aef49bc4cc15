"""HTTP access to the NBA: the CDN's liveData and staticData files, and stats.nba.com's playbyplayv3.

Play-by-play comes from the CDN first: it serves static files, carries ``timeActual`` (UTC per action)
and is not the host that third parties report hanging or locking out scripted clients (stats.nba.com,
NBA_DATA.md 3.0). When the CDN does not serve a game (403/404, or it keeps failing), stats v3 does.
Every request goes through the project's one retry policy (``clutch_pipeline.http_retry``), and
requests to stats.nba.com are spaced by a polite minimum interval, as those same reports advise.

Base URLs are arguments, so tests point them at a local server; ``Host`` follows the URL in use.
Answers are returned as parsed JSON, as read: parsing into actions is ``nba.parse``'s job.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from clutch_pipeline.http_retry import HttpGaveUp, RetryPolicy
from clutch_pipeline.nba.parse import SOURCE_CDN, SOURCE_V3

log = logging.getLogger(__name__)

DEFAULT_STATS_BASE_URL = "https://stats.nba.com/stats"
DEFAULT_CDN_BASE_URL = "https://cdn.nba.com/static/json"
# The schedule file pbpstats reads (NBA_DATA.md 3.6).
DEFAULT_SCHEDULE_FILE = "scheduleLeagueV2_2.json"

# nba_api's headers as of v1.11.4 (NBA_DATA.md 3.0), which stats.nba.com answered with 200 in Feb 2026.
# Two differences: no ``Host`` (requests derives it from the URL in use, so a test server sees its own
# host:port), and ``Accept-Encoding`` lists only what this installation can decode (``br`` needs brotli).
BROWSER_HEADERS: Mapping[str, str] = {
    "User-Agent": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/145.0.0.0 Safari/537.36"
    ),
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "en-US,en;q=0.5",
    "Accept-Encoding": urllib3.util.make_headers(accept_encoding=True)["accept-encoding"],
    "Connection": "keep-alive",
    "Referer": "https://www.nba.com/",
    "Pragma": "no-cache",
    "Cache-Control": "no-cache",
    "Sec-Ch-Ua": '"Not:A-Brand";v="99", "Google Chrome";v="145", "Chromium";v="145"',
    "Sec-Ch-Ua-Mobile": "?0",
    "Sec-Fetch-Dest": "empty",
}

_GAME_ID = re.compile(r"[0-9]{10}")
_SEASON = re.compile(r"[0-9]{4}-[0-9]{2}")


class NbaPayloadError(ValueError):
    """An answer that is not a JSON object (malformed, or cut short). Names what was asked for."""

    def __init__(self, subject: str, url_path: str, detail: str) -> None:
        self.subject = subject
        self.url_path = url_path
        super().__init__(f"{subject}: {url_path} did not answer a complete JSON object ({detail})")


class NbaSources:
    """The NBA's play-by-play, scoreboard and schedule over HTTP, with retries and polite pacing.

    ``clock`` and ``sleep`` pace requests (and only that; the retry policy has its own ``sleep``), so
    tests pass a fake clock. Not meant to be shared between threads that must not wait for each other:
    pacing holds a lock while it waits.
    """

    def __init__(
        self,
        *,
        stats_base_url: str = DEFAULT_STATS_BASE_URL,
        cdn_base_url: str = DEFAULT_CDN_BASE_URL,
        schedule_file: str = DEFAULT_SCHEDULE_FILE,
        connect_timeout: float = 3.05,
        read_timeout: float = 20.0,
        stats_min_interval: float = 0.6,
        cdn_min_interval: float = 0.0,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self.stats_base_url = stats_base_url.rstrip("/")
        self.cdn_base_url = cdn_base_url.rstrip("/")
        self.schedule_file = schedule_file
        self.timeout = (connect_timeout, read_timeout)
        self.retry = retry or RetryPolicy()
        self._min_interval = {"stats": stats_min_interval, "cdn": cdn_min_interval}
        self._last_request_at: dict[str, float] = {}
        self._clock = clock
        self._sleep = sleep
        self._pacing = threading.Lock()
        self._session = session or requests.Session()
        self._session.headers.update(BROWSER_HEADERS)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> NbaSources:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- play-by-play ---------------------------------------------------------------------------------

    def cdn_playbyplay(self, game_id: str) -> dict[str, Any] | None:
        """The CDN's liveData play-by-play, or None when the CDN does not serve this game (403/404)."""
        url = f"{self.cdn_base_url}/liveData/playbyplay/playbyplay_{_checked(game_id)}.json"
        try:
            return self._get_json("cdn", url, f"game {game_id}")
        except HttpGaveUp as exc:
            if exc.status in (403, 404):
                return None
            raise

    def v3_playbyplay(self, game_id: str) -> dict[str, Any]:
        """stats.nba.com ``playbyplayv3`` for the whole game (periods 0-0 include every overtime)."""
        url = f"{self.stats_base_url}/playbyplayv3"
        params = {"GameID": _checked(game_id), "StartPeriod": "0", "EndPeriod": "0"}
        try:
            return self._get_json("stats", url, f"game {game_id}", params=params)
        except HttpGaveUp as exc:
            exc.add_note(f"stats v3 play-by-play of game {game_id}")
            raise

    def play_by_play(self, game_id: str) -> tuple[str, dict[str, Any]]:
        """``("cdn", payload)`` when the CDN serves the game, else ``("v3", payload)`` from stats v3."""
        try:
            payload = self.cdn_playbyplay(game_id)
        except HttpGaveUp as exc:
            log.warning("game %s: the CDN gave no play-by-play (%s); asking stats v3", game_id, exc)
            payload = None
        if payload is not None:
            return SOURCE_CDN, payload
        return SOURCE_V3, self.v3_playbyplay(game_id)

    # -- games ----------------------------------------------------------------------------------------

    def cdn_scoreboard(self) -> dict[str, Any]:
        """Today's games (``todaysScoreboard_00.json``): status, clock and score of each."""
        url = f"{self.cdn_base_url}/liveData/scoreboard/todaysScoreboard_00.json"
        return self._get_json("cdn", url, "today's scoreboard")

    def cdn_schedule(self) -> dict[str, Any]:
        """The season's schedule, a snapshot (``staticData/<schedule_file>``): re-read it, never cache."""
        url = f"{self.cdn_base_url}/staticData/{self.schedule_file}"
        return self._get_json("cdn", url, "schedule")

    def stats_league_game_log(self, season: str, season_type: str = "Regular Season") -> dict[str, Any]:
        """stats.nba.com ``leaguegamelog`` with team rows (two per game) of a season (``"2022-23"``).

        ``season_type`` is the endpoint's own value ("Regular Season", "Playoffs", "PlayIn", "Pre Season";
        ``schedule.stats_season_type`` maps ours). Paced and retried as every stats request is.
        """
        if (
            not isinstance(season, str)
            or not _SEASON.fullmatch(season)
            or int(season[5:]) != (int(season[:4]) + 1) % 100
        ):
            raise ValueError(f"a season is written YYYY-YY (e.g. 2022-23), got {season!r}")
        url = f"{self.stats_base_url}/leaguegamelog"
        params = {
            "Counter": "0",
            "Direction": "ASC",
            "LeagueID": "00",
            "PlayerOrTeam": "T",
            "Season": season,
            "SeasonType": season_type,
            "Sorter": "DATE",
        }
        try:
            return self._get_json("stats", url, f"game log of {season} {season_type}", params=params)
        except HttpGaveUp as exc:
            exc.add_note(f"stats league game log of {season} {season_type}")
            raise

    # -- HTTP -----------------------------------------------------------------------------------------

    def _get_json(
        self, service: str, url: str, subject: str, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        def once() -> requests.Response:
            self._wait_turn(service)
            return self._session.get(url, params=params, timeout=self.timeout)

        response = self.retry.call(once, "GET", url)
        url_path = urlsplit(url).path
        try:
            payload = json.loads(response.content)
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            detail = f"{len(response.content)} bytes; {exc}"
            raise NbaPayloadError(subject, url_path, detail) from None
        if not isinstance(payload, dict):
            raise NbaPayloadError(subject, url_path, f"a JSON {type(payload).__name__}")
        return payload

    def _wait_turn(self, service: str) -> None:
        """Keep at least the service's minimum interval between the starts of two requests to it."""
        with self._pacing:
            last = self._last_request_at.get(service)
            if last is not None:
                remaining = last + self._min_interval[service] - self._clock()
                if remaining > 0:
                    self._sleep(remaining)
            self._last_request_at[service] = self._clock()


def _checked(game_id: str) -> str:
    """A game id goes into a URL path: accept only the NBA's ten digits (``00SYYNNNNN``)."""
    if not isinstance(game_id, str) or not _GAME_ID.fullmatch(game_id):
        raise ValueError(f"an NBA game id is ten digits, got {game_id!r}")
    return game_id
