"""The pages (the seed's sections 5 and 6), HTML for people, beside the JSON API:

- ``/sign-in`` (GET form, POST an API key for a session cookie), ``/sign-out`` (POST);
- ``/players/{ref}?season=``: clutch score, HRV deviation and recovery over the season, and his games;
- ``/games/{ref}``: the margin over the game clock with the clutch windows, and the clutch actions;
- ``/leaderboard?season=&min_games=&page=``: the season's clutch leaders and the wearables correlation;
- ``/players/{ref}/wearables/consent``: what is collected, the commitments with his retention, his
  consent, a button to WHOOP's authorization and one to revoke (with a confirmation page).

A player is named by his NBA person id or our UUID, a game by its NBA game id or UUID. Staff pages
need a session; the consent pages a session or the athlete's own link (``pages/access.py``). Each page
is timed; the player page's time goes to ``page_timings`` (the page-load KPI, target 2 s). Out of the
OpenAPI description: these are pages, not API.
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import parse_qs

import psycopg
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from clutch_pipeline.alignment.store import reads
from clutch_pipeline.service.config import ServiceConfig
from clutch_pipeline.service.dependencies import Config, open_database
from clutch_pipeline.service.pages import STATIC_DIR, charts, render
from clutch_pipeline.service.pages import store as page_store
from clutch_pipeline.service.pages.access import (
    Viewer,
    csrf_ok,
    end_session,
    key_ok,
    link_viewer,
    safe_next,
    staff_viewer,
    start_session,
    to_sign_in,
)
from clutch_pipeline.service.pages.access import same_origin as _same_origin
from clutch_pipeline.whoop import store as whoop_store
from clutch_pipeline.whoop.consent import authorization_url, revoke_consent

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

SEASON = re.compile(r"\d{4}-\d{2}")
FORM_MAX_BYTES = 8 * 1024
LEADERBOARD_PAGE = 50
# Athletes' data must not be cached by the browser or a proxy, framed by another site (a revoke button
# under someone else's page), nor leak the consent link's token to another site through the Referer
# ("same-origin", not "no-referrer": with that, Chromium sends "Origin: null" on our own forms).
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
}
COVARIATE_NAMES = {
    "recovery_score_pregame": "Recovery before the game (%)",
    "hrv_baseline_deviation": "HRV deviation from baseline (%)",
    "sleep_performance_pregame": "Sleep performance before the game (%)",
}
SERIES_COLORS = {"clutch": "#10b981", "hrv": "#3b82f6", "recovery": "#f59e0b"}


def mount_static(app: FastAPI) -> None:
    """Serve the pages' stylesheet from the package under ``/static``."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def page(name: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(render(name, **context), status_code=status, headers=HEADERS)


def message(
    heading: str, text: str, status: int, viewer: Viewer | None = None, config: ServiceConfig | None = None
) -> HTMLResponse:
    """A page that says one thing (a refusal, an unknown id, a result)."""
    staff = viewer is not None and viewer.staff
    csrf = viewer.csrf(config) if staff and config is not None else ""
    return page("message.html", status, heading=heading, message=text, staff=staff, csrf=csrf)


