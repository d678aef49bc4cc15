"""The main job behind ``clutch run``: every stage in order on the embedded defaults, and its report.

It sits above the stages and the service and is imported by nothing below it. Assets with different
partitions cannot share a Dagster run, so the main job is a list of steps, each one run of an asset job
launched through ``runs.py`` on the instance in use; every step shows up in the Dagster UI like any
other run. A new stage adds its step to ``MAIN_JOB_STEPS``.

The steps (docs/main-job.md):

1. ``apply_schema``: migrations.
2. ``load_nba_games``: the bundled first month of 2022-23 (``MAIN_JOB_ARCHIVE``, 222 games) and its
   clutch time.
3. WHOOP: the players of those games are simulated WHOOP members (``whoop/simulator``), their readiness
   the simulator's own, a CSV's, or planted on their clutch play (``MainJobOptions``); those without a
   valid consent go through the real OAuth flow against our own callback (``service/`` on loopback),
   then ``sync_whoop`` syncs the days around the games (from far enough before the first game for HRV
   baselines) for the athletes who were just authorized.
4. ``refresh_daily_summaries``: the local days whose WHOOP records changed (what the sensor
   ``wearables_summary_refresh`` does in production).
5. ``align_clutch_games`` for the season: pregame context, clutch actions' wearables context, clutch
   scores and features; the report gives the share of clutch actions that found wearables context and
   the five best game clutch scores.
6. ``fit_clutch_model`` as a backtest: fitted on every day but the last, the last day predicted.
7. ``fit_clutch_model``: fitted on every scored game, its blocking checks, the trace published, the
   upcoming games predicted (offline: none).

The report (``report_lines``) gives the data, the model's checks, its holdout beside the baseline, the
wearables effects with their 94% intervals and a verdict, where the trace is and how to open the pages.

A second ``clutch run`` changes nothing it does not need to: the simulator keeps its client secret and
the grants it issued under ``CLUTCH_HOME/whoop-simulator``, athletes whose consent is still valid are
left alone, and their days, already synced, are not fetched again. Only one main job runs on a database
at a time: a second one says so and stops.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import requests

from clutch_pipeline.alignment.store import games as alignment_store
from clutch_pipeline.alignment.store.summaries import queued_summary_days
from clutch_pipeline.alignment.summaries import BASELINE_MIN_DAYS
from clutch_pipeline.db.connection import DatabaseUrls, connect, redact
from clutch_pipeline.db.locks import LockBusy, LockScope, advisory_lock
from clutch_pipeline.db.store import exact_row_counts, table_names
from clutch_pipeline.jobs import schema_job
from clutch_pipeline.model import store as model_store
from clutch_pipeline.nba.archive import MAIN_JOB_ARCHIVE, PlayByPlayArchive
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
from clutch_pipeline.whoop.simulator import (
    SimulatedAthlete,
    WhoopSimulator,
    build_athletes,
    load_readiness_csv,
    players_of_games,
)
from clutch_pipeline.whoop.simulator import store as simulator_store
from clutch_pipeline.whoop.simulator.planted import PLANTED_ON, planted_readiness
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


class MainJobOptionsConflict(RuntimeError):
    """The database's WHOOP data was synced with another readiness than the one asked for."""


@dataclass(frozen=True)
class MainJobOptions:
    """What ``clutch run`` may change; the defaults are the embedded, honest main job.

    ``readiness_csv``: the simulator's latent readiness (``person_id,date,readiness``) on the days it
    names; ``plant_effect``: tie each athlete's game-day readiness to his clutch points over expected
    that game with this strength (``whoop/simulator/planted.py``), on top of the CSV when both are given;
    ``seed``: the simulator's (its physiology's random draws and the planted noise).
    """

    archive: Path = MAIN_JOB_ARCHIVE
    readiness_csv: Path | None = None
    plant_effect: float | None = None
    seed: int = 0

    def readiness_label(self) -> str:
        """The readiness in words: recorded with the database's WHOOP data, compared on the next run."""
        parts = []
        if self.readiness_csv is not None:
            digest = hashlib.sha256(Path(self.readiness_csv).read_bytes()).hexdigest()[:12]
            parts.append(f"readiness from {Path(self.readiness_csv).name} (sha256 {digest})")
        if self.plant_effect is not None:
            parts.append(f"planted effect {self.plant_effect:g} on {PLANTED_ON}")
        label = "; ".join(parts) or DEFAULT_READINESS
        return label if self.seed == 0 else f"{label}, simulator seed {self.seed}"


