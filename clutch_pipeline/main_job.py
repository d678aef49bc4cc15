"""The main job behind ``clutch run``: every stage in order on the embedded defaults, and its report.

It sits above the stages and the service and is imported by nothing below it. Assets with different
partitions cannot share a Dagster run, so the main job is a list of steps, each one run of an asset job
launched through ``runs.py`` on the instance in use; every step shows up in the Dagster UI like any
other run. A new stage adds its step to ``MAIN_JOB_STEPS``.

The steps:

1. ``apply_schema``: migrations.
2. ``load_nba_games``: the bundled 2022-23 sample (40 games) and its clutch time.
3. WHOOP: the players of those games are simulated WHOOP members (``whoop/simulator``); those without a
   valid consent go through the real OAuth flow against our own callback (``service/`` on loopback),
   then ``sync_whoop`` syncs the days around the games (from far enough before the first game for HRV
   baselines) for the athletes who were just authorized.
4. ``refresh_daily_summaries``: the local days whose WHOOP records changed (what the sensor
   ``wearables_summary_refresh`` does in production).
5. ``align_clutch_games`` for the sample's season: pregame context, clutch actions' wearables context,
   clutch scores and features; the report gives the share of clutch actions that found wearables
   context and the five best game clutch scores.

A second ``clutch run`` changes nothing it does not need to: the simulator keeps its client secret and
the grants it issued under ``CLUTCH_HOME/whoop-simulator``, athletes whose consent is still valid are
left alone, and their days, already synced, are not fetched again. Only one main job runs on a database
at a time: a second one says so and stops.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import requests

from clutch_pipeline.alignment.store import games as alignment_store
from clutch_pipeline.alignment.store.summaries import queued_summary_days
from clutch_pipeline.alignment.summaries import BASELINE_MIN_DAYS
from clutch_pipeline.db.connection import DatabaseUrls, connect, redact
from clutch_pipeline.db.locks import LockBusy, LockScope, advisory_lock
from clutch_pipeline.db.store import exact_row_counts, table_names
from clutch_pipeline.jobs import schema_job
from clutch_pipeline.model import store as model_store
from clutch_pipeline.nba.archive import SAMPLE_ARCHIVE, PlayByPlayArchive
from clutch_pipeline.runs import (
    EventCallback,
    Launch,
    OpenInstance,
    RunReport,
    alignment_launch,
    launch_run,
    model_launch,
    nba_games_launch,
    open_instance,
    summaries_launch,
    whoop_sync_launch,
)
from clutch_pipeline.service.app import ServiceConfig, create_app
from clutch_pipeline.service.server import serve_in_background
from clutch_pipeline.settings import Settings
from clutch_pipeline.whoop import store as whoop_store
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline.whoop.consent import authorization_url
from clutch_pipeline.whoop.resources import WhoopResource
from clutch_pipeline.whoop.simulator import SimulatedAthlete, WhoopSimulator, build_athletes, players_of_games
from clutch_pipeline.whoop.tokens import cipher_from_settings

log = logging.getLogger(__name__)

LAUNCHED_BY = "clutch run"
# WHOOP raises an app's limits on request; the simulator and our budget are raised alike for the main
# job. The tests keep WHOOP's real 100 a minute and 10,000 a day.
RAISED_LIMIT_PER_MINUTE = 100_000
RAISED_LIMIT_PER_DAY = 10_000_000
SIMULATOR_CLIENT_ID = "clutch-main-job"
CALLBACK_PATH = "/api/auth/whoop/callback"
# The first game's HRV baseline deviation needs BASELINE_MIN_DAYS of the 30 days before it
# (alignment/summaries.py), and a physiological day starts the evening before: simulate and sync from
# that many days before the first game, and one more.
DAYS_BEFORE = BASELINE_MIN_DAYS + 2

Out = Callable[[str], None]


class MainJobAlreadyRunning(RuntimeError):
    pass


@dataclass
class StepOutcome:
    title: str
    reports: list[RunReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    on_note: Callable[[str], None] | None = None

    def note(self, text: str) -> None:
        """Something the report should say about the step, shown at once."""
        self.notes.append(text)
        if self.on_note is not None:
            self.on_note(text)

    @property
    def success(self) -> bool:
        return all(r.success for r in self.reports)


@dataclass
class MainJobReport:
    urls: DatabaseUrls
    steps: list[StepOutcome]
    planned_steps: int
    seconds: float
    table_rows: dict[str, int]

    @property
    def success(self) -> bool:
        return len(self.steps) == self.planned_steps and all(s.success for s in self.steps)


# ---------------------------------------------------------------------------------------------------
# The bundled games and their days

SAMPLE_SEASON = "2022-23"


def sample_games() -> tuple[str, ...]:
    return tuple(sorted(PlayByPlayArchive(SAMPLE_ARCHIVE).game_ids()))


def main_job_days(game_dates: list[date]) -> tuple[date, date]:
    """The days the main job simulates and syncs WHOOP data for: around the bundled games."""
    return min(game_dates) - timedelta(days=DAYS_BEFORE), max(game_dates)


def sample_days() -> tuple[date, date]:
    archive = PlayByPlayArchive(SAMPLE_ARCHIVE)
    return main_job_days([archive.entry(g).game_date for g in archive.game_ids()])


# ---------------------------------------------------------------------------------------------------
# WHOOP, simulated


@dataclass(frozen=True)
class SimulatedConsent:
    athletes: int
    already_authorized: int
    authorized_now: list[int]  # NBA person ids
    failed: int
    base_url: str

    def __str__(self) -> str:
        return (
            f"WHOOP simulator at {self.base_url}: {self.athletes} athletes; {self.already_authorized} "
            f"already consented with valid tokens (left alone), {len(self.authorized_now)} authorized "
            f"now through the OAuth callback" + (f", {self.failed} FAILED" if self.failed else "")
        )


def _still_authorized(conn, simulator: WhoopSimulator, athlete: SimulatedAthlete) -> bool:
    """Consent stored, no re-authorization needed, and the simulator still honours his grant."""
    status = whoop_store.consent_status(conn, athlete.person_id)
    return bool(
        status
        and status["consent_granted"]
        and not status["needs_reauthorization"]
        and simulator.holds_live_grant(athlete.user_id)
    )


def _authorize(urls: DatabaseUrls, app: WhoopApp, athletes: list[SimulatedAthlete]) -> tuple[list[int], int]:
    """Each athlete consents as a real one would: our state, the simulator's authorize page (which
    "logs him in"), its redirect to our service's callback, which stores his tokens encrypted."""

    def service(base_url: str):
        nonlocal app
        app = replace(app, redirect_uri=f"{base_url}{CALLBACK_PATH}")
        return create_app(ServiceConfig(database_url=urls.app, whoop=app, api_keys=()))

    authorized, failed = [], 0
    with serve_in_background(service), connect(urls.app) as conn, requests.Session() as browser:
        for athlete in athletes:
            authorize = authorization_url(conn, app, athlete.person_id, utc_now())
            answer = browser.get(f"{authorize}&athlete={athlete.person_id}", timeout=30)
            if answer.status_code == 200:
                authorized.append(athlete.person_id)
            else:
                failed += 1
                log.warning(
                    "athlete %s: authorization failed: HTTP %s", athlete.person_id, answer.status_code
                )
    return authorized, failed


