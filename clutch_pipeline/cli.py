"""The ``clutch`` command: everything a person does outside the Dagster UI.

Each subcommand parses its arguments and calls a stage function; the work lives elsewhere.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from clutch_pipeline.settings import describe_settings, load_settings, process_environment

console = Console(highlight=False, soft_wrap=True)


def _migrated_database_url() -> str:
    """The application database's URL, with pending migrations applied (a no-op when there are none):
    every command that reads or writes tables starts here."""
    from clutch_pipeline.db.connection import resolve_database_urls
    from clutch_pipeline.db.migrations import upgrade

    url = resolve_database_urls(load_settings()).app
    upgrade(url)
    return url


def _whoop_app():
    """Our WHOOP app from the settings, or a clear error when its credentials are not set."""
    from clutch_pipeline.whoop.app import WhoopApp, WhoopNotConfigured

    try:
        return WhoopApp.from_settings(load_settings())
    except WhoopNotConfigured as exc:
        raise click.ClickException(str(exc)) from exc


def _run_one_step(instance, step, launched_by: str, doing: str, done: str) -> None:
    """Run a step of one Dagster run on the instance in use, print its materializations, and exit 1
    when it failed."""
    from clutch_pipeline.definitions import defs
    from clutch_pipeline.jobs import run_step

    console.print(f"{step.title}: one run")
    with console.status(doing):
        report = run_step(defs, instance, step, launched_by=launched_by)
    for asset, metadata in report.materialized.items():
        facts = ", ".join(f"{k}={v}" for k, v in metadata.items() if isinstance(v, int | float | str))
        console.print(f"  {asset}: {facts}")
    if not report.success:
        console.print(f"{done} FAILED after {report.seconds:.1f} s (run {report.run_id}): {report.error}")
        sys.exit(1)
    console.print(f"{done} finished in {report.seconds:.1f} s (run {report.run_id}).")


@click.group()
@click.version_option(package_name="clutch-pipeline")
def main() -> None:
    """clutch-pipeline: WHOOP wearables and NBA clutch performance, run by Dagster.

    With no CLUTCH_DATABASE_URL set, every command uses an embedded PostgreSQL under CLUTCH_HOME
    (default ~/.clutch), started on demand and stopped when the last clutch process exits.
    """


@main.command()
def run() -> None:
    """Run the main job: materialize the whole asset graph once, in order, and print a report.

    Uses the Dagster instance and database in use (embedded by default), bundled data and local
    simulators. Every step is a Dagster run you can inspect later in `clutch dev`.
    """
    from clutch_pipeline.db.connection import connect, redact
    from clutch_pipeline.db.store import exact_row_counts, table_names
    from clutch_pipeline.definitions import defs
    from clutch_pipeline.jobs import MAIN_JOB_STEPS, prepare_instance, run_step

    started = time.perf_counter()
    settings = load_settings()
    with console.status("starting the database and the Dagster instance"):
        instance, urls = prepare_instance(settings)
    where = "embedded PostgreSQL" if urls.embedded else "PostgreSQL"
    console.print(f"clutch run: {len(MAIN_JOB_STEPS)} step(s) on {where} {redact(urls.app)}")

    shown: set[tuple[str, str]] = set()

    def on_event(step, entry) -> None:
        event = entry.dagster_event
        if event is None:
            return
        if event.event_type_value == "STEP_START":
            console.print(f"  … {event.step_key}")
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            # A run over many partitions materializes each asset once per partition: say it once.
            key = (step.job_name, event.asset_key.to_user_string())
            if key not in shown:
                shown.add(key)
                console.print(f"  ✓ materialized {key[1]}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            mark = "✓" if evaluation.passed else "✗"
            console.print(f"  {mark} check {evaluation.check_name}")
        elif event.event_type_value == "STEP_FAILURE":
            console.print(f"  ✗ {event.step_key} failed: {event.message}")

    reports = []
    for number, step in enumerate(MAIN_JOB_STEPS, start=1):
        console.print(f"[{number}/{len(MAIN_JOB_STEPS)}] {step.title}")
        report = run_step(defs, instance, step, on_event)
        reports.append(report)
        if report.context is not None:
            console.print(f"  {report.context}")
        console.print(
            f"  {'done' if report.success else 'FAILED'} in {report.seconds:.1f} s (run {report.run_id})"
        )
        if not report.success:
            break

    with connect(urls.app) as conn:
        counts = exact_row_counts(conn, table_names(conn))
    seconds = time.perf_counter() - started
    ok = all(r.success for r in reports) and len(reports) == len(MAIN_JOB_STEPS)
    console.print()
    console.print("Report")
    for report in reports:
        for asset, metadata in report.materialized.items():
            facts = ", ".join(f"{k}={v}" for k, v in metadata.items() if isinstance(v, int | float | str))
            console.print(f"  {asset}: {facts}")
    populated = {t: n for t, n in counts.items() if n}
    console.print(f"  tables: {len(counts)}, of which with rows: {len(populated)}")
    for table, rows in sorted(populated.items()):
        console.print(f"    {table}: {rows:,} rows")
    console.print(f"  Dagster runs recorded in {redact(urls.dagster)}; see them with `clutch dev`.")
    if ok:
        console.print(f"clutch run finished: {len(reports)} step(s) succeeded in {seconds:.1f} s.")
    else:
        failed = reports[-1]
        console.print(f"clutch run FAILED at '{failed.step.title}' after {seconds:.1f} s: {failed.error}")
        sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface the UI listens on.")
@click.option("--port", default=3000, show_default=True, type=int, help="Port of the UI.")
def dev(host: str, port: int) -> None:
    """Open the Dagster UI and start the daemon (schedules, sensors, run queue) on the same instance.

    The same database and Dagster storage as `clutch run`: embedded by default, no setup needed.
    Stop with Ctrl-C; the embedded PostgreSQL stops with it.
    """
    from clutch_pipeline.db.migrations import upgrade
    from clutch_pipeline.jobs import instance_environment, prepare_instance
    from clutch_pipeline.project import project_file

    settings = load_settings()
    instance, urls = prepare_instance(settings)
    instance.dispose()
    applied = upgrade(urls.app).applied  # so every asset can run from the UI on a fresh database
    if applied:
        console.print(f"schema: applied {', '.join(m.label for m in applied)}")
    env = process_environment()
    env.update(instance_environment(settings, urls))
    # The children connect to the server this process keeps running; they do not start their own.
    env["CLUTCH_DATABASE_URL"] = urls.app
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-w", str(project_file("workspace.yaml")), "-h", host, "-p", str(port)]
    console.print(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={settings.dagster_home})")
    # Its own session, so a terminal's Ctrl-C reaches it once, through us; SIGINT restored to its
    # default in case we were started with it ignored (a background job), since `dagster dev` stops
    # on SIGINT and maps SIGTERM to it.
    child = subprocess.Popen(
        command,
        env=env,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )

    def stop_child(_signum, _frame) -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, stop_child)
    signal.signal(signal.SIGTERM, stop_child)
    sys.exit(child.wait())


@main.group()
def nba() -> None:
    """NBA play-by-play: season backfills (the live sensor and the UI cover the rest)."""


@nba.command("backfill")
@click.option("--season", required=True, help="Season to load, e.g. 2022-23.")
@click.option(
    "--archive",
    type=click.Path(exists=True, path_type=Path),
    help="A folder or .tar.xz of play-by-play JSON. Without it: the games from the CDN's schedule "
    "(current season) or the stats league game log (past seasons), their play-by-play from the CDN "
    "(stats v3 where the CDN does not serve a game).",
)
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV (file, actual_game_id or game_id, optional game_date); default: MANIFEST.csv in the archive.",
)
@click.option("--force", is_flag=True, help="Reload games whose content did not change.")
def nba_backfill(season: str, archive: Path | None, manifest: Path | None, force: bool) -> None:
    """Load a whole season's play-by-play and clutch tables in ONE Dagster run.

    Games already loaded and unchanged are skipped unless --force, so an interrupted backfill resumes.
    """
    from clutch_pipeline.db.connection import connect
    from clutch_pipeline.db.migrations import upgrade
    from clutch_pipeline.http_retry import HttpGaveUp
    from clutch_pipeline.jobs import MainJobStep, prepare_instance
    from clutch_pipeline.nba.backfill import (
        BackfillError,
        archive_season_games,
        game_log_season_games,
        schedule_season_games,
    )
    from clutch_pipeline.nba.load import register_games
    from clutch_pipeline.nba.partitions import nba_games
    from clutch_pipeline.nba.resources import NbaResource

    instance, urls = prepare_instance(load_settings())
    applied = upgrade(urls.app).applied  # the tables it writes must exist; a no-op when they do
    if applied:
        console.print(f"schema: applied {', '.join(m.label for m in applied)}")
    config: dict = {"force": force}
    try:
        if archive is not None:
            games = archive_season_games(season, archive, manifest)
            config["archive_path"] = str(archive.resolve())
            if manifest:
                config["manifest_path"] = str(manifest.resolve())
        else:
            # The games are registered (with their dates) before their play-by-play is read from the
            # CDN or stats v3: the current season from the CDN's schedule, a past one from the stats
            # league game log.
            with NbaResource().sources() as sources:
                try:
                    scheduled, games = schedule_season_games(season, sources.cdn_schedule())
                except BackfillError:
                    scheduled, games = game_log_season_games(season, sources.stats_league_game_log(season))
            with connect(urls.app) as conn:
                register_games(conn, scheduled)
            if not games:
                raise BackfillError(f"no game of {season} has been played yet")
    except (BackfillError, HttpGaveUp, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    step = MainJobStep(
        "load_nba_games",
        f"nba: backfill {season} ({len(games)} games)",
        run_config={"ops": {"nba_games_load": {"config": config}}},
        partitions_def_name=nba_games.name,
        partition_keys=lambda: games,
    )
    _run_one_step(instance, step, "clutch nba backfill", "loading", f"backfill of {season}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """Run the HTTP service: WHOOP's OAuth callback and the consent endpoints (FastAPI on uvicorn)."""
    from datetime import timedelta

    import uvicorn

    from clutch_pipeline.service.app import ServiceConfig, create_app

    settings = load_settings()
    url, whoop = _migrated_database_url(), _whoop_app()
    app = create_app(
        ServiceConfig(
            database_url=url,
            whoop=whoop,
            api_keys=settings.api_keys,
            webhook_tolerance=timedelta(seconds=settings.whoop_webhook_tolerance_seconds),
        )
    )
    console.print(f"clutch serve on http://{host}:{port} (OpenAPI at /docs); WHOOP at {whoop.base_url}")

    def stopped(_signum, _frame) -> None:
        raise SystemExit(0)

    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again with the handler it
    # found: make that a clean exit, so the embedded PostgreSQL is released as on any other exit.
    signal.signal(signal.SIGTERM, stopped)
    signal.signal(signal.SIGINT, stopped)
    uvicorn.run(app, host=host, port=port, log_level="info")