DEFAULT_READINESS = "the simulator's own readiness (independent of play)"
# Where the readiness the database's WHOOP data was synced with is recorded (the Dagster instance's
# key-value store, in the database in use).
READINESS_KEY = "clutch/main_job/readiness"


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
    options: MainJobOptions = field(default_factory=lambda: MainJobOptions())
    model_runs: dict[str, dict | None] = field(default_factory=dict)  # latest 'backtest' and 'publish'
    predictions: dict[str, int] = field(default_factory=dict)  # clutch_predictions rows by purpose

    @property
    def success(self) -> bool:
        return len(self.steps) == self.planned_steps and all(s.success for s in self.steps)

    def wearables_effects(self) -> list[dict]:
        """The published fit's wearables effects (per unit and per sd, with 94% intervals)."""
        run = self.model_runs.get("publish")
        return wearables_effects(run["effects"]) if run else []

    def wearables_joint(self) -> dict | None:
        """The published fit's joint region of the wearables effects (``calibration.joint_region``)."""
        run = self.model_runs.get("publish")
        return run["effects"].get("wearables_joint") if run else None


# ---------------------------------------------------------------------------------------------------
# The bundled games and their days

SAMPLE_SEASON = "2022-23"


def sample_games(archive: Path = MAIN_JOB_ARCHIVE) -> tuple[str, ...]:
    return tuple(sorted(PlayByPlayArchive(archive).game_ids()))


def main_job_days(game_dates: list[date]) -> tuple[date, date]:
    """The days the main job simulates and syncs WHOOP data for: around the bundled games."""
    return min(game_dates) - timedelta(days=DAYS_BEFORE), max(game_dates)


def sample_days(archive_path: Path = MAIN_JOB_ARCHIVE) -> tuple[date, date]:
    archive = PlayByPlayArchive(archive_path)
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
    settings: Settings,
    urls: DatabaseUrls,
    first: date,
    last: date,
    readiness: dict[tuple[int, date], float] | None = None,
    seed: int = 0,
) -> Iterator[tuple[SimulatedConsent, WhoopResource]]:
    """The simulator for the players of the games ``first``..``last``, every athlete consented, and the
    WHOOP resource pointed at the simulator for the sync run (handed to the run, never exported)."""
    with connect(urls.app) as conn:
        # Players as the NBA stage records them (``players``), not every person id of the raw actions.
        person_ids = whoop_store.known_players(conn, players_of_games(conn, first, last))
        athletes = build_athletes(conn, person_ids, first, last, readiness=readiness, seed=seed)
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
    options: MainJobOptions = field(default_factory=MainJobOptions)


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
    archive = context.options.archive
    launch = nba_games_launch(title, sample_games(archive), {"archive_path": str(archive)})
    step.reports.append(launch_run(context.instance, launch, context.on_event, LAUNCHED_BY))
    return step


def _readiness(context: StepContext, first: date, last: date) -> dict[tuple[int, date], float] | None:
    """The simulator's readiness the options ask for: a CSV's, planted on the NBA stage's clutch play, both,
    or none (the simulator's own)."""
    options = context.options
    base = load_readiness_csv(options.readiness_csv) if options.readiness_csv is not None else None
    if options.plant_effect is None:
        return base
    with connect(context.urls.app) as conn:
        player_games = simulator_store.clutch_poe_by_player_game(conn, first, last)
    return planted_readiness(player_games, options.plant_effect, seed=options.seed, base=base)


def _synced_readiness(context: StepContext) -> str | None:
    """The readiness this database's WHOOP data was synced with (None: no WHOOP data yet)."""
    recorded = context.instance.dagster.run_storage.get_cursor_values({READINESS_KEY}).get(READINESS_KEY)
    if recorded is not None:
        return recorded
    with connect(context.urls.app) as conn:
        # Synced before the readiness was recorded: by the simulator's own.
        return DEFAULT_READINESS if simulator_store.any_device(conn) else None


