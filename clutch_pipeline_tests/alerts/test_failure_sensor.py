"""The run-failure sensor: every failed run is logged, and posted to the alert webhook when one is set."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from clutch_pipeline.alerts.notify import MAX_ERROR_CHARS, failure_message
from clutch_pipeline.alerts.sensors import alert_on_run_failure


class AlertReceiver:
    """A local HTTP server that records what is POSTed to it and answers with a chosen status."""

    def __init__(self, status: int = 200):
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(json.loads(body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = AlertReceiver()
    yield server
    server.close()


@pytest.fixture
def failing_run_context():
    @dg.asset
    def exploding_asset():
        raise ValueError("boom: the feed answered 503")

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([exploding_asset], instance=instance, raise_on_error=False)
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()
    yield context, result.dagster_run
    instance.dispose()


def test_a_failed_run_is_posted_to_the_alert_webhook(monkeypatch, receiver, failing_run_context):
    context, run = failing_run_context
    monkeypatch.setenv("CLUTCH_ALERT_WEBHOOK_URL", receiver.url)

    alert_on_run_failure(context)

    assert len(receiver.received) == 1
    message = receiver.received[0]
    assert message["run_id"] == run.run_id
    assert message["job"] == run.job_name
    assert "boom: the feed answered 503" in message["error"]
    assert message["text"].startswith(f"clutch-pipeline: run of {run.job_name} failed")


def test_without_a_webhook_the_failure_is_only_logged(monkeypatch, receiver, failing_run_context):
    context, _ = failing_run_context
    monkeypatch.delenv("CLUTCH_ALERT_WEBHOOK_URL", raising=False)

    alert_on_run_failure(context)

    assert receiver.received == []


def test_an_undeliverable_alert_does_not_fail_the_sensor(monkeypatch, failing_run_context):
    context, _ = failing_run_context
    refusing = AlertReceiver(status=500)
    monkeypatch.setenv("CLUTCH_ALERT_WEBHOOK_URL", refusing.url)
    try:
        alert_on_run_failure(context)
    finally:
        refusing.close()

    assert len(refusing.received) == 1


def test_the_message_keeps_only_the_first_line_of_a_long_error():
    message = failure_message(
        run_id="r1",
        job_name="whoop_sync",
        error="x" * 2000 + "\nTraceback ...",
        failed_at=datetime(2026, 11, 24, tzinfo=UTC),
        tags={"dagster/partition": "2026-11-23"},
    )

    assert len(message["error"]) == MAX_ERROR_CHARS
    assert message["partition"] == "2026-11-23"
    assert "(partition 2026-11-23)" in message["text"]
