"""WHOOP webhooks: signature checks over the raw body, storage once per trace id, and the sensor that
turns events into targeted sync runs."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import dagster as dg
import psycopg
import pytest
import requests

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.http_retry import RetryPolicy
from clutch_pipeline.service.app import WEBHOOK_MAX_BYTES, ServiceConfig, create_app
from clutch_pipeline.service.server import serve_in_background
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.consent import revoke_consent
from clutch_pipeline.whoop.sensors import whoop_sync_planner
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key
from clutch_pipeline.whoop.webhooks import DEFAULT_TOLERANCE, signature
from clutch_pipeline_tests.whoop.athletes import add_device

SECRET = "webhook-test-secret"
NOW = datetime(2023, 1, 17, 12, 0, tzinfo=UTC)
SLEEP = "550e8400-e29b-41d4-a716-446655440000"
USER = 456


def body_of(**fields) -> bytes:
    event = {"user_id": USER, "id": SLEEP, "type": "sleep.updated", "trace_id": "trace-1"} | fields
    return json.dumps(event).encode()


# A delivery as WHOOP signs it, computed once with openssl from the documented scheme (base64 of the
# HMAC-SHA256, keyed with the client secret, of the timestamp header followed by the raw body), not
# with our own code:
#   printf '%s%s' 1673956800000 "$RAW_EVENT" | openssl dgst -sha256 -hmac webhook-test-secret -binary | base64
RAW_EVENT = b'{"user_id":456,"id":"' + SLEEP.encode() + b'","type":"sleep.updated","trace_id":"trace-1"}'
RAW_EVENT_TIMESTAMP = "1673956800000"  # NOW
RAW_EVENT_SIGNATURE = "mtJqqnNnRtUF00cupsTnhnj97QpfAZhwNOVQ3LwbO4g="


def signed(body: bytes, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    timestamp = str((at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1))
    return {
        "X-WHOOP-Signature": signature(secret, timestamp, body),
        "X-WHOOP-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


@contextmanager
def webhook_service(database_url: str, secret: str) -> Iterator[str]:
    """The service with our app's client secret ``secret`` and its clock at NOW; the webhook URL."""
    whoop = WhoopApp(
        base_url="http://127.0.0.1:9",
        client_id="client",
        client_secret=secret,
        redirect_uri="",
        cipher=TokenCipher([generate_key()]),
    )
    config = ServiceConfig(database_url, whoop, api_keys=(), clock=lambda: NOW)
    with serve_in_background(lambda _: create_app(config)) as base_url:
        yield f"{base_url}/api/webhooks/whoop"


@pytest.fixture
def service(database_url):
    with webhook_service(database_url, SECRET) as url:
        yield url


def stored(database_url) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT trace_id, event_type, record_id, known_type FROM whoop_webhook_events ORDER BY event_id"
        ).fetchall()


def test_a_signed_event_is_stored_and_answered_2xx(service, database_url):
    body = body_of()
    answer = requests.post(service, data=body, headers=signed(body), timeout=5)
    assert answer.status_code == 204
    assert stored(database_url) == [("trace-1", "sleep.updated", SLEEP, True)]


def test_a_bad_signature_is_refused_and_nothing_stored(service, database_url):
    body = body_of()
    answer = requests.post(service, data=body, headers=signed(body, secret="another"), timeout=5)
    assert answer.status_code == 401 and stored(database_url) == []


def test_a_missing_signature_header_is_refused(service, database_url):
    body = body_of()
    headers = signed(body)
    del headers["X-WHOOP-Signature"]
    assert requests.post(service, data=body, headers=headers, timeout=5).status_code == 401
    assert stored(database_url) == []


def test_a_stale_timestamp_is_refused(service, database_url):
    body = body_of()
    answer = requests.post(service, data=body, headers=signed(body, at=NOW - timedelta(minutes=6)), timeout=5)
    assert answer.status_code == 401 and stored(database_url) == []


def test_a_timestamp_from_the_future_is_refused(service, database_url):
    body = body_of()
    answer = requests.post(service, data=body, headers=signed(body, at=NOW + timedelta(minutes=6)), timeout=5)
    assert answer.status_code == 401 and stored(database_url) == []


MS = timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        (NOW - DEFAULT_TOLERANCE, 204),
        (NOW + DEFAULT_TOLERANCE, 204),
        (NOW - DEFAULT_TOLERANCE - MS, 401),
        (NOW + DEFAULT_TOLERANCE + MS, 401),
    ],
    ids=["5-min-old", "5-min-ahead", "5-min-1-ms-old", "5-min-1-ms-ahead"],
)
def test_the_tolerance_is_five_minutes_either_way_to_the_millisecond(service, database_url, sent, status):
    assert timedelta(minutes=5) == DEFAULT_TOLERANCE
    body = body_of()
    answer = requests.post(service, data=body, headers=signed(body, at=sent), timeout=5)
    assert answer.status_code == status
    assert len(stored(database_url)) == (1 if status == 204 else 0)