@contextmanager
def simulated_whoop(
    settings: Settings, urls: DatabaseUrls, first: date, last: date
) -> Iterator[tuple[SimulatedConsent, WhoopResource]]:
    """The simulator for the players of the games ``first``..``last``, every athlete consented, and the
    WHOOP resource pointed at the simulator for the sync run (handed to the run, never exported)."""
    with connect(urls.app) as conn:
        # Players as the NBA stage records them (``players``), not every person id of the raw actions.
        person_ids = whoop_store.known_players(conn, players_of_games(conn, first, last))
        athletes = build_athletes(conn, person_ids, first, last)
    simulator = WhoopSimulator(
        athletes,
        client_id=SIMULATOR_CLIENT_ID,
        state_path=settings.clutch_home / "whoop-simulator" / "state.json",
        per_minute=RAISED_LIMIT_PER_MINUTE,
        per_day=RAISED_LIMIT_PER_DAY,
    )
    with simulator:
        app = WhoopApp(
            base_url=simulator.base_url,
            client_id=SIMULATOR_CLIENT_ID,
            client_secret=simulator.client_secret,
            redirect_uri="",  # the service's own callback, once it listens
            cipher=cipher_from_settings(settings),
            per_minute=RAISED_LIMIT_PER_MINUTE,
            per_day=RAISED_LIMIT_PER_DAY,
        )
        with connect(urls.app) as conn:
            pending = [a for a in athletes if not _still_authorized(conn, simulator, a)]
        authorized, failed = _authorize(urls, app, pending) if pending else ([], 0)
        consent = SimulatedConsent(
            len(athletes), len(athletes) - len(pending), authorized, failed, simulator.base_url
        )
        resource = WhoopResource(
            base_url=simulator.base_url,
            client_id=SIMULATOR_CLIENT_ID,
            client_secret=simulator.client_secret,
            requests_per_minute=RAISED_LIMIT_PER_MINUTE,
            requests_per_day=RAISED_LIMIT_PER_DAY,
        )
        yield consent, resource