def _refuse_another_readiness(context: StepContext, wanted: str) -> None:
    synced = _synced_readiness(context)
    if synced is not None and synced != wanted:
        raise MainJobOptionsConflict(
            f"this database's WHOOP data was synced with {synced}, not {wanted}: a run with another "
            "readiness needs a fresh database (another CLUTCH_HOME, or another CLUTCH_DATABASE_URL)"
        )


def _whoop_step(context: StepContext, title: str) -> StepOutcome:
    step = StepOutcome(title, on_note=context.on_note)
    first, last = sample_days(context.options.archive)
    wanted = context.options.readiness_label()
    _refuse_another_readiness(context, wanted)
    readiness = _readiness(context, first, last)
    step.note(f"readiness: {wanted}" + (f", {len(readiness)} athlete-days set" if readiness else ""))
    whoop = simulated_whoop(context.settings, context.urls, first, last, readiness, context.options.seed)
    with whoop as (consent, resource):
        step.note(str(consent))
        if not consent.authorized_now:
            step.note("sync: nothing to do (no athlete was newly authorized; their days are synced)")
            return step
        days = (first.isoformat(), last.isoformat())
        launch = replace(
            whoop_sync_launch(consent.authorized_now, days, incremental=False), resources={"whoop": resource}
        )
        step.reports.append(launch_run(context.instance, launch, context.on_event, LAUNCHED_BY))
    if step.success:
        context.instance.dagster.run_storage.set_cursor_values({READINESS_KEY: wanted})
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


def _backtest_step(context: StepContext, title: str) -> StepOutcome:
    """Offline there is no upcoming game: fit on every day of the sample but the last, predict the last
    day, and say how the predictions compare with what happened. A backtest's model is never published,
    so a failed check warns (in Dagster and in this report) instead of failing `clutch run`."""
    step = StepOutcome(title, on_note=context.on_note)
    if not _scores_changed(context, "backtest", step):
        return step
    launch = model_launch(backtest=True, seasons=[SAMPLE_SEASON])
    report = launch_run(context.instance, launch, context.on_event, LAUNCHED_BY)
    step.reports.append(report)
    backtest = report.materialized.get("clutch_model", {}).get("backtest")
    if backtest:
        step.note(backtest)
    _note_latest_run(context, "backtest", step)
    return step


def _publish_step(context: StepContext, title: str) -> StepOutcome:
    """The model on every scored game: its blocking checks fail the run when one fails (nothing is
    published then); when all pass, its trace is published to the model store and the latest published
    model predicts the upcoming games (offline: none; the backtest's predictions of the held-out day
    are the ones to look at)."""
    step = StepOutcome(title, on_note=context.on_note)
    if not _scores_changed(context, "publish", step):
        return step
    report = launch_run(
        context.instance, model_launch(backtest=False, seasons=[SAMPLE_SEASON]), context.on_event, LAUNCHED_BY
    )
    step.reports.append(report)
    run = _note_latest_run(context, "publish", step)
    if run is not None:
        step.note(
            f"trace: {run['trace_uri']}"
            if run["published"]
            else f"not published: {run['not_published_reason']}"
        )
    predictions = report.materialized.get("clutch_predictions")
    if predictions is not None:
        step.note(
            f"clutch_predictions: {predictions.get('predictions', 0)} upcoming player-games predicted "
            f"({predictions.get('reason') or 'no game is scheduled after now: the sample is from 2022'})"
        )
    return step


def _scores_changed(context: StepContext, purpose: str, step: StepOutcome) -> bool:
    """Whether a game score changed since the last model run of ``purpose``; says so when none did."""
    with connect(context.urls.app) as conn:
        previous = model_store.latest_run(conn, purpose)
        changed = previous is None or model_store.scores_changed_since(
            conn, [SAMPLE_SEASON], previous["started_at"]
        )
    if not changed:
        step.note(f"model: nothing to do (no game score changed since the last {purpose} run)")
        step.note(_model_line(previous))
    return changed


def _note_latest_run(context: StepContext, purpose: str, step: StepOutcome) -> dict | None:
    with connect(context.urls.app) as conn:
        run = model_store.latest_run(conn, purpose)
    if run is not None:
        step.note(_model_line(run))
    return run