async def form_fields(request: Request) -> dict[str, str]:
    """A urlencoded form's fields (the first value of each), read up to ``FORM_MAX_BYTES``."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_MAX_BYTES:
            return {}
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in parsed.items()}


# -- Sign-in -----------------------------------------------------------------------------------------


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/leaderboard", status_code=303)


@router.get("/sign-in")
def sign_in_form(request: Request, config: Config, next: str | None = None) -> Response:
    if staff_viewer(request, config) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return page("sign_in.html", next=safe_next(next), error=None, staff=False)


@router.post("/sign-in")
async def sign_in(request: Request, config: Config) -> Response:
    fields = await form_fields(request)
    target = safe_next(fields.get("next"))
    if not config.api_keys or not config.session_secret:
        missing = "CLUTCH_API_KEYS" if not config.api_keys else "a session secret (CLUTCH_SESSION_SECRET)"
        return page("sign_in.html", 503, next=target, error=f"Sign-in is off: no {missing} is configured.")
    if not _same_origin(request) or not key_ok(config, fields.get("key", "")):
        log.warning("pages: sign-in refused (wrong key)")
        return page(
            "sign_in.html", 401, next=target, error="That key is not one of the API keys of this service."
        )
    response = RedirectResponse(target, status_code=303)
    start_session(response, request, config)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, config: Config) -> Response:
    fields = await form_fields(request)
    viewer = staff_viewer(request, config)
    if viewer is not None and not csrf_ok(request, config, viewer, fields.get("csrf")):
        return message("Refused", "This form did not come from this site's page.", 403)
    response = RedirectResponse("/sign-in", status_code=303)
    end_session(response)
    return response


# -- Staff pages -------------------------------------------------------------------------------------


def _record_timing(conn: psycopg.Connection, config: ServiceConfig, kind: str, seconds: float) -> None:
    """Best effort: a timing that cannot be stored (a read-only database) never costs the page."""
    try:
        page_store.record_page_timing(conn, kind, config.clock(), seconds)
    except psycopg.Error as exc:
        log.warning("pages: %s page timing not stored: %s", kind, exc)


def _trend_chart(games: list[dict], season: str | None) -> tuple[str, list[charts.Series]]:
    days = [g["game_date"] for g in games]
    series = [
        charts.Series("Clutch score", SERIES_COLORS["clutch"], [_num(g["clutch_score"]) for g in games]),
        charts.Series(
            "HRV deviation from baseline (%)",
            SERIES_COLORS["hrv"],
            [_num(g["hrv_baseline_deviation"]) for g in games],
        ),
        charts.Series(
            "Recovery before the game (%)",
            SERIES_COLORS["recovery"],
            [_num(g["recovery_score_pregame"]) for g in games],
        ),
    ]
    title = f"Clutch score, HRV deviation and recovery, {season or 'no season'}"
    return charts.line_chart(title, days, series), series


def _num(value: object) -> float | None:
    return None if value is None else float(value)


@router.get("/players/{ref}")
def player_page(ref: str, request: Request, config: Config, season: str | None = None) -> Response:
    began = time.perf_counter()
    viewer = staff_viewer(request, config)
    if viewer is None:
        return to_sign_in(request)
    if season is not None and not SEASON.fullmatch(season):
        return message("Bad season", f"Seasons look like 2022-23, not {season!r}.", 400, viewer, config)
    with open_database(config) as conn:
        player = reads.resolve_player(conn, ref)
        if player is None:
            return message("Unknown player", f"No player {ref}.", 404, viewer, config)
        seasons = reads.player_seasons(conn, player["player_id"])
        season = season or (max(seasons) if seasons else None)
        games = reads.player_clutch_games(conn, player["player_id"], season) if season else []
        chart, series = _trend_chart(games, season)
        html = render(
            "player.html",
            staff=True,
            csrf=viewer.csrf(config),
            player=player,
            seasons=sorted(seasons, reverse=True),
            season=season,
            games=games,
            chart=chart,
            series=series,
            wearables_games=sum(1 for g in games if g.get("has_wearables_data")),
        )
        _record_timing(conn, config, "player", time.perf_counter() - began)
    return HTMLResponse(html, headers=HEADERS)


def _periods(detail: dict) -> int:
    """How many periods the game had, from its clutch windows and actions (at least four)."""
    found = [s["period"] for s in detail["situations"]] + [a["period"] for a in detail["actions"]]
    last_elapsed = max((m["elapsed_s"] for m in detail["margin"]), default=0)
    by_time = 4 + max(0, -(-(float(last_elapsed) - charts.game_length(4)) // charts.OVERTIME_S))
    return int(max([4, by_time, *found]))


def _margin_chart(game: dict, detail: dict) -> str:
    margin = [(float(m["elapsed_s"]), float(m["margin"])) for m in detail["margin"]]
    windows = [
        (float(s["start_elapsed_s"]), float(s["end_elapsed_s"]))
        for s in detail["situations"]
        if s["start_elapsed_s"] is not None and s["end_elapsed_s"] is not None
    ]
    markers = [
        charts.Marker(
            float(a["elapsed_s"]),
            f"{a['player_name']} ({a['team_tricode']}) Q{a['period']} {a['clock']}: {a['action_type']}",
            "made" if a.get("successful") else "missed",
        )
        for a in detail["actions"]
        if a.get("elapsed_s") is not None
    ]
    title = f"Score margin, {game['away_tricode']} at {game['home_tricode']}, {game['game_date']}"
    return charts.margin_chart(title, margin, windows, markers, _periods(detail))


@router.get("/games/{ref}")
def game_page(ref: str, request: Request, config: Config) -> Response:
    viewer = staff_viewer(request, config)
    if viewer is None:
        return to_sign_in(request)
    with open_database(config) as conn:
        game = reads.resolve_game(conn, ref)
        if game is None:
            return message("Unknown game", f"No game {ref}.", 404, viewer, config)
        detail = reads.game_clutch_detail(conn, game["game_id"])
    return page(
        "game.html",
        staff=True,
        csrf=viewer.csrf(config),
        game=game,
        situations=detail["situations"],
        actions=detail["actions"],
        chart=_margin_chart(game, detail),
    )


def reading(row: dict) -> str:
    """What a correlation says, honestly: nothing when the interval covers 0."""
    if row.get("r") is None or row.get("ci_low") is None or row.get("ci_high") is None:
        return "not enough games to tell"
    if row["ci_low"] <= 0 <= row["ci_high"]:
        return "no effect found"
    return "higher with higher values" if row["r"] > 0 else "lower with higher values"


def _whole(raw: str | None, default: int) -> int | None:
    if raw is None or raw == "":
        return default
    return int(raw) if raw.isdigit() and int(raw) >= 1 else None


@router.get("/leaderboard")
def leaderboard_page(
    request: Request,
    config: Config,
    season: str | None = None,
    min_games: str | None = None,
) -> Response:
    viewer = staff_viewer(request, config)
    if viewer is None:
        return to_sign_in(request)
    minimum, number = _whole(min_games, 3), _whole(request.query_params.get("page"), 1)
    if minimum is None or number is None or (season is not None and not SEASON.fullmatch(season)):
        text = "A season looks like 2022-23; min_games and page are whole numbers from 1."
        return message("Bad request", text, 400, viewer, config)
    with open_database(config) as conn:
        seasons = page_store.seasons(conn)
        season = season or (seasons[0] if seasons else None)
        rows, total = ([], 0)
        correlation = []
        if season:
            offset = (number - 1) * LEADERBOARD_PAGE
            rows, total = reads.leaderboard(conn, season, minimum, LEADERBOARD_PAGE, offset)
            correlation = [
                {**c, "name": COVARIATE_NAMES.get(c["covariate"], c["covariate"]), "reading": reading(c)}
                for c in reads.wearables_correlation(conn, season, minimum)
            ]
    return page(
        "leaderboard.html",
        staff=True,
        csrf=viewer.csrf(config),
        seasons=seasons,
        season=season,
        min_games=minimum,
        rows=rows,
        total=total,
        page=number,
        pages=max(1, -(-total // LEADERBOARD_PAGE)),
        correlation=[c for c in correlation if c.get("n")],
    )


# -- Consent (staff, or the athlete through his link) ---------------------------------------------------


def _consent_access(
    request: Request, config: ServiceConfig, conn: psycopg.Connection, ref: str, token: str | None
) -> tuple[Viewer, dict] | Response:
    """The viewer and the player, or the response that refuses: sign-in for nobody, 403 for a bad or
    expired link or one of another athlete, 404 for an unknown player."""
    viewer = staff_viewer(request, config) or link_viewer(config, token)
    if viewer is None:
        if token:
            text = "This consent link is not valid or has expired: ask the team for a new one."
            return message("Link not valid", text, 403)
        return to_sign_in(request)
    player = reads.resolve_player(conn, ref)
    if player is None:
        return message("Unknown player", f"No player {ref}.", 404, viewer, config)
    if not viewer.staff and viewer.nba_person_id != player["nba_person_id"]:
        return message("Not your page", "This consent link is for another athlete.", 403)
    return viewer, player


def _consent_context(config: ServiceConfig, viewer: Viewer, player: dict) -> dict:
    return {
        "staff": viewer.staff,
        "csrf": viewer.csrf(config),
        "token": viewer.token,
        "player": player,
        "whoop_configured": config.whoop is not None,
    }


@router.get("/players/{ref}/wearables/consent")
def consent_page(ref: str, request: Request, config: Config, token: str | None = None) -> Response:
    with open_database(config) as conn:
        access = _consent_access(request, config, conn, ref, token)
        if isinstance(access, Response):
            return access
        viewer, player = access
        consent = whoop_store.consent_status(conn, player["nba_person_id"])
        retention = page_store.retention_days(conn, player["nba_person_id"])
    context = _consent_context(config, viewer, player)
    return page("consent.html", consent=consent, retention_days=retention, **context)


def _checked_post(
    request: Request, config: ServiceConfig, conn: psycopg.Connection, ref: str, fields: dict[str, str]
) -> tuple[Viewer, dict] | Response:
    """A consent form's POST: (viewer, player), or the refusal (access as for the page, then the CSRF
    token and the origin, then WHOOP's configuration)."""
    access = _consent_access(request, config, conn, ref, fields.get("token"))
    if isinstance(access, Response):
        return access
    viewer, player = access
    if not csrf_ok(request, config, viewer, fields.get("csrf")):
        log.warning("pages: consent form refused (CSRF token or origin)")
        return message("Refused", "This form did not come from this site's page: open the page again.", 403)
    if config.whoop is None:
        text = "WHOOP is not configured on this service (WHOOP_CLIENT_ID, WHOOP_CLIENT_SECRET)."
        return message("WHOOP not configured", text, 503, viewer, config)
    return viewer, player