@main.group()
def whoop() -> None:
    """WHOOP: consent, syncs outside the schedule, and the local WHOOP simulator."""


@whoop.command("authorize-url")
@click.option("--player", "nba_person_id", required=True, type=int, help="The athlete's NBA person id.")
def whoop_authorize_url(nba_person_id: int) -> None:
    """Print WHOOP's authorization URL for an athlete (single-use state, valid 15 minutes)."""
    from clutch_pipeline.db.connection import connect
    from clutch_pipeline.whoop.budget import utc_now
    from clutch_pipeline.whoop.consent import authorization_url
    from clutch_pipeline.whoop.store import UnknownPlayer

    url, app = _migrated_database_url(), _whoop_app()
    try:
        with connect(url) as conn:
            click.echo(authorization_url(conn, app, nba_person_id, utc_now()))
    except UnknownPlayer as exc:
        raise click.ClickException(str(exc)) from exc


@whoop.command("sync")
@click.option(
    "--player", "players", multiple=True, type=int, help="NBA person id (repeatable); default: all."
)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First UTC day to re-sync.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last UTC day to re-sync (default: today).")
def whoop_sync(players: tuple[int, ...], since, until) -> None:
    """Sync consented WHOOP devices in ONE Dagster run: the days --since..--until for any period, or
    without --since each device incrementally from its watermark, as the hourly schedule does."""
    from clutch_pipeline.db.migrations import upgrade
    from clutch_pipeline.jobs import MainJobStep, prepare_instance, whoop_day_range

    instance, urls = prepare_instance(load_settings())
    upgrade(urls.app)
    incremental = since is None
    try:
        days = whoop_day_range(since.date() if since else None, until.date() if until else None)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    config = {"players": list(players), "incremental": incremental}
    step = MainJobStep(
        "sync_whoop",
        f"whoop: sync {'incrementally' if incremental else f'{days[0]} .. {days[1]}'}",
        run_config={"ops": {"whoop_sync": {"config": config}}},
        partition_range=lambda: days,
    )
    _run_one_step(instance, step, "clutch whoop sync", "syncing", "sync")


