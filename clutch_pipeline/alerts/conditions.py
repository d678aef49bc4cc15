"""Which problems are open now, and what their messages say. Pure: rows in, alerts out.

The sensor (``alerts/sensors.py``) reads the rows (``alerts/store.py``), asks this module which problems
are open, and sends a message only for a problem that is new, changed (its fingerprint) or cleared. A
message names the athlete or asset, since when, and what to do; it never holds a token or a health value
(recovery, HRV, ...): only ids, names, kinds, timestamps and the pipeline's own counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

# The freshness policy of alignment/checks.py (daily_summaries_fresh): a changed WHOOP day may wait an
# hour for its summary. Repeated, not imported: alerts import no stage.
SUMMARY_FRESHNESS = timedelta(hours=1)
# A game in progress is polled by nba_live_games every minute or so; 15 minutes without an attempt
# means the sensor or its runs are not working.
LIVE_GAME_FRESHNESS = timedelta(minutes=15)
# The WHOOP budget projection starts after the day's first hour: a few requests at 00:05 UTC say
# nothing about the day.
BUDGET_MIN_ELAPSED = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Device:
    device_id: str
    nba_person_id: int
    full_name: str
    sync_status: str
    needs_reauthorization_at: datetime | None
    last_sync_at: datetime | None
    consent_granted_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class LiveGame:
    nba_game_id: str
    season: str
    tipoff_at: datetime | None
    attempted_at: datetime | None


@dataclass(frozen=True)
class KpiMiss:
    kpi: str
    day: str
    value: float
    target: float
    direction: str


@dataclass(frozen=True)
class Alert:
    key: str
    fingerprint: str
    since: datetime
    text: str
    fix: str
    subject: dict = field(default_factory=dict)


def _athlete(device: Device) -> str:
    return f"{device.full_name} (NBA person id {device.nba_person_id})"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def device_alert(
    device: Device, now: datetime, problem_after: timedelta, silent_after: timedelta
) -> Alert | None:
    """One alert per device, the worst of: needs re-authorization, sync error, synced nothing.

    A device in error has not synced either: one key per device with the kind as fingerprint keeps that
    to one message, and a device going from error to needing re-authorization sends again."""
    subject = {
        "device_id": device.device_id,
        "nba_person_id": device.nba_person_id,
        "athlete": device.full_name,
    }
    last_good = device.last_sync_at or device.consent_granted_at or device.created_at
    key, who = f"device:{device.device_id}", _athlete(device)
    reauth = device.needs_reauthorization_at
    if reauth is not None and now - reauth > problem_after:
        return Alert(
            key,
            "needs_reauthorization",
            reauth,
            f"WHOOP device of {who} needs re-authorization since {_when(reauth)}: no data is synced.",
            f"send the athlete a new link: `clutch whoop authorize-url --player {device.nba_person_id}`",
            subject,
        )
    if device.sync_status == "error" and now - last_good > problem_after:
        return Alert(
            key,
            "sync_error",
            last_good,
            f"WHOOP sync of {who} fails: no successful sync since {_when(last_good)}.",
            f"see the failed runs (`clutch runs`), then `clutch whoop sync --player {device.nba_person_id}`",
            subject,
        )
    if now - last_good > silent_after:
        return Alert(
            key,
            "no_sync",
            last_good,
            f"WHOOP device of {who} has synced nothing since {_when(last_good)}.",
            f"check the WHOOP sync schedule or planner (`clutch runs`), then "
            f"`clutch whoop sync --player {device.nba_person_id}`",
            subject,
        )
    return None


def summaries_alert(oldest_queued_at: datetime | None, queued_days: int, now: datetime) -> Alert | None:
    """The daily summaries are stale when a changed day has waited longer than their freshness policy."""
    if oldest_queued_at is None or now - oldest_queued_at <= SUMMARY_FRESHNESS:
        return None
    return Alert(
        "summaries_stale",
        "stale",
        oldest_queued_at,
        f"Asset wearables_daily_summary is stale: {queued_days} changed athlete-day(s) queued, the oldest "
        f"since {_when(oldest_queued_at)} (policy: {SUMMARY_FRESHNESS}).",
        "check that the sensor wearables_summary_refresh runs and its runs succeed (`clutch runs`)",
        {"asset": "wearables_daily_summary", "queued_days": queued_days},
    )


def live_game_alert(game: LiveGame, now: datetime) -> Alert | None:
    """A game in progress whose play-by-play was last attempted (or, never, tipped off) too long ago."""
    since = game.attempted_at or game.tipoff_at
    if since is None or now - since <= LIVE_GAME_FRESHNESS:
        return None
    return Alert(
        f"nba_live:{game.nba_game_id}",
        "stale",
        since,
        f"NBA game {game.nba_game_id} is in progress but its play-by-play was last loaded "
        f"{'at' if game.attempted_at else 'never; tip-off'} {_when(since)} (policy: {LIVE_GAME_FRESHNESS}).",
        f"check that the sensor nba_live_games runs (`clutch runs`); afterwards "
        f"`clutch nba backfill --season {game.season}` reloads the game",
        {"asset": "nba_play_by_play", "nba_game_id": game.nba_game_id, "season": game.season},
    )


def kpi_alert(miss: KpiMiss) -> Alert:
    """A KPI below its target on its latest day: one message per KPI and day."""
    relation = "at least" if miss.direction == "at_least" else "at most"
    return Alert(
        f"kpi:{miss.kpi}",
        miss.day,
        datetime.fromisoformat(miss.day + "T00:00:00+00:00"),
        f"KPI {miss.kpi} missed its target on {miss.day}: {miss.value:.4g} "
        f"(target: {relation} {miss.target:.4g}).",
        "see `clutch kpis` for the days and the detail, and `clutch runs` for failing runs",
        {"asset": "kpi_daily", "kpi": miss.kpi, "day": miss.day},
    )


def budget_alert(used_today: int, per_day: int, now: datetime) -> Alert | None:
    """The WHOOP requests spent since 00:00 UTC, projected linearly to the day's end, exceed the limit."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = now - midnight
    if elapsed < BUDGET_MIN_ELAPSED and used_today < per_day:
        return None
    projected = round(used_today * DAY / max(elapsed, timedelta(seconds=1)))
    if projected <= per_day:
        return None
    return Alert(
        "whoop_budget",
        midnight.date().isoformat(),
        midnight,
        f"WHOOP request budget is on course to run out today: {used_today} requests since "
        f"{_when(midnight)}, about {projected} by the day's end, limit {per_day}.",
        "run either whoop_sync_planner or whoop_hourly_sync, not both; see `clutch runs`; if WHOOP raised "
        "the limit, set CLUTCH_WHOOP_REQUESTS_PER_DAY",
        {"asset": "whoop_api_requests", "used_today": used_today, "projected": projected, "limit": per_day},
    )


def message(alert: Alert) -> dict:
    """The JSON posted to the webhook about an open problem; ``text`` makes it a valid Slack message."""
    return {
        "text": f"clutch-pipeline: {alert.text} Fix: {alert.fix}.",
        "alert": alert.key,
        "status": "open",
        "problem": alert.fingerprint,
        "since": alert.since.isoformat(),
        "summary": alert.text,
        "fix": alert.fix,
        **alert.subject,
    }


def resolved_message(last: dict, now: datetime) -> dict:
    """The message saying a problem cleared, from the last message sent about it."""
    return {
        **last,
        "text": f"clutch-pipeline: resolved: {last.get('summary', last.get('alert'))}",
        "status": "resolved",
        "resolved_at": now.isoformat(),
    }
