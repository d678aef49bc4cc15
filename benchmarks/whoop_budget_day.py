"""A simulated day of 500 athletes with webhooks on, under WHOOP's real limits, beside the naive poll.

The athletes are 500 players of 2022-23 on their teams' real schedules (``../shared/data/nba_2022_23``,
as in ``whoop_sync.py``); the day is ``--day`` (default 2022-11-16, 11 games). Everything runs as in
production, on one simulated clock moved a minute at a time: the WHOOP simulator (100 requests a
minute, 10,000 a day) sends signed webhooks to our service on loopback, which stores them; every minute
the request planner (``whoop_sync_planner``'s ``plan_now``) decides, and its targeted sync runs
(``sync_devices``; Dagster's bookkeeping left out). Before the day each athlete is consented and synced
once (not counted).

Printed: requests by kind, the total against 10,000, the peak per minute; at each playing athlete's
tip-off, how old his cycle (day strain) is and whether his morning recovery is in; webhook events
received, fetched and still pending at midnight; the day's sync latency (median, p95) and wearables
uptime, computed by the KPI code (``clutch_pipeline/kpis``, docs/kpis.md) on the benchmark's database.
Beside it, the naive hourly poll of four collections
(4 x 24 requests and 24 token refreshes an athlete a day), as arithmetic.

    /work/venv/bin/python benchmarks/whoop_budget_day.py [--day 2022-11-16] [--athletes 500]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from clutch_pipeline.alignment.store.summaries import refresh_daily_summaries
from clutch_pipeline.db.connection import url_for_database
from clutch_pipeline.db.migrations import upgrade
from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.http_retry import RetryPolicy
from clutch_pipeline.kpis.measure import KpiFigure
from clutch_pipeline.kpis.refresh import compute
from clutch_pipeline.service.app import ServiceConfig, create_app
from clutch_pipeline.service.server import serve_in_background
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.resources import WhoopResource
from clutch_pipeline.whoop.sensors import plan_now, planned_event_ids
from clutch_pipeline.whoop.simulator import WhoopSimulator, simulate_athletes
from clutch_pipeline.whoop.sync import SyncOptions, by_player, collections_by_player, sync_devices
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key

sys.path.insert(0, str(Path(__file__).resolve().parent))
from whoop_sync import SHARED, consent_all, month_of_games  # the same athletes and schedule

CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:  # a wait for the rate limit moves simulated time
        self.now += timedelta(seconds=seconds)


def wall_now(conn) -> datetime:
    return conn.execute("SELECT clock_timestamp()").fetchone()[0]


def stamp_fetches(conn, since: datetime, at: datetime) -> int:
    """Move the raw records fetched since ``since`` (wall time: ``fetched_at`` is the database's now())
    onto the simulated clock at ``at`` (the clock after the sync: an upper bound), so the KPIs' sync
    latency compares the webhooks' simulated arrival with fetches on the same clock."""
    return conn.execute(
        "UPDATE wearables_raw_records SET fetched_at = %s WHERE fetched_at >= %s", (at, since)
    ).rowcount


def day_kpis(conn, day: date, started_at: datetime) -> dict[str, KpiFigure]:
    """The day's KPIs as ``kpi_daily`` would hold them, after the daily summaries of its local dates are
    refreshed (uptime reads the summaries; this benchmark runs no alignment otherwise)."""
    refresh_daily_summaries(conn, day - timedelta(days=1), day + timedelta(days=1), started_at=started_at)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
    return {f.kpi: f for f in compute(conn, day, day, now=end)}


def load_nba_tables(conn, games, players, before: datetime) -> None:
    """Teams, the games with their tip-offs, and each player's latest game before ``before`` with his
    team in it (``nba_game_players``, as the NBA load records it)."""
    team_ids = sorted({t for g in games for t in (g.home_team_id, g.away_team_id)})
    teams = dict(
        conn.execute(
            "INSERT INTO teams (nba_team_id) SELECT unnest(%s::bigint[]) RETURNING nba_team_id, team_id",
            (team_ids,),
        ).fetchall()
    )
    for g in {g.nba_game_id: g for g in games}.values():  # the archive holds one game twice
        conn.execute(
            "INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date, tipoff_at, status)"
            " VALUES (%s, %s, %s, %s, %s, 'final')",
            (g.nba_game_id, teams[g.home_team_id], teams[g.away_team_id], g.game_date, g.tipoff_at),
        )
    # His latest game before the day: what our NBA tables would hold by then.
    loaded = {g.nba_game_id for g in games if g.tipoff_at < before}
    for p in players:
        acted = {g: t for g, t in p.game_teams.items() if g in loaded}
        if not acted:
            continue
        game_id, team = max(acted.items())
        conn.execute(
            "INSERT INTO players (nba_person_id, full_name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (p.person_id, str(p.person_id)),
        )
        conn.execute(
            """INSERT INTO nba_game_players (game_id, player_id, team_id)
               SELECT g.game_id, pl.player_id, %s FROM games g, players pl
               WHERE g.nba_game_id = %s AND pl.nba_person_id = %s""",
            (teams[team], game_id, p.person_id),
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day", type=date.fromisoformat, default=date(2022, 11, 16))
    parser.add_argument("--athletes", type=int, default=500)
    args = parser.parse_args()
    if not SHARED.exists():
        print(f"needs the 2022-23 season in {SHARED}", file=sys.stderr)
        return 2
    day = args.day
    games, players = month_of_games(date(2022, 10, 1), date(2023, 4, 30))
    players.sort(key=lambda p: p.person_id)
    players = players[: args.athletes]
    athletes = simulate_athletes(players, games, day - timedelta(days=7), day + timedelta(days=1))
    near = [g for g in games if day - timedelta(days=60) <= g.game_date <= day + timedelta(days=3)]
    start = datetime.combine(day, datetime.min.time(), UTC)
    clock = Clock(start - timedelta(hours=12))

    from clutch_pipeline.db.embedded import embedded_server

    server = embedded_server(Path(tempfile.mkdtemp(prefix="clutch-bench-")) / "pgdata")
    admin = server.get_uri("postgres")
    name = f"bench_day_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = url_for_database(admin, name)
    try:
        upgrade(url)
        cipher = TokenCipher([generate_key()])
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        simulator = WhoopSimulator(
            athletes,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            clock=clock,
            webhook_url=f"http://127.0.0.1:{port}/api/webhooks/whoop",
        )
        with simulator, psycopg.connect(url, autocommit=True) as conn:
            load_nba_tables(conn, near, players, clock())
            app = WhoopApp(
                base_url=simulator.base_url,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                redirect_uri="",
                cipher=cipher,
                retry=RetryPolicy(attempts=3, base_seconds=1.0, sleep=clock.sleep),
            )
            consent_all(conn, simulator, athletes, cipher, clock())
            # The evening before: every athlete's first sync, at WHOOP's limits (the budget waits on the
            # simulated clock), so the day starts in a steady state. Not counted.
            options = SyncOptions(first_sync_days=3)
            since = wall_now(conn)
            with app.open(conn, clock=clock, sleep=clock.sleep) as session:
                sync_devices(
                    conn,
                    session.api,
                    session.tokens,
                    store.syncable_devices(conn),
                    clock=clock,
                    options=options,
                )
            stamp_fetches(conn, since, clock())
            print(f"first syncs done at {clock():%Y-%m-%d %H:%M} UTC (simulated); ticking on from there")

            postgres = PostgresResource(database_url=url)
            whoop = WhoopResource(
                base_url=simulator.base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
            )
            config = ServiceConfig(url, app, api_keys=(), clock=clock)
            tipoffs = tipoffs_in(players, games, start, start + timedelta(days=1))
            at_tipoff: list[tuple[float, bool]] = []
            received = 0
            started = time.perf_counter()
            with (
                serve_in_background(lambda _: create_app(config), port=port),
                app.open(conn, clock=clock, sleep=clock.sleep) as session,
            ):
                while clock() < start + timedelta(days=1):
                    received += simulator.deliver_webhooks().delivered
                    plan, events, _ = plan_now(postgres, whoop, clock())
                    store.mark_events_planned(conn, planned_event_ids(plan, events), clock())
                    records, deleted, collections = [], [], []
                    for s in plan.syncs:
                        records += [f"{s.nba_person_id}:{r}" for r in s.records]
                        deleted += [f"{s.nba_person_id}:{r}" for r in s.deleted]
                        collections += [f"{s.nba_person_id}:{t}" for t in s.record_types]
                    if records or deleted or collections:
                        wanted = {
                            *by_player(records),
                            *by_player(deleted),
                            *collections_by_player(collections),
                        }
                        since = wall_now(conn)
                        sync_devices(
                            conn,
                            session.api,
                            session.tokens,
                            store.syncable_devices(conn, sorted(wanted)),
                            clock=clock,
                            records=by_player(records),
                            deleted=by_player(deleted),
                            collections=collections_by_player(collections),
                            options=options,
                        )
                        stamp_fetches(conn, since, clock())
                    tick_end = clock.now + timedelta(minutes=1)
                    for person, tipoff in tipoffs.items():  # tip-offs of the UTC day only
                        if clock.now <= tipoff < tick_end:
                            at_tipoff.append(freshness(conn, simulator, person, tipoff))
                    clock.now = max(clock.now, tick_end)
            wall = time.perf_counter() - started
            the_day = {"start": start, "end": start + timedelta(days=1)}
            spent = Counter(
                dict(
                    conn.execute(
                        "SELECT kind, count(*) FROM whoop_api_requests"
                        " WHERE requested_at >= %(start)s AND requested_at < %(end)s GROUP BY kind",
                        the_day,
                    ).fetchall()
                )
            )
            per_minute = conn.execute(
                "SELECT max(n) FROM (SELECT count(*) AS n FROM whoop_api_requests"
                " WHERE requested_at >= %(start)s AND requested_at < %(end)s"
                " GROUP BY date_trunc('minute', requested_at)) m",
                the_day,
            ).fetchone()[0]
            pending = conn.execute(
                "SELECT count(*) FROM whoop_webhook_events WHERE planned_at IS NULL"
            ).fetchone()[0]
            events = conn.execute(
                "SELECT count(*) FROM whoop_webhook_events"
                " WHERE received_at >= %(start)s AND received_at < %(end)s",
                the_day,
            ).fetchone()[0]
            kpis = day_kpis(conn, day, clock())
        report(
            day, len(athletes), len(tipoffs), spent, per_minute, at_tipoff, received, events, pending, wall
        )
        report_kpis(kpis)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        server.cleanup()
    return 0


def tipoffs_in(players, games, start: datetime, end: datetime) -> dict[int, datetime]:
    """Each player's tip-off in [start, end): his team's game then (his team: of his latest game by
    then). A US evening slate tips off after midnight UTC, so these are mostly the previous US date's."""
    by_id = {g.nba_game_id: g for g in games}
    tipoffs = {}
    for p in players:
        played = [by_id[g] for g in p.game_teams if g in by_id and by_id[g].tipoff_at < end]
        if not played:
            continue
        team = p.game_teams[max(played, key=lambda g: g.tipoff_at).nba_game_id]
        for g in games:
            if start <= g.tipoff_at < end and team in (g.home_team_id, g.away_team_id):
                tipoffs[p.person_id] = g.tipoff_at
    return tipoffs


def freshness(conn, simulator, person: int, tipoff: datetime) -> tuple[float, bool]:
    """At tip-off: minutes since his cycle was last synced, and whether his latest scored recovery is in."""
    athlete = simulator.athlete(person)
    synced = conn.execute(
        "SELECT s.updated_at FROM wearables_sync_state s JOIN wearables_devices d USING (device_id)"
        " JOIN players p USING (player_id) WHERE p.nba_person_id = %s AND s.record_type = 'cycle'",
        (person,),
    ).fetchone()
    age = (tipoff - synced[0]).total_seconds() / 60 if synced else float("inf")
    scored = [r for r in athlete.recoveries if r.scorable and r.scored_at <= tipoff]
    if not scored:
        return age, True
    latest = max(scored, key=lambda r: r.start)
    have = conn.execute(
        "SELECT score_state FROM wearables_raw_records r JOIN players p USING (player_id)"
        " WHERE p.nba_person_id = %s AND r.record_type = 'recovery' AND r.record_id = %s",
        (person, str(latest.record_id)),
    ).fetchone()
    return age, have == ("SCORED",)


def report(day, athletes, playing, spent, peak, at_tipoff, received, events, pending, wall) -> None:
    total = sum(spent.values())
    print(
        f"{athletes} athletes, the UTC day {day} ({playing} of them tip off in it);"
        f" simulated in {wall:.0f} s, from the first syncs the afternoon before"
    )
    print(f"  requests              {total:6d} of 10,000 ({total / athletes:.1f} per athlete)")
    for kind, n in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"    {kind:18s}  {n:6d}")
    print(f"  peak per minute       {peak:6d} (limit 100)")
    print(
        f"  webhook events        {events:6d} stored ({received} deliveries), {pending} pending at midnight"
    )
    if at_tipoff:
        ages = sorted(a for a, _ in at_tipoff if a != float("inf"))
        fresh = sum(1 for _, ok in at_tipoff if ok)
        late = sum(1 for a in ages if a > 120)
        print(
            f"  at tip-off ({len(at_tipoff)} athletes): cycle synced median {statistics.median(ages):.0f} min"
            f" before, p90 {ages[int(0.9 * (len(ages) - 1))]:.0f}, max {max(ages):.0f}; {late} more than 2 h"
            f" before; latest scored recovery in: {fresh} of {len(at_tipoff)}"
        )
    naive = athletes * (4 * 24 + 24)
    print(
        f"naive hourly poll of four collections: {naive:,} requests ({4 * 24 + 24} per athlete), "
        f"{naive / 10_000:.1f}x the daily limit; it fits {10_000 // (4 * 24 + 24)} athletes"
    )


def kpi_lines(kpis: dict[str, KpiFigure]) -> list[str]:
    """The day's sync latency and uptime as the report prints them ("not measured" and why when None)."""
    median, p95 = kpis["sync_latency_median_minutes"], kpis["sync_latency_p95_minutes"]
    uptime = kpis["wearables_uptime"]
    counts = ", ".join(
        f"{k} {v}" for k, v in median.detail.items() if k not in ("reason", "p95_minutes_by_type")
    )
    slow = ", ".join(f"{k} {v:.1f}" for k, v in median.detail["p95_minutes_by_type"].items())
    if median.value is None:
        latency = f"not measured ({median.detail.get('reason')}; {counts})"
    else:
        latency = (
            f"median {median.value:.1f} min, p95 {p95.value:.1f} min over {median.sample_size} ({counts};"
            f" p95 by record type: {slow})"
        )
    if uptime.value is None:
        share = f"not measured ({uptime.detail.get('reason')})"
    else:
        missing = ", ".join(f"{k} {v}" for k, v in uptime.detail["missing"].items() if v) or "none"
        share = f"{uptime.value:.3f} of {uptime.sample_size} athletes (target 0.95); missing: {missing}"
    return [f"  sync latency          {latency} (target 5 min)", f"  wearables uptime      {share}"]


def report_kpis(kpis: dict[str, KpiFigure]) -> None:
    for line in kpi_lines(kpis):
        print(line)


if __name__ == "__main__":
    sys.exit(main())
