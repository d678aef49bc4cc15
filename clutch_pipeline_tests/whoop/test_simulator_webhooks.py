"""The simulator's signed WHOOP v2 webhooks (WHOOP_V2_API.md section 4), sent to a receiver on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from clutch_pipeline.whoop.simulator import SimulatedAthlete, WhoopSimulator, sign_webhook
from clutch_pipeline.whoop.simulator.records import millis
from clutch_pipeline_tests.whoop.conftest import BROWN, LEBRON, TATUM, WHOOP_CLIENT_SECRET

EVENT_TYPES = {
    f"{kind}.{change}" for kind in ("sleep", "workout", "recovery") for change in ("updated", "deleted")
}


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # real time

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """An HTTP endpoint that records every POST (headers, raw body) and answers ``status`` (or the next
    of ``script``: a status, or ("slow", seconds) to answer 200 only after that long)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 200
        self.script: list[int | tuple[str, float]] = []
        self.closing = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append(Received(dict(self.headers.items()), body, time.monotonic()))
                status = receiver.script.pop(0) if receiver.script else receiver.status
                if isinstance(status, tuple):
                    receiver.closing.wait(status[1])
                    status = 200
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/whoop/webhook"

    def payloads(self) -> list[dict]:
        return [r.payload for r in self.received]

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def whoop_webhooks(make_whoop_simulator, receiver) -> WhoopSimulator:
    """A simulator sending its webhooks to ``receiver``, Tatum authorized (tokens issued)."""
    simulator = make_whoop_simulator(webhook_url=receiver.url)
    simulator.issue_tokens(TATUM)
    return simulator