# ---------------------------------------------------------------------------------------------------
# The steps


@dataclass(frozen=True)
class StepContext:
    instance: OpenInstance
    settings: Settings
    urls: DatabaseUrls
    on_event: EventCallback | None
    on_note: Callable[[str], None] | None = None


@dataclass(frozen=True)
class MainJobStep:
    title: str
    run: Callable[[StepContext, str], StepOutcome]


def _schema_step(context: StepContext, title: str) -> StepOutcome:
    step = StepOutcome(title)
    launch = Launch(schema_job.name, title)
    step.reports.append(launch_run(context.instance, launch, context.on_event, LAUNCHED_BY))
    return step


def _nba_step(context: StepContext, title: str) -> StepOutcome:
    step = StepOutcome(title)
    launch = nba_games_launch(title, sample_games(), {"archive_path": str(SAMPLE_ARCHIVE)})
    step.reports.append(launch_run(context.instance, launch, context.on_event, LAUNCHED_BY))
    return step


def _whoop_step(context: StepContext, title: str) -> StepOutcome:
    step = StepOutcome(title, on_note=context.on_note)
    first, last = sample_days()
    with simulated_whoop(context.settings, context.urls, first, last) as (consent, resource):
        step.note(str(consent))
        if not consent.authorized_now:
            step.note("sync: nothing to do (no athlete was newly authorized; their days are synced)")
            return step
        days = (first.isoformat(), last.isoformat())
        launch = replace(
            whoop_sync_launch(consent.authorized_now, days, incremental=False), resources={"whoop": resource}
        )
        step.reports.append(launch_run(context.instance, launch, context.on_event, LAUNCHED_BY))
    return step


def _summaries_step(context: StepContext, title: str) -> StepOutcome:
    """The days whose WHOOP records changed, as the sensor wearables_summary_refresh would run them."""
    step = StepOutcome(title, on_note=context.on_note)
    with connect(context.urls.app) as conn:
        ranges = queued_summary_days(conn)
    if not ranges:
        step.note("summaries: nothing to do (no WHOOP day changed)")
    for first, last in ranges:
        launch = summaries_launch((first.isoformat(), last.isoformat()))
        step.reports.append(launch_run(context.instance, launch, context.on_event, LAUNCHED_BY))
    return step


def _alignment_step(context: StepContext, title: str) -> StepOutcome:
    """The sample's season aligned and scored where it needs it, then what it found."""
    step = StepOutcome(title, on_note=context.on_note)
    with connect(context.urls.app) as conn:
        needing = alignment_store.seasons_needing_alignment(conn)
    if not needing:
        step.note("alignment: nothing to do (no game reloaded, no wearables day changed)")
    for season in sorted(needing):
        launch = alignment_launch(season)
        step.reports.append(launch_run(context.instance, launch, context.on_event, LAUNCHED_BY))
    with connect(context.urls.app) as conn:
        coverage = alignment_store.action_coverage(conn, SAMPLE_SEASON)
        best = alignment_store.best_game_scores(conn, [SAMPLE_SEASON])
    step.note(_coverage_line(coverage))
    step.note("best game clutch scores of the sample:")
    for row in best:
        step.note(_score_line(row))
    return step


def _coverage_line(coverage: dict[str, int]) -> str:
    total, found = coverage["clutch_actions"], coverage["with_wearables_context"]
    share = f"{100 * found / total:.1f}%" if total else "n/a"
    return (
        f"{found} of {total} clutch actions ({share}) found wearables context "
        f"({coverage['of_athletes_with_devices']} were by athletes with a consented device)"
    )