def _model_line(run: dict) -> str:
    checks = run["diagnostics"].get("checks", [])
    figures = ", ".join(f"{c['name']} {c['value']:.4g}{'' if c['passed'] else ' FAILED'}" for c in checks)
    if run["checks_passed"]:
        verdict = "checks passed"
    elif run["purpose"] == "backtest":
        verdict = "blocking checks failed: it would not be published"
    else:
        verdict = "blocking checks FAILED: not published"
    return (
        f"model {run['model_version']} ({run['rows']} player-games, {run['players']} players): "
        f"{verdict}; {figures}"
    )


MAIN_JOB_STEPS: tuple[MainJobStep, ...] = (
    MainJobStep("schema: apply migrations", _schema_step),
    MainJobStep("nba: load the bundled 2022-23 games and detect clutch time", _nba_step),
    MainJobStep("whoop: the players consent (simulated) through the OAuth callback; sync", _whoop_step),
    MainJobStep("alignment: daily summaries of the WHOOP days that changed", _summaries_step),
    MainJobStep("alignment: pregame context, clutch scores and features of the season", _alignment_step),
    MainJobStep("model: backtest: fit on the days but the last, predict the last day", _backtest_step),
    MainJobStep("model: fit on every scored game, check, publish the trace, predict", _publish_step),
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
    options: MainJobOptions | None = None,
) -> MainJobReport:
    """Run every step in order, stopping at the first that fails, then gather what the report says:
    every table's rows, the latest model runs."""
    started = time.perf_counter()
    options = options or MainJobOptions()
    instance = open_instance(settings)
    urls = instance.urls
    steps = MAIN_JOB_STEPS
    context = StepContext(instance, settings, urls, on_event, on_note, options)
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
        runs = {purpose: model_store.latest_run(conn, purpose) for purpose in ("backtest", "publish")}
        predictions = model_store.prediction_counts(conn)
    return MainJobReport(
        urls,
        outcomes,
        len(steps),
        time.perf_counter() - started,
        counts,
        options=options,
        model_runs=runs,
        predictions=predictions,
    )


# ---------------------------------------------------------------------------------------------------
# The report

WEARABLES = {
    "recovery_score_pregame": "recovery",
    "hrv_baseline_deviation": "HRV baseline deviation",
    "sleep_performance_pregame": "sleep performance",
}
PAGES_HINT = (
    "pages: `clutch serve`, then http://127.0.0.1:8000/sign-in with the API key in the file "
    "`clutch serve` names; "
    "the Dagster UI: `clutch dev` (http://127.0.0.1:3000)"
)


def wearables_effects(effects: dict) -> list[dict]:
    """The wearables covariates' effects of a run's ``effects`` column, in points per sd of the covariate
    (and per unit), with their 94% intervals; a covariate the fit dropped is absent."""
    out = []
    for effect in effects.get("per_unit", []):
        if effect["covariate"] not in WEARABLES:
            continue
        sd = float(effect["unit_sd"])
        low, high = effect["interval_94"]
        out.append(
            {
                "covariate": effect["covariate"],
                "name": WEARABLES[effect["covariate"]],
                "per_sd": effect["mean"] * sd,
                "per_sd_94": (low * sd, high * sd),
                "per_unit": effect["mean"],
                "per_unit_94": (low, high),
            }
        )
    return out


def wearables_verdict(effects: list[dict], joint: dict | None) -> str:
    """One plain sentence answering "does the body's state matter?": from the joint 94% region of the
    wearables effects (``model/calibration.joint_region``), naming the intervals that exclude 0 alone.

    One question, one test: three separate 94% intervals of correlated covariates find "something" in
    about 15% of data sets without an effect, so an interval excluding 0 alone, while 0 lies inside the
    joint region, is reported as what it is, not as a finding."""
    if not effects:
        return "no wearables effect estimated (no fit with wearables covariates)"
    alone = [e for e in effects if e["per_sd_94"][0] > 0 or e["per_sd_94"][1] < 0]
    named = "; ".join(
        f"{e['name']} {e['per_sd']:+.1f} points per sd [{e['per_sd_94'][0]:+.1f}, {e['per_sd_94'][1]:+.1f}]"
        for e in alone
    )
    if joint and joint.get("excludes_zero"):
        return f"effect found: zero lies outside the joint 94% region of the wearables effects; {named}"
    if not alone:
        return "no wearables effect found: every 94% interval covers 0, and so does their joint region"
    farther = joint.get("share_farther") if joint else None
    inside = f" ({farther:.0%} of the posterior lies farther out)" if farther is not None else ""
    return (
        f"no wearables effect found: zero lies inside the joint 94% region of the wearables effects{inside}; "
        f"taken alone, these intervals exclude 0: {named}; three correlated covariates' intervals do so by "
        "chance in about 15% of data sets without an effect (docs/model.md, Calibration)"
    )


