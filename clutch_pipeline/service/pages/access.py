"""Who may see which page. Athletes' health data is on every page but sign-in, so:

- staff sign in with an API key (one of ``CLUTCH_API_KEYS``) and get a session cookie: signed
  (``service/signing.py``), expiring, HttpOnly (no script reads it), SameSite=Lax (no other site's form
  or script sends it with a POST), Secure when the page came over HTTPS;
- an athlete reaches his own consent page, and nothing else, through a signed expiring link
  (``clutch whoop consent-link``), whose token rides in the query (``token``: the access log redacts it)
  and in the page's forms;
- every form carries a CSRF token derived from the credential that opened the page, and a POST whose
  ``Origin`` names another site is refused as well.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from clutch_pipeline.service import signing
from clutch_pipeline.service.config import ServiceConfig

COOKIE = "clutch_session"


@dataclass(frozen=True)
class Viewer:
    """Who is looking: staff (by session) or the athlete of a consent link; ``credential`` is the cookie
    or the link token, what the page's CSRF token is bound to."""

    staff: bool
    nba_person_id: int | None
    credential: str
    token: str | None  # the link token, to carry in the page's links and forms

    def csrf(self, config: ServiceConfig) -> str:
        return signing.csrf_token(config.session_secret, self.credential)


def key_ok(config: ServiceConfig, key: str) -> bool:
    return bool(key) and any(hmac.compare_digest(key.encode(), k.encode()) for k in config.api_keys)


def staff_viewer(request: Request, config: ServiceConfig) -> Viewer | None:
    cookie = request.cookies.get(COOKIE)
    if signing.verify(config.session_secret, signing.SESSION, cookie, config.clock()) is None:
        return None
    return Viewer(True, None, cookie, None)


def link_viewer(config: ServiceConfig, token: str | None) -> Viewer | None:
    payload = signing.verify(config.session_secret, signing.CONSENT_LINK, token, config.clock())
    if payload is None or not payload.isdigit():
        return None
    return Viewer(False, int(payload), token, token)


def start_session(response: Response, request: Request, config: ServiceConfig) -> None:
    """Set the session cookie: a random payload (each session its own CSRF tokens), signed, expiring."""
    expires = config.clock() + signing.SESSION_TTL
    token = signing.sign(config.session_secret, signing.SESSION, secrets.token_urlsafe(12), expires)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(signing.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def to_sign_in(request: Request) -> RedirectResponse:
    """A redirect to the sign-in page, coming back here afterwards (without a consent link's token: the
    ``next`` parameter is not one the access log redacts)."""
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
    target = request.url.path + (f"?{query}" if query else "")
    return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path on this site only (never ``//host`` or ``https://host``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/leaderboard"
    return target


def same_origin(request: Request) -> bool:
    """False when the browser says the POST comes from another site (``Origin``; a browser that sends
    none is judged by the CSRF token alone)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def csrf_ok(request: Request, config: ServiceConfig, viewer: Viewer | None, token: str | None) -> bool:
    return (
        viewer is not None
        and same_origin(request)
        and signing.csrf_ok(config.session_secret, viewer.credential, token)
    )