def test_without_a_configured_client_secret_every_delivery_is_refused(database_url):
    """Even one signed with the empty key, which an HMAC accepts."""
    body = body_of()
    with webhook_service(database_url, secret="") as url:
        answer = requests.post(url, data=body, headers=signed(body, secret=""), timeout=5)
    assert answer.status_code == 401 and stored(database_url) == []


def test_a_delivery_signed_as_whoop_documents_is_accepted(service, database_url):
    headers = {
        "X-WHOOP-Signature": RAW_EVENT_SIGNATURE,
        "X-WHOOP-Signature-Timestamp": RAW_EVENT_TIMESTAMP,
        "Content-Type": "application/json",
    }
    answer = requests.post(service, data=RAW_EVENT, headers=headers, timeout=5)
    assert answer.status_code == 204
    assert stored(database_url) == [("trace-1", "sleep.updated", SLEEP, True)]


def test_a_replayed_delivery_is_stored_once(service, database_url):
    body = body_of()
    for _ in range(2):
        assert requests.post(service, data=body, headers=signed(body), timeout=5).status_code == 204
    assert len(stored(database_url)) == 1


def test_the_signature_covers_the_raw_body_not_re_serialized_json(service, database_url):
    reserialized = json.dumps(json.loads(RAW_EVENT)).encode()  # same JSON, other bytes
    answer = requests.post(service, data=reserialized, headers=signed(RAW_EVENT), timeout=5)
    assert answer.status_code == 401 and stored(database_url) == []


def test_an_unknown_event_type_is_stored_and_marked(service, database_url):
    body = body_of(type="body_measurement.updated", trace_id="trace-2")
    assert requests.post(service, data=body, headers=signed(body), timeout=5).status_code == 204
    assert stored(database_url) == [("trace-2", "body_measurement.updated", SLEEP, False)]


def test_a_signed_body_that_is_not_an_event_gets_400(service, database_url):
    body = b'{"hello": "world"}'
    answer = requests.post(service, data=body, headers=signed(body), timeout=5)
    assert answer.status_code == 400 and stored(database_url) == []


def test_a_rescore_at_whoop_reaches_the_readings_through_webhook_sensor_and_run(
    database_url, make_whoop_simulator, whoop_clock
):
    """End to end: the simulator signs and sends, the service stores, the sensor asks, the run fetches."""
    from clutch_pipeline.definitions import defs
    from clutch_pipeline.settings import load_settings
    from clutch_pipeline.whoop.resources import WhoopResource
    from clutch_pipeline.whoop.tokens import cipher_from_settings
    from clutch_pipeline_tests.whoop.athletes import add_player, consent_through_oauth
    from clutch_pipeline_tests.whoop.conftest import REDIRECT_URI, TATUM, WHOOP_CLIENT_ID, WHOOP_CLIENT_SECRET

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    simulator = make_whoop_simulator(webhook_url=f"http://127.0.0.1:{port}/api/webhooks/whoop")
    app = WhoopApp(
        base_url=simulator.base_url,
        client_id=WHOOP_CLIENT_ID,
        client_secret=WHOOP_CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        cipher=cipher_from_settings(load_settings()),
    )
    config = ServiceConfig(database_url, app, api_keys=(), clock=whoop_clock)
    with serve_in_background(lambda _: create_app(config), port=port):
        with psycopg.connect(database_url, autocommit=True) as conn:
            add_player(conn, TATUM)
            consent_through_oauth(conn, app, simulator, TATUM, whoop_clock)
        athlete = simulator.athlete(TATUM)
        recovery = next(r for r in athlete.recoveries if r.scorable)
        whoop_clock.advance(minutes=1)
        simulator.rescore(athlete.user_id, "recovery", recovery.record_id, recovery_score=3.0)
        report = simulator.deliver_webhooks()
    assert report.delivered >= 1

    whoop = WhoopResource(
        base_url=simulator.base_url, client_id=WHOOP_CLIENT_ID, client_secret=WHOOP_CLIENT_SECRET
    )
    resources = {"postgres": PostgresResource(database_url=database_url), "whoop": whoop}
    request = whoop_sync_planner(dg.build_sensor_context(resources=resources))
    config = request.run_config["ops"]["whoop_sync"]["config"]
    assert f"{TATUM}:recovery:{recovery.record_id}" in config["records"]
    # The events are handed to this run: the next tick does not ask for them again.
    again = whoop_sync_planner(dg.build_sensor_context(resources=resources))
    assert (
        isinstance(again, dg.SkipReason)
        or f"{TATUM}:recovery:{recovery.record_id}"
        not in (again.run_config["ops"]["whoop_sync"]["config"]["records"])
    )
    result = defs.resolve_job_def("sync_whoop").execute_in_process(
        run_config=request.run_config, tags=request.tags, resources=resources
    )
    assert result.success
    with psycopg.connect(database_url) as conn:
        values = conn.execute(
            "SELECT metric_value FROM wearables_readings WHERE metric_type = 'recovery_score'"
        ).fetchall()
    assert [float(v) for (v,) in values] == [3.0]