def _score_line(row: dict) -> str:
    recovery = f", recovery {row['recovery']:.0f}%" if row["recovery"] is not None else ""
    wearables = f"wearables{recovery}" if row["wearables"] else "no wearables"
    poe = f"{row['poe']:+.1f}" if row["poe"] is not None else "n/a"
    return (
        f"  {row['clutch_score']:5.1f}  {row['player']} ({row['game_date']} vs {row['opponent']}): "
        f"{row['actions']} actions, {row['points']} pts, {poe} over expected; {wearables}"
    )


def _model_step(context: StepContext, title: str) -> StepOutcome:
    """Offline there is no upcoming game: fit on every day of the sample but the last, predict the last
    day, and say how the predictions compare with what happened. A backtest's model is never published,
    so a failed check warns (in Dagster and in this report) instead of failing `clutch run`."""
    step = StepOutcome(title, on_note=context.on_note)
    with connect(context.urls.app) as conn:
        previous = model_store.latest_run(conn, "backtest")
        changed = previous is None or model_store.scores_changed_since(
            conn, [SAMPLE_SEASON], previous["started_at"]
        )
    if not changed:
        step.note("model: nothing to do (no game score changed since the last backtest)")
        step.note(_model_line(previous))
        return step
    launch = model_launch(backtest=True, seasons=[SAMPLE_SEASON])
    report = launch_run(context.instance, launch, context.on_event, LAUNCHED_BY)
    step.reports.append(report)
    with connect(context.urls.app) as conn:
        run = model_store.latest_run(conn, "backtest")
    backtest = report.materialized.get("clutch_model", {}).get("backtest")
    if backtest:
        step.note(backtest)
    if run is not None:
        step.note(_model_line(run))
    return step


def _model_line(run: dict) -> str:
    checks = run["diagnostics"].get("checks", [])
    figures = ", ".join(f"{c['name']} {c['value']:.4g}{'' if c['passed'] else ' FAILED'}" for c in checks)
    verdict = "checks passed" if run["checks_passed"] else "blocking checks failed: it would not be published"
    return (
        f"model {run['model_version']} ({run['rows']} player-games, {run['players']} players): "
        f"{verdict}; {figures}"
    )


MAIN_JOB_STEPS: tuple[MainJobStep, ...] = (
    MainJobStep("schema: apply migrations", _schema_step),
    MainJobStep("nba: load the bundled 2022-23 sample and detect clutch time", _nba_step),
    MainJobStep(
        "whoop: the sample's players consent (simulated) through the OAuth callback; sync", _whoop_step
    ),
    MainJobStep("alignment: daily summaries of the WHOOP days that changed", _summaries_step),
    MainJobStep(
        "alignment: pregame context, clutch scores and features of the sample's season", _alignment_step
    ),
    MainJobStep(
        "model: fit on the sample's days but the last, predict the last day (a backtest)", _model_step
    ),
)


# ---------------------------------------------------------------------------------------------------
# The job


@contextmanager
def only_main_job(urls: DatabaseUrls) -> Iterator[None]:
    """Hold the database's main-job lock for the block; raise at once when another main job holds it.

    Two at once would fight over the simulator's grants and each other's consents; one is enough."""
    with connect(urls.app, autocommit=True) as conn:
        try:
            with advisory_lock(conn, LockScope.MAIN_JOB, "clutch run", wait=False):
                yield
        except LockBusy:
            raise MainJobAlreadyRunning(
                f"another `clutch run` is running on {redact(urls.app)}; wait for it to finish"
            ) from None


def run_main_job(
    settings: Settings,
    on_step: Callable[[int, int, str], None] | None = None,
    on_event: EventCallback | None = None,
    on_outcome: Callable[[StepOutcome], None] | None = None,
    on_note: Callable[[str], None] | None = None,
) -> MainJobReport:
    """Run every step in order, stopping at the first that fails, and count every table's rows."""
    started = time.perf_counter()
    instance = open_instance(settings)
    urls = instance.urls
    steps = MAIN_JOB_STEPS
    context = StepContext(instance, settings, urls, on_event, on_note)
    outcomes: list[StepOutcome] = []
    try:
        with only_main_job(urls):
            for number, step in enumerate(steps, start=1):
                if on_step is not None:
                    on_step(number, len(steps), step.title)
                outcome = step.run(context, step.title)
                outcomes.append(outcome)
                if on_outcome is not None:
                    on_outcome(outcome)
                if not outcome.success:
                    break
    finally:
        instance.dispose()
    with connect(urls.app) as conn:
        counts = exact_row_counts(conn, table_names(conn))
    return MainJobReport(urls, outcomes, len(steps), time.perf_counter() - started, counts)