def reference_signature(raw_body: bytes, ts_header: str, client_secret: str) -> str:
    """WHOOP_V2_API.md section 4, verbatim: base64(HMAC-SHA256(timestamp + raw body, client_secret))."""
    mac = hmac.new(client_secret.encode(), ts_header.encode() + raw_body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def expected_updates(athlete: SimulatedAthlete, since: datetime, until: datetime) -> Counter:
    """The "updated" events of the records that appeared or were scored in (since, until]."""
    found: Counter = Counter()
    for record_type, records in (
        ("sleep", athlete.sleeps),
        ("recovery", athlete.recoveries),
        ("workout", athlete.workouts),
    ):
        for record in records:
            for moment in (record.visible_at, record.scored_at):
                if since < moment <= until:
                    found[(f"{record_type}.updated", record.record_id)] += 1
    return found


def test_sign_webhook_is_the_documented_formula():
    # openssl dgst -sha256 -hmac secret -binary <<< '1700000000000{"a":1}' (no newline) | base64
    assert (
        sign_webhook("secret", "1700000000000", b'{"a":1}') == "0pM2GdttJSewPFhxsH1nVKvgeUeQD/mx7t0F5acVYpI="
    )
    body = b'{"user_id":456,"id":"550e8400-e29b-41d4-a716-446655440000"}'
    assert sign_webhook("s3cr3t", "1", body) == reference_signature(body, "1", "s3cr3t")


def test_rescore_and_delete_send_signed_events_with_whoops_exact_payload(
    whoop_webhooks, receiver, whoop_clock
):
    simulator = whoop_webhooks
    tatum = simulator.athlete(TATUM)
    recovery, workout = tatum.recoveries[3], tatum.workouts[2]
    simulator.rescore(tatum.user_id, "recovery", recovery.record_id, recovery_score=91.0)
    simulator.rescore(tatum.user_id, "workout", workout.record_id, strain=12.5)
    simulator.delete_record(tatum.user_id, "sleep", recovery.record_id)  # its recovery goes with it

    report = simulator.deliver_webhooks()

    assert (report.sent, report.delivered, report.failed, report.pending) == (4, 4, 0, 0)
    assert [(p["type"], p["id"]) for p in receiver.payloads()] == [
        ("recovery.updated", recovery.record_id),  # a recovery is named by its sleep's UUID
        ("workout.updated", workout.record_id),
        ("sleep.deleted", recovery.record_id),
        ("recovery.deleted", recovery.record_id),
    ]
    trace_ids = set()
    for request in receiver.received:
        payload = request.payload
        assert list(payload) == ["user_id", "id", "type", "trace_id"]
        assert payload["user_id"] == tatum.user_id and isinstance(payload["user_id"], int)
        assert str(uuid.UUID(payload["id"])) == payload["id"]
        trace_ids.add(str(uuid.UUID(payload["trace_id"])))
        assert request.headers["Content-Type"] == "application/json"
        timestamp = request.headers["X-WHOOP-Signature-Timestamp"]
        assert timestamp == str(millis(whoop_clock.now))  # epoch milliseconds of the simulator clock
        signature = request.headers["X-WHOOP-Signature"]
        assert signature == reference_signature(request.body, timestamp, WHOOP_CLIENT_SECRET)
        assert signature == sign_webhook(WHOOP_CLIENT_SECRET, timestamp, request.body)
        assert signature != reference_signature(request.body, timestamp + ".", WHOOP_CLIENT_SECRET)
    assert len(trace_ids) == 4
    assert [(d.event.type, d.attempt, d.status) for d in simulator.webhook_log] == [
        (p["type"], 0, 200) for p in receiver.payloads()
    ]
    assert simulator.deliver_webhooks().sent == 0  # nothing twice


def test_records_send_updated_when_they_appear_and_when_scored_and_nothing_for_cycles(
    make_whoop_simulator, receiver, whoop_clock
):
    tatum_sleep = [s for s in make_whoop_simulator().athlete(TATUM).sleeps if not s.fields["nap"]][5]
    start = tatum_sleep.end - timedelta(hours=20)
    whoop_clock.set(start)
    simulator = make_whoop_simulator(webhook_url=receiver.url)
    simulator.issue_tokens(TATUM)
    tatum = simulator.athlete(TATUM)
    sleep = simulator.record(tatum.user_id, "sleep", tatum_sleep.record_id)
    recovery = simulator.record(tatum.user_id, "recovery", sleep.record_id)

    whoop_clock.set(sleep.end + timedelta(minutes=1))  # the sleep and its recovery appear, pending
    appeared = simulator.deliver_webhooks()
    whoop_clock.set(recovery.scored_at + timedelta(minutes=1))  # both scored
    scored = simulator.deliver_webhooks()
    whoop_clock.advance(hours=30)  # a day more: a cycle, workouts, another sleep
    later = simulator.deliver_webhooks()

    sent = Counter((p["type"], p["id"]) for p in receiver.payloads())
    assert sent == expected_updates(tatum, start, whoop_clock.now)
    assert sent[("sleep.updated", sleep.record_id)] == 2 and sent[("recovery.updated", sleep.record_id)] == 2
    first = [(p["type"], p["id"]) for p in receiver.payloads()[: appeared.sent]]
    assert ("sleep.updated", sleep.record_id) in first and ("recovery.updated", sleep.record_id) in first
    assert scored.sent >= 2 and later.sent > 0
    assert {p["type"] for p in receiver.payloads()} <= EVENT_TYPES  # never cycle.*
    assert {p["user_id"] for p in receiver.payloads()} == {tatum.user_id}  # only the authorized user
    moments = [d.event.at for d in simulator.webhook_log]
    assert moments == sorted(moments)  # in time order


def test_a_failing_receiver_gets_five_retries_over_about_an_hour_then_the_event_is_dropped(
    whoop_webhooks, receiver, whoop_clock
):
    simulator = whoop_webhooks
    receiver.status = 500
    tatum = simulator.athlete(TATUM)
    simulator.rescore(tatum.user_id, "workout", tatum.workouts[0].record_id, strain=9.0)
    first_at = whoop_clock.now

    report = simulator.deliver_webhooks()
    assert (report.sent, report.failed, report.pending) == (1, 1, 1)
    due = report.deliveries[0].next_attempt_at
    for attempt, minutes in enumerate((1, 5, 10, 20, 30), start=1):
        assert due == whoop_clock.now + timedelta(minutes=minutes)
        whoop_clock.set(due - timedelta(seconds=1))
        assert simulator.deliver_webhooks().sent == 0  # not yet
        whoop_clock.set(due)
        report = simulator.deliver_webhooks()
        assert [(d.attempt, d.status) for d in report.deliveries] == [(attempt, 500)]
        due = report.deliveries[0].next_attempt_at
        assert receiver.received[-1].headers["X-WHOOP-Signature-Timestamp"] == str(millis(whoop_clock.now))
    assert due is None and report.deliveries[0].dropped and (report.dropped, report.pending) == (1, 0)
    assert whoop_clock.now - first_at == timedelta(minutes=66)  # "five times over about one hour"

    whoop_clock.advance(hours=2)
    assert simulator.deliver_webhooks().sent == 0
    assert [(d.attempt, d.status, d.dropped) for d in simulator.webhook_log] == [
        (n, 500, n == 5) for n in range(6)
    ]
    assert len({r.body for r in receiver.received}) == 1  # the same event (trace_id) each time
    for request in receiver.received:  # each attempt signed anew with its own timestamp
        timestamp = request.headers["X-WHOOP-Signature-Timestamp"]
        assert request.headers["X-WHOOP-Signature"] == reference_signature(
            request.body, timestamp, WHOOP_CLIENT_SECRET
        )


@pytest.mark.parametrize("failure", [302, 404, 429, 503, ("slow", 2.0)])
def test_non_2xx_and_timeouts_fail_and_a_retry_can_succeed(
    make_whoop_simulator, receiver, whoop_clock, failure
):
    simulator = make_whoop_simulator(webhook_url=receiver.url, webhook_timeout_seconds=0.2)
    simulator.issue_tokens(TATUM)
    tatum = simulator.athlete(TATUM)
    receiver.script = [failure, 204]
    simulator.rescore(tatum.user_id, "sleep", tatum.sleeps[1].record_id, respiratory_rate=15.5)

    failed = simulator.deliver_webhooks()
    assert failed.failed == 1 and failed.pending == 1
    if isinstance(failure, tuple):
        assert failed.deliveries[0].status is None and "Timeout" in failed.deliveries[0].error
    else:
        assert failed.deliveries[0].status == failure
    whoop_clock.advance(minutes=1)
    retried = simulator.deliver_webhooks()
    assert [(d.attempt, d.status, d.ok) for d in retried.deliveries] == [(1, 204, True)]
    whoop_clock.advance(hours=2)
    assert simulator.deliver_webhooks().sent == 0 and len(receiver.received) == 2


def test_duplicates_share_a_trace_id_and_are_chosen_deterministically(make_whoop_simulator, receiver):
    everyone = make_whoop_simulator(webhook_url=receiver.url, webhook_duplicate_share=1.0)
    everyone.issue_tokens(TATUM)
    tatum = everyone.athlete(TATUM)
    for workout in tatum.workouts[:3]:
        everyone.rescore(tatum.user_id, "workout", workout.record_id, strain=10.0)
    report = everyone.deliver_webhooks()
    assert report.sent == 6 and [d.copy for d in report.deliveries] == [0, 1] * 3
    bodies = [r.body for r in receiver.received]
    assert bodies[0::2] == bodies[1::2] and len(set(bodies)) == 3  # each twice, same trace_id and body

    def run(seed: int, share: float) -> list[tuple[str, int]]:
        simulator = make_whoop_simulator(
            webhook_url=receiver.url, webhook_duplicate_share=share, webhook_seed=seed
        )
        simulator.issue_tokens(TATUM)
        for workout in tatum.workouts:
            simulator.rescore(tatum.user_id, "workout", workout.record_id, strain=11.0)
        return [(d.event.trace_id, d.copy) for d in simulator.deliver_webhooks().deliveries]

    half = run(0, 0.5)
    assert half == run(0, 0.5)  # the same trace ids, the same events doubled
    doubled = sum(copy for _, copy in half)
    assert 0 < doubled < len(tatum.workouts) and len(half) == len(tatum.workouts) + doubled
    assert len({trace for trace, _ in half}) == len(tatum.workouts)
    assert {trace for trace, _ in run(1, 0.5)}.isdisjoint({trace for trace, _ in half})  # another seed
    assert sum(copy for _, copy in run(0, 0.0)) == 0


def test_no_webhooks_for_an_unauthorized_or_revoked_user(
    make_whoop_simulator, receiver, whoop_clock, whoop_login
):
    simulator = make_whoop_simulator(webhook_url=receiver.url)
    lebron, tatum, brown = (simulator.athlete(p) for p in (LEBRON, TATUM, BROWN))
    simulator.rescore(lebron.user_id, "workout", lebron.workouts[0].record_id, strain=8.0)  # never authorized
    assert simulator.deliver_webhooks().skipped == 1 and receiver.received == []
    assert not simulator.is_authorized(lebron.user_id)

    token = whoop_login(TATUM, simulator=simulator)["access_token"]  # through the token endpoint
    simulator.issue_tokens(BROWN)
    simulator.rescore(tatum.user_id, "workout", tatum.workouts[0].record_id, strain=8.0)
    receiver.status = 500
    assert simulator.deliver_webhooks().failed == 1  # a retry is pending

    revoked = requests.delete(
        simulator.base_url + "/developer/v2/user/access",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert revoked.status_code == 204 and not simulator.is_authorized(tatum.user_id)
    receiver.status = 200
    simulator.rescore(tatum.user_id, "workout", tatum.workouts[1].record_id, strain=8.5)
    simulator.delete_record(tatum.user_id, "workout", tatum.workouts[2].record_id)
    simulator.rescore(brown.user_id, "workout", brown.workouts[0].record_id, strain=7.5)
    whoop_clock.advance(days=1)  # records of revoked users appear too: no events either
    report = simulator.deliver_webhooks()
    assert report.skipped >= 3 and report.pending == 0  # the revoked user's retry is dropped as well
    assert receiver.received[0].payload["user_id"] == tatum.user_id
    assert {p["user_id"] for p in receiver.payloads()[1:]} == {brown.user_id}


def test_without_a_webhook_url_nothing_is_sent(whoop_simulator):
    whoop_simulator.issue_tokens(TATUM)
    tatum = whoop_simulator.athlete(TATUM)
    whoop_simulator.rescore(tatum.user_id, "workout", tatum.workouts[0].record_id, strain=8.0)
    assert whoop_simulator.deliver_webhooks().sent == 0 and whoop_simulator.webhook_log == []
    with pytest.raises(RuntimeError):
        whoop_simulator.start_webhook_sender(0.1)


def test_the_background_sender_delivers_on_its_own(whoop_webhooks, receiver):
    simulator = whoop_webhooks
    tatum = simulator.athlete(TATUM)
    simulator.start_webhook_sender(interval_seconds=0.05)
    simulator.rescore(tatum.user_id, "sleep", tatum.sleeps[0].record_id, respiratory_rate=14.0)
    deadline = time.monotonic() + 5
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.02)
    simulator.stop_webhook_sender()
    assert [(p["type"], p["id"]) for p in receiver.payloads()] == [
        ("sleep.updated", tatum.sleeps[0].record_id)
    ]
