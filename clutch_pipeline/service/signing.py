"""Signed, expiring tokens for the pages: a staff session (the cookie after sign-in) and an athlete's
consent link. Both are ``payload.expiry.signature`` with an HMAC-SHA256 over the purpose, the payload and
the expiry, keyed by the service's session secret: a token made for one purpose never passes for the
other, and nothing in it can be changed without the secret.

The secret is ``CLUTCH_SESSION_SECRET`` when set (a deployment, every replica the same), else a key
generated once under ``CLUTCH_HOME`` (mode 600) for local use, as the token keys are
(``whoop/tokens.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from clutch_pipeline.local_secrets import local_secret_lines
from clutch_pipeline.settings import Settings

log = logging.getLogger(__name__)

LOCAL_SECRET_FILE = "session_key"
SESSION = "session"
CONSENT_LINK = "consent-link"
CSRF = "csrf"

SESSION_TTL = timedelta(hours=12)
CONSENT_LINK_TTL = timedelta(hours=72)


def session_secret(settings: Settings) -> bytes:
    """The configured secret, or for local use one generated once under ``CLUTCH_HOME``."""
    if settings.session_secret:
        return settings.session_secret.encode()
    path = settings.clutch_home / LOCAL_SECRET_FILE
    return local_secret_lines(path, lambda: secrets.token_urlsafe(32), "CLUTCH_SESSION_SECRET")[0].encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, purpose: str, payload: str, expiry: str) -> str:
    message = f"{purpose}\n{payload}\n{expiry}".encode()
    return _b64(hmac.new(secret, message, hashlib.sha256).digest())


def sign(secret: bytes, purpose: str, payload: str, expires_at: datetime) -> str:
    """A token carrying ``payload`` for ``purpose`` until ``expires_at``."""
    if not secret:
        raise ValueError("no session secret configured")
    encoded, expiry = _b64(payload.encode()), str(int(expires_at.timestamp()))
    return f"{encoded}.{expiry}.{_mac(secret, purpose, encoded, expiry)}"


def verify(secret: bytes, purpose: str, token: str | None, now: datetime) -> str | None:
    """The payload of a valid, unexpired token for ``purpose``; None for anything else (never raises:
    a token is whatever a browser sent)."""
    if not secret or not token or token.count(".") != 2 or len(token) > 4096:
        return None
    encoded, expiry, mac = token.split(".")
    if not hmac.compare_digest(mac.encode(), _mac(secret, purpose, encoded, expiry).encode()):
        return None
    if not expiry.isdigit() or int(expiry) <= now.timestamp():
        return None
    try:
        return _unb64(encoded).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def csrf_token(secret: bytes, credential: str) -> str:
    """The anti-forgery token of a form: an HMAC of the credential (the session cookie or the consent
    link) that carries it, so a page of another site cannot know it and a token from one session does not
    work for another."""
    return _b64(hmac.new(secret, f"{CSRF}\n{credential}".encode(), hashlib.sha256).digest())


def csrf_ok(secret: bytes, credential: str | None, token: str | None) -> bool:
    if not secret or not credential or not token:
        return False
    return hmac.compare_digest(token.encode(), csrf_token(secret, credential).encode())


def consent_link(secret: bytes, base_url: str, nba_person_id: int, expires_at: datetime) -> str:
    """The athlete's own consent page, reachable without signing in until ``expires_at``."""
    token = sign(secret, CONSENT_LINK, str(nba_person_id), expires_at)
    return f"{base_url.rstrip('/')}/players/{nba_person_id}/wearables/consent?token={token}"