@whoop.command("revoke")
@click.option("--player", "nba_person_id", required=True, type=int, help="The athlete's NBA person id.")
def whoop_revoke(nba_person_id: int) -> None:
    """Withdraw an athlete's consent: tell WHOOP (DELETE /v2/user/access, best effort), delete every
    wearables row of his, keep his device row as the record (revoked, no tokens). Nothing is synced for
    him afterwards; a new authorization starts clean."""
    from clutch_pipeline.db.connection import connect
    from clutch_pipeline.whoop.consent import revoke_consent

    url, app = _migrated_database_url(), _whoop_app()
    with connect(url, autocommit=True) as conn, app.open(conn) as session:
        revoked = revoke_consent(conn, session, nba_person_id)
    if revoked is None:
        raise click.ClickException(f"player {nba_person_id} has no WHOOP device")
    told = "WHOOP told" if revoked.whoop_told else "WHOOP NOT told (see the log)"
    rows = ", ".join(f"{table} {count}" for table, count in revoked.rows_deleted.items())
    click.echo(f"consent of player {nba_person_id} revoked; {told}; rows deleted: {rows}")


@whoop.command("simulate")
@click.option("--start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day simulated.")
@click.option("--end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day simulated.")
@click.option(
    "--person",
    "person_ids",
    multiple=True,
    type=int,
    help="NBA person id (repeatable); default: every player of our games in those days.",
)
@click.option("--port", default=0, show_default=True, type=int, help="Port on 127.0.0.1 (0: any free one).")
@click.option(
    "--readiness",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV person_id,date,readiness (standard-normal units) to plant a known state.",
)
@click.option("--per-minute", default=100, show_default=True, type=int, help="The app's limit per minute.")
@click.option("--per-day", default=10_000, show_default=True, type=int, help="The app's limit per day.")
@click.option("--seed", default=0, show_default=True, type=int, help="Another seed, other histories.")
@click.option(
    "--webhook-url",
    help="Send signed WHOOP webhooks for the simulator's changes here (e.g. clutch serve's "
    "http://127.0.0.1:8000/api/webhooks/whoop).",
)
def whoop_simulate(start, end, person_ids, port, readiness, per_minute, per_day, seed, webhook_url) -> None:
    """Serve the WHOOP v2 simulator on loopback until Ctrl-C: OAuth, profile, the four collections,
    rate limits; its athletes are real players of our games with deterministic histories."""
    from clutch_pipeline.db.connection import resolve_database_urls
    from clutch_pipeline.whoop.simulator import serve

    url = resolve_database_urls(load_settings()).app
    try:
        serve(
            url,
            start=start.date(),
            end=end.date(),
            person_ids=list(person_ids) or None,
            port=port,
            readiness_csv=readiness,
            per_minute=per_minute,
            per_day=per_day,
            seed=seed,
            webhook_url=webhook_url,
            out=click.echo,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@main.group()
def keys() -> None:
    """The Fernet keys that encrypt WHOOP tokens at rest (CLUTCH_TOKEN_KEYS)."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new Fernet key, to put first in CLUTCH_TOKEN_KEYS before `clutch keys rotate`."""
    from clutch_pipeline.whoop.tokens import generate_key

    click.echo(generate_key())


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored token with the newest key (the first of CLUTCH_TOKEN_KEYS).

    Afterwards the older keys can be dropped from CLUTCH_TOKEN_KEYS. Safe to run twice.
    """
    from clutch_pipeline.db.connection import connect
    from clutch_pipeline.whoop.tokens import TokenKeyError, cipher_from_settings, rotate_stored_tokens

    url = _migrated_database_url()
    try:
        with connect(url) as conn:
            devices = rotate_stored_tokens(conn, cipher_from_settings(load_settings()))
    except TokenKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"re-encrypted the tokens of {devices} device(s) with the newest key")


@main.group()
def db() -> None:
    """The application database: its URL, migrations, the embedded server."""


@db.command("url")
def db_url() -> None:
    """Print the URL of the application database in use (starts the embedded server if needed)."""
    from clutch_pipeline.db.connection import resolve_database_urls

    click.echo(resolve_database_urls(load_settings()).app)


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations from sql/ (safe to run twice, or from two processes at once)."""
    from clutch_pipeline.db.connection import redact, resolve_database_urls
    from clutch_pipeline.db.migrations import upgrade

    url = resolve_database_urls(load_settings()).app
    result = upgrade(url)
    for migration in result.applied:
        click.echo(f"applied {migration.label}")
    click.echo(
        f"{redact(url)}: {len(result.applied)} applied, {result.already_applied} already there "
        f"({result.seconds:.2f} s)"
    )


@db.command("status")
def db_status() -> None:
    """List every migration and when it was applied."""
    from clutch_pipeline.db.connection import resolve_database_urls
    from clutch_pipeline.db.migrations import migration_states

    for state in migration_states(resolve_database_urls(load_settings()).app):
        when = state.applied_at.isoformat(timespec="seconds") if state.applied_at else "pending"
        click.echo(f"{state.migration.label:30} {when}")


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL now, even if a clutch process still uses it."""
    from clutch_pipeline.db.embedded import stop_embedded_server

    settings = load_settings()
    stopped = stop_embedded_server(settings.embedded_pgdata)
    click.echo("stopped the embedded PostgreSQL" if stopped else "the embedded PostgreSQL was not running")


@main.command()
def config() -> None:
    """Show every setting with its value in effect (secrets hidden) and its meaning."""
    for setting, shown in describe_settings():
        click.echo(f"{setting.name}={shown}\n    {setting.meaning}")


if __name__ == "__main__":
    main()
