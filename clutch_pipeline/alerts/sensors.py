"""The alert sensors: failed runs, and the athletes' data that stopped flowing (docs/alerts.md).

Both log every alert and post it to CLUTCH_ALERT_WEBHOOK_URL when set.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
import psycopg
import requests

from clutch_pipeline.alerts import conditions, store
from clutch_pipeline.alerts.notify import failure_message, post_alert
from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.settings import Settings, load_settings

ALERTS_INTERVAL_SECONDS = 300


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


def _current_alerts(conn: psycopg.Connection, settings: Settings, now: datetime) -> list[conditions.Alert]:
    """Every problem open now, read from our own tables."""
    problem_after = timedelta(minutes=settings.alert_device_problem_minutes)
    silent_after = timedelta(minutes=settings.alert_device_silent_minutes)
    found = [
        conditions.device_alert(device, now, problem_after, silent_after)
        for device in store.consented_devices(conn)
    ]
    found.append(conditions.summaries_alert(*store.oldest_summary_queue(conn), now))
    found += [conditions.live_game_alert(game, now) for game in store.games_in_progress(conn)]
    found += [conditions.kpi_alert(miss) for miss in store.kpi_misses(conn)]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    used = store.whoop_requests_since(conn, midnight)
    found.append(conditions.budget_alert(used, settings.whoop_requests_per_day, now))
    return [alert for alert in found if alert is not None]


def _announce(context: dg.SensorEvaluationContext, url: str | None, message: dict) -> bool:
    """Log the message, and post it when a webhook is set. False only when the webhook refused it."""
    context.log.warning(message["text"])
    if not url:
        return True
    try:
        post_alert(url, message)
    except requests.RequestException as exc:
        # The URL may embed a token (Slack webhooks do): name the failure, never the URL.
        context.log.warning(f"alert {message['alert']} was not delivered: {type(exc).__name__}")
        return False
    return True


@dg.sensor(
    name="wearables_alerts",
    minimum_interval_seconds=ALERTS_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Runs by default, every 5 minutes; starts no run. Alerts when a WHOOP device needs "
        "re-authorization, fails or stays silent, the daily summaries or a live NBA game go stale, a KPI "
        "misses its target, or the WHOOP request budget is on course to run out. One message per problem "
        "until it changes, and one when it clears (docs/alerts.md)."
    ),
)
def wearables_alerts(context: dg.SensorEvaluationContext, postgres: PostgresResource) -> dg.SkipReason:
    settings, now = load_settings(), datetime.now(UTC)
    url = settings.alert_webhook_url
    sent = resolved = 0
    with postgres.connection() as conn:
        current = {alert.key: alert for alert in _current_alerts(conn, settings, now)}
        before = store.open_alerts(conn)
        for key, alert in current.items():
            prior = before.get(key)
            if prior is not None and prior.announced_fingerprint == alert.fingerprint:
                continue
            message = conditions.message(alert)
            delivered = _announce(context, url, message)
            store.record_open(conn, key, alert.fingerprint, message, now, announced=delivered)
            sent += delivered
        for key, prior in before.items():
            if key in current:
                continue
            if prior.announced_fingerprint is not None:
                # One attempt: a refused "resolved" message is logged, not retried.
                _announce(context, url, conditions.resolved_message(prior.message, now))
            store.record_cleared(conn, key, now)
            resolved += 1
    return dg.SkipReason(f"{len(current)} problem(s) open; {sent} message(s) sent, {resolved} cleared")


ALERT_SENSORS = [alert_on_run_failure, wearables_alerts]
