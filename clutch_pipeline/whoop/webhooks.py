"""WHOOP v2 webhooks: verifying a delivery and reading its event (WHOOP_V2_API.md section 4).

A delivery is genuine when ``X-WHOOP-Signature`` equals base64(HMAC-SHA256(client secret,
``X-WHOOP-Signature-Timestamp`` + raw body)): the timestamp header's text directly followed by the body's
bytes exactly as received (re-serialized JSON would not match), standard base64 of the raw digest.
The timestamp is in milliseconds; a delivery older than the tolerance is refused, so a captured request
cannot be replayed later. WHOOP retries a refused delivery five times in about an hour; what is refused
for good is caught up by the reconciliation sync.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

KNOWN_TYPES = {
    "sleep.updated": ("sleep", False),
    "sleep.deleted": ("sleep", True),
    "workout.updated": ("workout", False),
    "workout.deleted": ("workout", True),
    # A recovery event names the recovery's SLEEP by its UUID (v1 named the cycle).
    "recovery.updated": ("recovery", False),
    "recovery.deleted": ("recovery", True),
}
DEFAULT_TOLERANCE = timedelta(minutes=5)
# WHOOP's events are flat and their ids short; PostgreSQL's BIGINT ends at 2^63 - 1.
MAX_DEPTH = 16
MAX_ID_LENGTH = 200
MAX_USER_ID = 2**63 - 1


class WebhookRejected(ValueError):
    """A delivery that is not WHOOP's, or too old: answered 401, nothing stored."""


class MalformedWebhook(ValueError):
    """A genuine delivery whose body is not the documented event: answered 400, nothing stored."""


@dataclass(frozen=True)
class WebhookEvent:
    trace_id: str
    user_id: int | None
    event_type: str
    record_id: str | None
    payload: dict

    @property
    def known(self) -> bool:
        return self.event_type in KNOWN_TYPES

    @property
    def record_type(self) -> str | None:
        return KNOWN_TYPES[self.event_type][0] if self.known else None

    @property
    def deletes(self) -> bool:
        return self.known and KNOWN_TYPES[self.event_type][1]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The documented formula: base64(HMAC-SHA256(secret, timestamp + raw body))."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(
    secret: str,
    body: bytes,
    signature_header: str | None,
    timestamp_header: str | None,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    """Raise ``WebhookRejected`` unless the delivery is signed with ``secret`` and recent enough."""
    if not secret:
        # A check skipped for want of a secret would accept anything (a bug seen in the wild).
        raise WebhookRejected("no client secret configured: cannot verify webhooks")
    if not signature_header or not timestamp_header:
        raise WebhookRejected("missing X-WHOOP-Signature or X-WHOOP-Signature-Timestamp")
    expected = signature(secret, timestamp_header, body)
    if not hmac.compare_digest(expected.encode(), signature_header.strip().encode()):
        raise WebhookRejected("signature does not match")
    try:
        sent = int(timestamp_header)
    except ValueError:
        raise WebhookRejected("X-WHOOP-Signature-Timestamp is not milliseconds since the epoch") from None
    age = now.timestamp() * 1000 - sent
    if abs(age) > tolerance.total_seconds() * 1000:
        raise WebhookRejected(f"timestamp {abs(age) / 1000:.0f} s from now, beyond the tolerance")


def parse_event(body: bytes) -> WebhookEvent:
    """The event of a verified delivery. Unknown types are events too (stored and counted).

    A genuine signature does not make the body safe to store: it is checked here to be JSON that
    PostgreSQL's JSONB and BIGINT accept (no NaN or infinite numbers, no NUL or lone surrogate in any
    string, a user id that fits, nesting at most ``MAX_DEPTH`` deep, ids of sane length), so any
    other body fails here with ``MalformedWebhook`` instead of in the database.
    """
    try:
        payload = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise MalformedWebhook(f"body nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise MalformedWebhook("body is not JSON") from None
    if not isinstance(payload, dict):
        raise MalformedWebhook("body is not a JSON object")
    _check_storable(payload)
    trace_id, event_type = payload.get("trace_id"), payload.get("type")
    if not _is_id(trace_id):
        raise MalformedWebhook(f"trace_id: missing, not a string or over {MAX_ID_LENGTH} characters")
    if not _is_id(event_type):
        raise MalformedWebhook(f"type: missing, not a string or over {MAX_ID_LENGTH} characters")
    user_id = payload.get("user_id")
    if user_id is not None and (
        isinstance(user_id, bool) or not isinstance(user_id, int) or not 0 <= user_id <= MAX_USER_ID
    ):
        raise MalformedWebhook("user_id: not a WHOOP user id (an integer from 0 to 2^63 - 1)")
    record_id = payload.get("id")
    if record_id is not None and (
        isinstance(record_id, bool) or not isinstance(record_id, str | int) or not _is_id(str(record_id))
    ):
        raise MalformedWebhook(f"id: not a string or integer of at most {MAX_ID_LENGTH} characters")
    if event_type in KNOWN_TYPES and not isinstance(record_id, str):
        raise MalformedWebhook(f"id: a {event_type} event needs the record's UUID")
    return WebhookEvent(
        trace_id=trace_id,
        user_id=user_id,
        event_type=event_type,
        record_id=str(record_id).lower() if record_id is not None else None,
        payload=payload,
    )


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _is_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def _check_storable(payload: dict) -> None:
    """Raise ``MalformedWebhook`` for what JSONB would refuse, or nesting past ``MAX_DEPTH``."""
    pending: list[tuple[object, int]] = [(payload, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise MalformedWebhook(f"body nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                _check_text(key)
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_text(value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise MalformedWebhook("a number is too large to store")


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise MalformedWebhook("a string holds a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedWebhook("a string holds a lone surrogate (not Unicode text)") from None