def _authorize(request: Request, config: ServiceConfig, ref: str, fields: dict[str, str]) -> Response:
    with open_database(config) as conn:
        checked = _checked_post(request, config, conn, ref, fields)
        if isinstance(checked, Response):
            return checked
        _viewer, player = checked
        url = authorization_url(conn, config.whoop, player["nba_person_id"], config.clock())
    return RedirectResponse(url, status_code=303, headers={"Referrer-Policy": "no-referrer"})


@router.post("/players/{ref}/wearables/consent/authorize")
async def consent_authorize(ref: str, request: Request, config: Config) -> Response:
    """To WHOOP's authorization, with a fresh single-use state (a POST: it writes that state). The form
    is read here; the database work runs in the thread pool, off the event loop."""
    fields = await form_fields(request)
    return await run_in_threadpool(_authorize, request, config, ref, fields)


@router.get("/players/{ref}/wearables/consent/revoke")
def revoke_confirmation(ref: str, request: Request, config: Config, token: str | None = None) -> Response:
    """The question before the revocation: a GET changes nothing."""
    with open_database(config) as conn:
        access = _consent_access(request, config, conn, ref, token)
    if isinstance(access, Response):
        return access
    viewer, player = access
    return page("revoke_confirm.html", **_consent_context(config, viewer, player))