def report_lines(report: MainJobReport) -> list[str]:
    """What ``clutch run`` ends with, line by line (plain text, no markup)."""
    rows = report.table_rows
    lines = [
        f"data: {rows.get('games', 0)} games, {rows.get('clutch_situations', 0)} clutch situations, "
        f"{rows.get('wearables_devices', 0)} athletes with a WHOOP device, "
        f"{rows.get('clutch_game_scores', 0)} player-game clutch scores",
        f"readiness: {report.options.readiness_label()}",
    ]
    publish, backtest = report.model_runs.get("publish"), report.model_runs.get("backtest")
    if publish is not None:
        lines += _model_report_lines(publish)
    if backtest is not None:
        lines += _backtest_lines(backtest, report.predictions)
    return [*lines, PAGES_HINT]


def _model_report_lines(run: dict) -> list[str]:
    checks = {c["name"]: c for c in run["diagnostics"].get("checks", [])}

    def value(name: str, spec: str) -> str:
        return format(checks[name]["value"], spec) if name in checks else "n/a"

    lines = [
        f"scores with wearables: {run['rows_with_wearables']} of the {run['rows']} player-games the model "
        f"was fitted on ({run['players']} players)",
        f"model {run['model_version']}: R-hat max {value('max_rhat', '.4f')}, bulk ESS min "
        f"{value('min_bulk_ess', '.0f')}, divergences {value('divergences', '.0f')}, exact-posterior "
        f"distance {value('exact_posterior_agreement_mcse', '.2f')} MCSE: "
        + ("every blocking check passed" if run["checks_passed"] else "blocking checks FAILED"),
    ]
    holdout = run["holdout"] or {}
    if holdout.get("model"):
        model, base = holdout["model"], holdout["player_mean_baseline"]
        lines.append(
            f"holdout ({holdout['test_rows']} player-games): RMSE {model['rmse']:.1f} points (the player's "
            f"mean: {base['rmse']:.1f}); POE sign {_share(model['poe_sign_accuracy'])} "
            f"(the player's mean: {_share(base['poe_sign_accuracy'])})"
        )
    effects = wearables_effects(run["effects"])
    for e in effects:
        lines.append(
            f"  {e['name']}: {e['per_sd']:+.2f} points per sd, 94% interval [{e['per_sd_94'][0]:+.2f}, "
            f"{e['per_sd_94'][1]:+.2f}]"
        )
    lines.append(f"wearables: {wearables_verdict(effects, run['effects'].get('wearables_joint'))}")
    where = run["trace_uri"] if run["published"] else f"not published ({run['not_published_reason']})"
    lines.append(f"trace: {where}")
    return lines


def _backtest_lines(run: dict, predictions: dict[str, int]) -> list[str]:
    day = (run["holdout"] or {}).get("backtest_day")
    lines = []
    if day and day.get("rmse") is not None:
        lines.append(
            f"backtest of {day['day']}: {day['predictions']} player-games predicted by a fit on the days "
            f"before: RMSE {day['rmse']:.1f} points (the player's mean: {day['baseline_rmse']:.1f}), "
            f"{_share(day['coverage_94'])} inside their 94% interval"
        )
    lines.append(
        f"predictions: {predictions.get('upcoming', 0)} of upcoming games (none is scheduled: the data is "
        f"from 2022), {predictions.get('backtest', 0)} of the backtest's held-out day (purpose 'backtest', "
        "with the observed score) in clutch_predictions"
    )
    return lines


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"