# -- Bad input ---------------------------------------------------------------------------------------

DEEP = b"[" * 30_000 + b"]" * 30_000  # within the size limit, past the JSON parser's recursion limit


@pytest.mark.parametrize(
    "body",
    [
        body_of(user_id=2**70),
        body_of(user_id=-1),
        body_of(trace_id="trace\u0000-1"),
        body_of(type="sleep.updated", note={"k\u0000": 1}),
        body_of(id="\ud800"),
        b'{"user_id": 456, "id": "x", "type": "x", "trace_id": "t", "deep": ' + DEEP + b"}",
        b'{"user_id": 456, "id": "x", "type": "x", "trace_id": "t", "deep": ' + b"[" * 40 + b"]" * 40 + b"}",
        b'{"user_id": 456, "id": "x", "type": "x", "trace_id": "t", "score": NaN}',
        b'{"user_id": 456, "id": "x", "type": "x", "trace_id": "t", "score": 1e400}',
        body_of(trace_id=hashlib.sha512(b"x").hexdigest() * 40),
        b'{"user_id": 456, "id": "x", "type": "\xff\xfe", "trace_id": "t"}',
    ],
    ids=[
        "user-id-2^70",
        "negative-user-id",
        "nul-in-trace-id",
        "nul-in-a-key",
        "lone-surrogate",
        "nesting-30000-deep",
        "nesting-40-deep",
        "nan",
        "infinite-number",
        "trace-id-5120-characters",
        "not-utf-8",
    ],
)
def test_a_signed_but_malformed_body_gets_400_logged_once_and_nothing_stored(
    service, database_url, body, caplog
):
    caplog.set_level(logging.INFO, logger="clutch_pipeline")
    answer = requests.post(service, data=body, headers=signed(body), timeout=10)
    assert answer.status_code == 400, answer.text
    assert isinstance(answer.json()["detail"], str)
    assert stored(database_url) == []
    (record,) = [r for r in caplog.records if r.name.startswith("clutch_pipeline.service")]
    assert record.exc_info is None


def raw_post(url: str, head: bytes, body_parts: list[bytes]) -> bytes:
    """Send a request over a plain socket (``head`` without the request line's target) and read the
    answer's status line: the server must answer without waiting for the rest of the body."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(b"POST " + parts.path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n")
        try:
            for part in body_parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking it all: its answer is what counts
        return sock.recv(4096).split(b"\r\n", 1)[0]


def test_a_body_declared_larger_than_the_limit_gets_413_before_it_is_read(service, database_url):
    status = raw_post(service, b"Content-Length: 209715200\r\n", [b"{" * 1000])
    assert status.split()[1] == b"413"
    assert stored(database_url) == []


def test_a_chunked_body_is_cut_off_at_the_limit_with_413(service, database_url):
    chunk = b"x" * 16384
    frame = hex(len(chunk))[2:].encode() + b"\r\n" + chunk + b"\r\n"
    # Past the limit, and never finished: the server stops reading at the limit and answers.
    status = raw_post(
        service, b"Transfer-Encoding: chunked\r\n", [frame] * (WEBHOOK_MAX_BYTES // len(chunk) + 1)
    )
    assert status.split()[1] == b"413"
    assert stored(database_url) == []


def test_a_body_at_the_limit_is_read(service, database_url):
    event = body_of()
    body = event[:-1] + b', "pad": "' + b" " * (WEBHOOK_MAX_BYTES - len(event) - 11) + b'"}'
    assert len(body) == WEBHOOK_MAX_BYTES
    assert requests.post(service, data=body, headers=signed(body), timeout=5).status_code == 204


def test_events_of_a_whoop_user_whose_athlete_revoked_consent_are_answered_2xx_and_dropped(
    service, database_url, caplog
):
    whoop = WhoopApp(
        base_url="http://127.0.0.1:9",
        client_id="client",
        client_secret=SECRET,
        redirect_uri="",
        cipher=TokenCipher([generate_key()]),
        retry=RetryPolicy(attempts=1),
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        add_device(conn, whoop.cipher, 1628369, whoop_user_id=USER, expires_at=NOW + timedelta(hours=1))
        with whoop.open(conn, clock=lambda: NOW) as session:
            revoke_consent(conn, session, 1628369)
    caplog.set_level(logging.INFO, logger="clutch_pipeline")
    body = body_of()
    answer = requests.post(service, data=body, headers=signed(body), timeout=5)
    assert answer.status_code == 204
    assert stored(database_url) == []
    assert len([r for r in caplog.records if r.name.startswith("clutch_pipeline.service")]) == 1


def test_events_of_a_consented_athlete_are_stored(service, database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        add_device(
            conn,
            TokenCipher([generate_key()]),
            1628369,
            whoop_user_id=USER,
            expires_at=NOW + timedelta(hours=1),
        )
    body = body_of()
    assert requests.post(service, data=body, headers=signed(body), timeout=5).status_code == 204
    assert len(stored(database_url)) == 1
