"""Benchmark: a season backfill killed (SIGKILL) at five moments, then run once more, against a clean one.

    python benchmarks/nba_fault_injection.py [--archive PATH] [--manifest CSV] [--season 2022-23]
                                             [--admin-url URL]

Runs ``clutch nba backfill --season ... --archive ... --manifest ...`` as a user does, in a process of
its own (its own session, so that killing it kills its worker processes too), into a fresh database:

* once to the end: the clean run's tables;
* for each moment below, killed at that moment (watched from outside, in the database), then run once
  more to the end; its tables are compared with the clean run's: rows and an MD5 of each table's
  content by natural key (``store.content_checksums``: UUIDs replaced by NBA ids, load times left out).

Moments: 10 s after the start (the issue's case); once the first raw batch is committed; once half of
the season's raw batches are; once the clutch transaction is open (every raw batch committed, the
clutch rows being computed and written); and, after a kill like the last one, the next run killed too
while it reads the raw actions back to re-derive the clutch rows. Prints, for each: when it was killed,
what the database held then, the repair run's seconds and what it re-derived, and equal or not.
Needs ``../shared/data/nba_2022_23`` (or ``--archive`` and ``--manifest``); uses a throwaway embedded
PostgreSQL unless ``--admin-url`` names a server where it may create databases.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from clutch_pipeline.db.connection import url_for_database
from clutch_pipeline.nba import store

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "nba_2022_23"
REPOSITORY = Path(__file__).resolve().parents[1]
POLL_SECONDS = 0.02
RUN_TIMEOUT_SECONDS = 1800

# What the database shows of a run in progress, read every POLL_SECONDS.
Watch = Callable[[psycopg.Connection, float], bool]  # (connection to the app database, seconds since start)


def _loaded(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM nba_game_loads WHERE status = 'loaded'").fetchone()[0]


def _running(conn: psycopg.Connection, pattern: str) -> bool:
    """Whether a connection of the run is in a statement, or in a transaction whose last statement was
    one, whose text matches ``pattern`` (a POSIX regular expression)."""
    return conn.execute(
        """SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                          WHERE datname = current_database() AND pid <> pg_backend_pid()
                            AND state IN ('active', 'idle in transaction') AND query ~ %s)""",
        (pattern,),
    ).fetchone()[0]


def _in_clutch_transaction(conn: psycopg.Connection) -> bool:
    """A transaction reads or writes the clutch tables: the load's phase two (or the migrations that
    create them, at the start of a run)."""
    return _running(conn, "clutch_situations|clutch_player_actions|nba_clutch_derivations")


def _reading_raw_again(conn: psycopg.Connection) -> bool:
    """The load re-derives clutch rows: it reads games' raw actions back (``store.raw_games``)."""
    return _running(conn, r"string_agg\(r\.payload::text")


@dataclass(frozen=True)
class Moment:
    name: str
    kills: list[Callable[[int], Watch]]  # one watch per killed run, given the clean run's loaded games


MOMENTS = [
    Moment("10 s after the start", [lambda total: lambda conn, seconds: seconds >= 10]),
    Moment("first raw batch committed", [lambda total: lambda conn, seconds: _loaded(conn) >= 1]),
    Moment("half the raw batches committed", [lambda total: lambda conn, s: _loaded(conn) >= total / 2]),
    Moment(
        "every raw batch committed, the clutch transaction open",
        [lambda total: lambda conn, s: _loaded(conn) >= total and _in_clutch_transaction(conn)],
    ),
    Moment(
        "as above, then the next run killed too, while it re-derives from raw",
        [
            lambda total: lambda conn, s: _loaded(conn) >= total and _in_clutch_transaction(conn),
            lambda total: lambda conn, s: _reading_raw_again(conn),
        ],
    ),
]


@dataclass
class Databases:
    admin: str
    app: str
    dagster: str
    home: Path

    @classmethod
    def create(cls, admin: str) -> Databases:
        names = [f"fault_{kind}_{uuid.uuid4().hex[:6]}" for kind in ("app", "dagster")]
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        home = Path(tempfile.mkdtemp(prefix="clutch-fault-home-"))
        return cls(admin, *(url_for_database(admin, name) for name in names), home)

    def drop(self) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            for url in (self.app, self.dagster):
                name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUTCH_", "DAGSTER_"))}
        env.update(CLUTCH_HOME=str(self.home), CLUTCH_DATABASE_URL=self.app)
        env["CLUTCH_DAGSTER_DATABASE_URL"] = self.dagster
        return env


