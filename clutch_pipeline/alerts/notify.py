"""The message sent when a run fails, and its delivery to a webhook (Slack-compatible ``text``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import requests

MAX_ERROR_CHARS = 500


def failure_message(
    *, run_id: str, job_name: str, error: str | None, failed_at: datetime, tags: Mapping[str, str]
) -> dict:
    """A short JSON-able message about one failed run."""
    error_line = (error or "no error message").strip().splitlines()[0][:MAX_ERROR_CHARS]
    partition = tags.get("dagster/partition")
    where = f" (partition {partition})" if partition else ""
    return {
        "text": f"clutch-pipeline: run of {job_name}{where} failed: {error_line}",
        "run_id": run_id,
        "job": job_name,
        "partition": partition,
        "backfill": tags.get("dagster/backfill"),
        "failed_at": failed_at.isoformat(),
        "error": error_line,
        "ui_path": f"/runs/{run_id}",
    }


def post_alert(url: str, message: Mapping, *, timeout_seconds: float = 5.0) -> None:
    """POST the message as JSON; raises ``requests.RequestException`` when it was not accepted."""
    response = requests.post(url, json=dict(message), timeout=timeout_seconds)
    response.raise_for_status()
