"""The ``clutch`` group and its top-level commands: run, dev, config (serve and doctor: own modules)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import click

from clutch_pipeline.cli import db, doctor, keys, kpis, model, nba, runs, service, whoop
from clutch_pipeline.cli.common import console, one_line_errors, progress_printer
from clutch_pipeline.db.connection import DatabaseUnreachable
from clutch_pipeline.settings import describe_settings, load_settings, process_environment


@click.group()
@click.version_option(package_name="clutch-pipeline")
def main() -> None:
    """clutch-pipeline: WHOOP wearables and NBA clutch performance, run by Dagster.

    With no CLUTCH_DATABASE_URL set, every command uses an embedded PostgreSQL under CLUTCH_HOME
    (default ~/.clutch), started on demand and stopped when the last clutch process exits.
    """


main.add_command(db.db)
main.add_command(doctor.doctor)
main.add_command(keys.keys)
main.add_command(kpis.kpis)
main.add_command(model.model)
main.add_command(model.predict)
main.add_command(nba.nba)
main.add_command(runs.runs)
main.add_command(service.serve)
main.add_command(whoop.whoop)


@main.command()
@click.option(
    "--readiness",
    "readiness_csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV person_id,date,readiness: the WHOOP simulator's latent readiness (standard-normal units) "
    "on the days it names.",
)
@click.option(
    "--plant-effect",
    type=float,
    help="Tie each athlete's game-day readiness to his clutch points over expected that game with this "
    "strength (readiness sds per sd); the model should then find a recovery effect.",
)
def run(readiness_csv: Path | None, plant_effect: float | None) -> None:
    """Run the main job: every stage in order on the bundled games, then a report.

    Uses the Dagster instance and database in use (embedded by default), bundled data and local
    simulators. Every step is a Dagster run you can inspect later in `clutch dev`. A second run changes
    only what needs changing; two at once on one database are refused, and so is a run whose readiness
    differs from the one the database's WHOOP data was synced with (docs/main-job.md).
    """
    from clutch_pipeline.main_job import (
        MainJobAlreadyRunning,
        MainJobOptions,
        MainJobOptionsConflict,
        run_main_job,
    )

    def on_step(number: int, total: int, title: str) -> None:
        console.print(f"[{number}/{total}] {title}", markup=False)

    def on_note(text: str) -> None:
        console.print(f"  {text}", markup=False)

    def on_outcome(outcome) -> None:
        for report in outcome.reports:
            state = "done" if report.success else "FAILED"
            console.print(f"  {state} in {report.seconds:.1f} s (run {report.run_id})")

    options = MainJobOptions(readiness_csv=readiness_csv, plant_effect=plant_effect)
    if readiness_csv is not None:
        from clutch_pipeline.whoop.simulator import load_readiness_csv

        with one_line_errors(ValueError):
            load_readiness_csv(readiness_csv)  # a CSV that cannot be read fails here, before any step
    with one_line_errors(DatabaseUnreachable, MainJobAlreadyRunning, MainJobOptionsConflict):
        report = run_main_job(load_settings(), on_step, progress_printer(), on_outcome, on_note, options)
    _print_main_job_report(report)
    if not report.success:
        sys.exit(1)


def _print_main_job_report(report) -> None:
    from clutch_pipeline.db.connection import redact
    from clutch_pipeline.main_job import report_lines

    where = "embedded PostgreSQL" if report.urls.embedded else "PostgreSQL"
    console.print()
    console.print(f"Report ({where} {redact(report.urls.app)})", markup=False)
    for step in report.steps:
        for run in step.reports:
            for asset, facts in run.facts().items():
                console.print(f"  {asset}: {facts}", markup=False)
    populated = {t: n for t, n in report.table_rows.items() if n}
    console.print(f"  tables: {len(report.table_rows)}, of which with rows: {len(populated)}")
    for table, rows in sorted(populated.items()):
        console.print(f"    {table}: {rows:,} rows")
    console.print()
    for line in report_lines(report):
        console.print(line, markup=False)
    console.print(
        f"Dagster runs recorded in {redact(report.urls.dagster)}; see them with `clutch dev`.", markup=False
    )
    if report.success:
        console.print(
            f"clutch run finished: {len(report.steps)} step(s) succeeded in {report.seconds:.1f} s."
        )
        return
    failed = report.steps[-1]
    error = next((r.error for r in failed.reports if not r.success), None)
    console.print(
        f"clutch run FAILED at '{failed.title}' after {report.seconds:.1f} s: {error}", markup=False
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface the UI listens on.")
@click.option("--port", default=3000, show_default=True, type=int, help="Port of the UI.")
def dev(host: str, port: int) -> None:
    """Open the Dagster UI and start the daemon (schedules, sensors, run queue) on the same instance.

    The same database and Dagster storage as `clutch run`: embedded by default, no setup needed.
    Stop with Ctrl-C; the embedded PostgreSQL stops with it.
    """
    from clutch_pipeline.db.migrations import upgrade
    from clutch_pipeline.project import project_file
    from clutch_pipeline.runs import dagster_environment, open_instance

    settings = load_settings()
    with one_line_errors(DatabaseUnreachable):
        instance = open_instance(settings)
    instance.dispose()
    urls = instance.urls
    applied = upgrade(urls.app).applied  # so every asset can run from the UI on a fresh database
    if applied:
        console.print(f"schema: applied {', '.join(m.label for m in applied)}")
    env = process_environment()
    env.update(dagster_environment(settings, urls))
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-w", str(project_file("workspace.yaml")), "-h", host, "-p", str(port)]
    console.print(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={settings.dagster_home})")
    if urls.embedded:
        console.print(f"The embedded database stays up while this runs: `clutch db shell` or psql {urls.app}")
    # Started in DAGSTER_HOME, where the dagster.yaml it uses is: `dagster dev` warns that a dagster.yaml
    # in its working folder "will not be used" when the two differ. Its own session, so a terminal's
    # Ctrl-C reaches it once, through us; SIGINT restored to its default in case we were started with
    # it ignored (a background job), since `dagster dev` stops on SIGINT and maps SIGTERM to it.
    child = subprocess.Popen(
        command,
        env=env,
        cwd=settings.dagster_home,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )

    def stop_child(_signum, _frame) -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, stop_child)
    signal.signal(signal.SIGTERM, stop_child)
    sys.exit(child.wait())


@main.command()
def config() -> None:
    """Show every setting with its value in effect (secrets hidden) and its meaning."""
    for setting, shown in describe_settings():
        click.echo(f"{setting.name}={shown}\n    {setting.meaning}")
