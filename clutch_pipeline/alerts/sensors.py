"""A run-failure sensor: logs every failed run and posts it to CLUTCH_ALERT_WEBHOOK_URL when set."""

from datetime import UTC, datetime

import dagster as dg
import requests

from clutch_pipeline.alerts.notify import failure_message, post_alert
from clutch_pipeline.settings import load_settings


def _first_step_error(context: dg.RunFailureSensorContext) -> str | None:
    """``step: ExceptionType: message`` of the first failed step, from the innermost cause."""
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error
        if error is None:
            continue
        while error.cause is not None:
            error = error.cause
        return f"{event.step_key}: {error.message.strip()}"
    return None


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=True,
    description=(
        "Runs by default. Logs every failed run, including runs started by the clutch CLI, and posts a "
        "short JSON message to CLUTCH_ALERT_WEBHOOK_URL when that is set."
    ),
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    error = _first_step_error(context) or (context.failure_event.message if context.failure_event else None)
    record = context.instance.get_run_record_by_id(run.run_id)
    ended = record.end_time if record and record.end_time else None
    message = failure_message(
        run_id=run.run_id,
        job_name=run.job_name,
        error=error,
        failed_at=datetime.fromtimestamp(ended, UTC) if ended else datetime.now(UTC),
        tags=run.tags,
    )
    context.log.error(message["text"] + f" [run {run.run_id}]")
    url = load_settings().alert_webhook_url
    if not url:
        return
    try:
        post_alert(url, message)
    except requests.RequestException as exc:
        # The URL may embed a token (Slack webhooks do): name the failure, never the URL.
        context.log.warning(f"alert for run {run.run_id} was not delivered: {type(exc).__name__}")
