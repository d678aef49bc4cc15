"""``clutch whoop simulate``: the WHOOP simulator as a blocking server, for a person at a terminal.

It builds the athletes from the database (the players of the games dated ``start`` to ``end``, or the
ids given), serves them until Ctrl-C, and prints what a client needs: the base URL, the app's
credentials, the athletes, and an authorize URL to start from.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from clutch_pipeline.whoop.simulator.oauth import ALL_SCOPES, AUTHORIZE_PATH
from clutch_pipeline.whoop.simulator.server import WhoopSimulator


def serve(
    database_url: str,
    *,
    start: date,
    end: date,
    person_ids: Sequence[int] | None = None,
    port: int = 0,
    client_id: str = "clutch-simulator",
    client_secret: str = "clutch-simulator-secret",
    readiness_csv: Path | str | None = None,
    per_minute: int = 100,
    per_day: int = 10_000,
    seed: int = 0,
    out: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    webhook_url: str | None = None,
    webhook_interval_seconds: float = 5.0,
    webhook_duplicate_share: float = 0.0,
) -> None:
    """Serve simulated athletes until Ctrl-C (or ``stop`` is set): the given NBA person ids, or every
    player of the games in the database dated ``start`` to ``end``. Prints the base URL and athletes.
    With ``webhook_url``, a thread POSTs the signed webhooks of authorized users every
    ``webhook_interval_seconds``."""
    import psycopg

    from clutch_pipeline.whoop.simulator.athletes import build_athletes, load_readiness_csv, players_of_games

    readiness = load_readiness_csv(readiness_csv) if readiness_csv else None
    started = time.perf_counter()
    with psycopg.connect(database_url) as conn:
        ids = list(person_ids) if person_ids else players_of_games(conn, start, end)
        athletes = build_athletes(conn, ids, start, end, readiness=readiness, seed=seed)
    built = time.perf_counter() - started
    if not athletes:
        raise ValueError(f"no athlete to simulate: no player of those ids acts in a game near {start}..{end}")
    simulator = WhoopSimulator(
        athletes,
        client_id=client_id,
        client_secret=client_secret,
        per_minute=per_minute,
        per_day=per_day,
        port=port,
        webhook_url=webhook_url,
        webhook_duplicate_share=webhook_duplicate_share,
        webhook_seed=seed,
    )
    with simulator:
        records = sum(len(a.cycles) + len(a.sleeps) + len(a.recoveries) + len(a.workouts) for a in athletes)
        out(f"WHOOP simulator at {simulator.base_url} (replaces https://api.prod.whoop.com)")
        out(f"client_id={client_id} client_secret={client_secret}")
        out(f"limits: {per_minute}/minute, {per_day}/day; {len(athletes)} athletes, {records} records")
        out(f"days {start}..{end}, built in {built:.1f}s")
        if webhook_url:
            simulator.start_webhook_sender(webhook_interval_seconds)
            out(
                f"webhooks: POST to {webhook_url} every {webhook_interval_seconds:g}s "
                f"(signed with client_secret; authorized users only)"
            )
        for athlete in athletes:
            out(
                f"  athlete={athlete.person_id}  user_id={athlete.user_id}  "
                f"{athlete.first_name} {athlete.last_name}"
            )
        example = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": "http://127.0.0.1:8080/callback",
                "scope": " ".join(ALL_SCOPES),
                "state": "12345678",
                "athlete": athletes[0].person_id,
            }
        )
        out(f"authorize: {simulator.base_url}{AUTHORIZE_PATH}?{example}")
        waiter = stop or threading.Event()
        try:
            while not waiter.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