def backfill(dbs: Databases, command: list[str], kill_when: Watch | None = None) -> tuple[float, str, bool]:
    """Run the backfill; kill its whole session when ``kill_when`` holds. (seconds, output, killed)"""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=REPOSITORY,
        env=dbs.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    killed = False
    try:
        if kill_when is not None:
            killed = _kill_when(process, dbs.app, kill_when, started)
        output, _ = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)  # no run of ours outlives the benchmark
        process.wait()
        raise
    if not killed and process.returncode != 0:
        raise RuntimeError(f"the backfill failed ({process.returncode}):\n{output}")
    return time.perf_counter() - started, output, killed


def _kill_when(process: subprocess.Popen, url: str, kill_when: Watch, started: float) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        while process.poll() is None:
            try:
                due = kill_when(conn, time.perf_counter() - started)
            except psycopg.errors.UndefinedTable:  # the run has not applied the schema yet
                due = False
            if due:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return True
            time.sleep(POLL_SECONDS)
    return False


def checkpoint(admin: str) -> None:
    """Write out what earlier runs left in shared buffers, so that a timed run does not pay for it."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def state(url: str) -> dict[str, tuple[int, str]]:
    with psycopg.connect(url) as conn:
        return store.content_checksums(conn)


def rederived(output: str) -> str:
    found = re.search(r"games_rederived=(\d+)", output)
    return found.group(1) if found else "?"


def run_moment(admin: str, command: list[str], moment: Moment, clean: dict, total: int) -> None:
    dbs = Databases.create(admin)
    try:
        held = []
        for watch in moment.kills:
            # The killed run stays STARTED holding the nba_api slot: the next backfill (through the run
            # door) tells its process is gone, fails it and frees the slot before it waits for the pool.
            seconds, _output, killed = backfill(dbs, command, watch(total))
            now = state(dbs.app)
            held.append(
                f"killed={killed} at {seconds:.1f} s: {now['nba_game_loads'][0]} games loaded, "
                f"{now['clutch_situations'][0]} windows, {now['clutch_player_actions'][0]} actions"
            )
        checkpoint(admin)
        seconds, output, _ = backfill(dbs, command)
        after = state(dbs.app)
    finally:
        dbs.drop()
    differ = [table for table in clean if after.get(table) != clean[table]]
    print(f"{moment.name}:")
    for line in held:
        print(f"  {line}")
    print(f"  one more run: {seconds:.1f} s, {rederived(output)} games re-derived from raw")
    print(f"  tables: {'EQUAL to the clean run' if not differ else 'DIFFERENT: ' + ', '.join(differ)}")
    for table in differ:
        print(f"    {table}: {after.get(table)} vs clean {clean[table]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--archive", type=Path, default=SHARED / "pbp_2022_23_regular_season_nbacom_v3.tar.xz"
    )
    parser.add_argument("--manifest", type=Path, default=SHARED / "manifest_2022_23.csv")
    parser.add_argument("--season", default="2022-23")
    parser.add_argument("--admin-url", default=None)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    if not args.archive.exists():
        print(f"no archive at {args.archive}: pass --archive", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "clutch_pipeline.cli", "nba", "backfill", "--season", args.season]
    command += ["--archive", str(args.archive)]
    if args.manifest and args.manifest.exists():
        command += ["--manifest", str(args.manifest)]

    server = None
    admin = args.admin_url
    if admin is None:
        from clutch_pipeline.db.embedded import embedded_server

        server = embedded_server(Path(tempfile.mkdtemp(prefix="clutch-fault-")) / "pgdata")
        admin = server.get_uri("postgres")
    try:
        dbs = Databases.create(admin)
        try:
            checkpoint(admin)
            seconds, _, _ = backfill(dbs, command)
            clean = state(dbs.app)
        finally:
            dbs.drop()
        total = clean["nba_game_loads"][0]
        print(f"clean run: {seconds:.1f} s; " + ", ".join(f"{t} {n}" for t, (n, _) in clean.items()))
        for moment in MOMENTS:
            run_moment(admin, command, moment, clean, total)
    finally:
        if server is not None:
            server.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