def _revoke(request: Request, config: ServiceConfig, ref: str, fields: dict[str, str]) -> Response:
    with open_database(config) as conn:
        checked = _checked_post(request, config, conn, ref, fields)
        if isinstance(checked, Response):
            return checked
        viewer, player = checked
        if fields.get("confirm") != "yes":
            return page("revoke_confirm.html", **_consent_context(config, viewer, player))
        with config.whoop.open(conn, clock=config.clock) as session:
            revoked = revoke_consent(conn, session, player["nba_person_id"])
    if revoked is None:
        text = f"{player['name']} has no WHOOP device: nothing to revoke."
        return message("No device", text, 404, viewer, config)
    deleted = sum(revoked.rows_deleted.values())
    told = "WHOOP was told." if revoked.whoop_told else "WHOOP could not be told (see the service's log)."
    text = f"Consent revoked for {player['name']}: {deleted} rows of WHOOP data deleted. {told}"
    return message("Consent revoked", text, 200, viewer, config)


@router.post("/players/{ref}/wearables/consent/revoke")
async def revoke(ref: str, request: Request, config: Config) -> Response:
    """Withdraw the athlete's consent and delete his wearables data (``whoop/consent.revoke_consent``),
    once the confirmation page's form says so (WHOOP is told in the thread pool, off the event loop)."""
    fields = await form_fields(request)
    return await run_in_threadpool(_revoke, request, config, ref, fields)
