"""WHOOP sync at scale: 500 simulated athletes x 30 days, first sync and an hourly sync with nothing new.

The athletes are the first 500 players (by NBA person id) who acted in November 2022, each following
his team's real schedule of that month (``../shared/data/nba_2022_23``: the archive for who played for
whom, the manifest for the games). The WHOOP simulator serves them on loopback with its limits
raised (as WHOOP raises an app's limits on request); our request budget is raised to match, so the
figures measure our code, the simulator and PostgreSQL, not the 100-a-minute wait. Consent is granted
by the simulator issuing tokens directly (the OAuth flow is not what is measured here).

Printed: requests per athlete and by kind, records and readings written, rows per second, wall time;
for the hourly pass the same. Uses a throwaway embedded PostgreSQL unless ``--admin-url`` is given.

    /work/venv/bin/python benchmarks/whoop_sync.py [--athletes 500] [--days 30]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tarfile
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePosixPath

import psycopg
from psycopg import sql

from clutch_pipeline.db.connection import url_for_database
from clutch_pipeline.db.migrations import upgrade
from clutch_pipeline.http_retry import RetryPolicy
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.simulator import Game, Player, WhoopSimulator, simulate_athletes
from clutch_pipeline.whoop.sync import SyncOptions, sync_devices
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key

# ``../shared`` beside the repository, or ``../../shared`` from a worktree under ``wt/``.
SHARED = next(
    (
        up / "shared" / "data" / "nba_2022_23"
        for up in Path(__file__).resolve().parents[2:4]
        if (up / "shared" / "data" / "nba_2022_23").exists()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "nba_2022_23",
)
FIRST_DAY = date(2022, 11, 1)
RAISED = 10**9


def month_of_games(first: date, last: date) -> tuple[list[Game], list[Player]]:
    """The games dated first..last and the players who acted in them, with the team of each game."""
    with open(SHARED / "manifest_2022_23.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if first <= date.fromisoformat(r["game_date"]) <= last]
    wanted = {r["file"]: r for r in rows}
    game_teams: dict[int, dict[str, int]] = {}
    tricodes: dict[str, int] = {}
    names: dict[int, str] = {}
    with tarfile.open(SHARED / "pbp_2022_23_regular_season_nbacom_v3.tar.xz") as tar:
        for member in tar:
            row = wanted.get(PurePosixPath(member.name).name)
            if row is None or not member.isfile():
                continue
            for action in json.loads(tar.extractfile(member).read()):
                person, team = action.get("personId") or 0, action.get("teamId") or 0
                if team and action.get("teamTricode"):
                    tricodes[action["teamTricode"]] = team
                if person and team and person != team:
                    game_teams.setdefault(person, {})[row["actual_game_id"]] = team
                    names.setdefault(person, action.get("playerName") or str(person))
    games = [
        Game(
            r["actual_game_id"],
            date.fromisoformat(r["game_date"]),
            datetime.fromisoformat(r["tip_utc_derived"].replace("Z", "+00:00")),
            tricodes[r["home"]],
            tricodes[r["away"]],
            has_actions=True,
        )
        for r in rows
    ]
    players = [Player(p, "", names[p], game_teams[p]) for p in sorted(game_teams)]
    return games, players


def consent_all(conn, simulator, athletes, cipher, now: datetime) -> None:
    """Every athlete a player with a consented device, his tokens issued by the simulator directly
    (the OAuth flow is not what these benchmarks measure)."""
    for athlete in athletes:
        player = conn.execute(
            "INSERT INTO players (nba_person_id, full_name) VALUES (%s, %s)"
            " ON CONFLICT (nba_person_id) DO UPDATE SET full_name = EXCLUDED.full_name RETURNING player_id",
            (athlete.person_id, athlete.last_name),
        ).fetchone()[0]
        grant = simulator.issue_tokens(athlete.person_id)
        store.save_authorization(
            conn,
            player,
            str(athlete.user_id),
            cipher.encrypt(grant["access_token"]),
            cipher.encrypt(grant["refresh_token"]),
            now + timedelta(seconds=grant["expires_in"]),
            grant["scope"],
            now,
        )


def timed_sync(conn, app, clock, devices, options) -> tuple[float, list, Counter]:
    with app.open(conn, clock=clock) as session:
        started = time.perf_counter()
        results = sync_devices(conn, session.api, session.tokens, devices, clock=clock, options=options)
        seconds = time.perf_counter() - started
        return seconds, results, Counter(session.budget.spent)


def report(title: str, seconds: float, results: list, spent: Counter, athletes: int) -> None:
    statuses = Counter(r.status for r in results)
    records = sum(r.records_changed for r in results)
    readings = sum(r.readings_written for r in results)
    requests = sum(spent.values())
    print(f"{title}")
    print(f"  wall time            {seconds:8.1f} s  ({seconds / athletes * 1000:.0f} ms per athlete)")
    print(f"  devices              {dict(statuses)}")
    print(f"  requests             {requests:8d}  ({requests / athletes:.2f} per athlete): {dict(spent)}")
    print(f"  records written      {records:8d}  raw records new or changed")
    print(f"  readings written     {readings:8d}")
    rows = records + readings
    print(f"  rows/s               {rows / seconds:8.0f}  (raw records + readings)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=500)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--admin-url", default=None)
    args = parser.parse_args()
    if not SHARED.exists():
        print(f"needs the 2022-23 season in {SHARED}", file=sys.stderr)
        return 2
    last_day = FIRST_DAY + timedelta(days=args.days - 1)

    started = time.perf_counter()
    games, players = month_of_games(date(2022, 10, 1), date(2023, 4, 30))  # the whole regular season
    # Those who played in the month first, then the rest of the season's (about 450 play in a month).
    in_month = {g.nba_game_id for g in games if FIRST_DAY <= g.game_date <= last_day}
    players.sort(key=lambda p: (not in_month & set(p.game_teams), p.person_id))
    athletes = simulate_athletes(players[: args.athletes], games, FIRST_DAY, last_day)
    records = sum(len(a.cycles) + len(a.sleeps) + len(a.recoveries) + len(a.workouts) for a in athletes)
    built = time.perf_counter() - started
    print(f"{len(athletes)} athletes x {args.days} days: built in {built:.1f} s, {records:,} records")

    now = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=12)

    def clock() -> datetime:
        return now

    server = None
    admin = args.admin_url
    if admin is None:
        from clutch_pipeline.db.embedded import embedded_server

        server = embedded_server(Path(tempfile.mkdtemp(prefix="clutch-bench-")) / "pgdata")
        admin = server.get_uri("postgres")
    name = f"bench_whoop_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = url_for_database(admin, name)
    try:
        upgrade(url)
        cipher = TokenCipher([generate_key()])
        with (
            WhoopSimulator(
                athletes,
                client_id="bench",
                client_secret="bench-secret",
                clock=clock,
                per_minute=RAISED,
                per_day=RAISED,
            ) as simulator,
            psycopg.connect(url, autocommit=True) as conn,
        ):
            consent_all(conn, simulator, athletes, cipher, now)
            app = WhoopApp(
                base_url=simulator.base_url,
                client_id="bench",
                client_secret="bench-secret",
                redirect_uri="",
                cipher=cipher,
                per_minute=RAISED,
                per_day=RAISED,
                retry=RetryPolicy(attempts=3, base_seconds=0.1),
            )
            options = SyncOptions(first_sync_days=args.days + 1, overlap=timedelta(hours=48))
            devices = store.syncable_devices(conn)
            first = timed_sync(conn, app, clock, devices, options)
            report("first sync (every record of the window)", *first, len(athletes))
            now += timedelta(hours=1)
            hourly = timed_sync(conn, app, clock, store.syncable_devices(conn), options)
            report("hourly incremental sync (nothing new)", *hourly, len(athletes))
            print(f"ratio hourly/first wall time: {hourly[0] / first[0]:.2f}")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        if server is not None:
            server.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
