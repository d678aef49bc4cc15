"""Simulated WHOOP histories for every player of a loaded NBA season, written straight into the tables.

For the season benchmark (``benchmarks/alignment_season.py``): what a first WHOOP sync of the whole
season would leave in the database, without the HTTP round trips (``benchmarks/whoop_sync.py`` measures
those). Each athlete is the simulator's (``whoop.simulator.athletes.build_athletes``: the player follows
his teams' real schedule, read from ``games`` and ``nba_game_players``), and is given:

- a consented ``wearables_devices`` row (WHOOP, ``provider_user_id`` = the simulator's user id, consent
  granted, tokens NULL: no token is needed since nothing is fetched);
- his records as WHOOP shows them after the season (``SimRecord.payload(now)``, every record scored,
  UNSCORABLE, or re-scored as the simulator decided), normalized by ``whoop.normalize.normalize`` with
  his sleeps at hand (a recovery is timed by its sleep, as the sync does) and written by
  ``whoop.store.write_records``, the sync's own write path: one call per athlete, as a first sync of
  the window writes a device's records, so the triggers of sql/013 queue his changed local days for
  the daily summaries exactly as in production.

The work is split over a process pool (simulating and normalizing are pure Python; writing is
PostgreSQL's), each worker with its own connection, a few athletes per task.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime

import psycopg

from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.normalize import normalize
from clutch_pipeline.whoop.simulator.athletes import SimulatedAthlete, build_athletes, players_of_games

RECORD_TYPES = ("cycle", "sleep", "recovery", "workout")
ATHLETES_PER_TASK = 8


@dataclass
class WrittenWearables:
    """What the simulation wrote, and where its time went (seconds summed over the workers)."""

    athletes: int = 0
    records: Counter = field(default_factory=Counter)  # raw records written, by type
    readings: int = 0
    simulate_seconds: float = 0.0
    normalize_seconds: float = 0.0
    write_seconds: float = 0.0

    def add(self, other: WrittenWearables) -> None:
        self.athletes += other.athletes
        self.records.update(other.records)
        self.readings += other.readings
        self.simulate_seconds += other.simulate_seconds
        self.normalize_seconds += other.normalize_seconds
        self.write_seconds += other.write_seconds


def add_device(conn: psycopg.Connection, athlete: SimulatedAthlete, now: datetime) -> store.Device:
    """The athlete's consented WHOOP device (no tokens: nothing will be fetched)."""
    player_id = store.player_uuid(conn, athlete.person_id)
    device_id = conn.execute(
        """
        INSERT INTO wearables_devices (player_id, device_type, provider_user_id, granted_scopes,
                                       consent_granted, consent_granted_at)
        VALUES (%s, 'whoop', %s, 'read:cycles read:recovery read:sleep read:workout', TRUE, %s)
        RETURNING device_id
        """,
        (player_id, str(athlete.user_id), now),
    ).fetchone()[0]
    return store.Device(device_id, player_id, athlete.person_id, str(athlete.user_id), None)


def _normalized(athlete: SimulatedAthlete, now: datetime) -> list:
    """His records as the sync normalizes them after fetching them all at ``now``."""
    sleeps = {str(s.record_id): s.payload(now) for s in athlete.sleeps if s.visible(now)}
    return [
        normalize(record_type, record.payload(now), sleeps=sleeps)
        for record_type in RECORD_TYPES
        for record in athlete.records(record_type)
        if record.visible(now)
    ]


def write_athletes(
    url: str, person_ids: list[int], first: date, last: date, now: datetime
) -> WrittenWearables:
    """Simulate these players over the days first..last and write their devices and records (one
    transaction per athlete, as a sync commits a device)."""
    done = WrittenWearables()
    with psycopg.connect(url) as conn:
        began = time.perf_counter()
        athletes = build_athletes(conn, person_ids, first, last)
        conn.commit()
        done.simulate_seconds += time.perf_counter() - began
        for athlete in athletes:
            began = time.perf_counter()
            records = _normalized(athlete, now)
            done.normalize_seconds += time.perf_counter() - began
            began = time.perf_counter()
            with conn.transaction():
                counts = store.write_records(conn, add_device(conn, athlete, now), records)
            done.write_seconds += time.perf_counter() - began
            done.athletes += 1
            done.records.update(counts.changed)
            done.readings += counts.readings_written
    return done


def write_season(
    url: str, season_first: date, season_last: date, first: date, last: date, now: datetime, workers: int
) -> WrittenWearables:
    """Every player who played a game dated season_first..season_last, simulated over first..last."""
    with psycopg.connect(url) as conn:
        person_ids = players_of_games(conn, season_first, season_last)
    chunks = [person_ids[i : i + ATHLETES_PER_TASK] for i in range(0, len(person_ids), ATHLETES_PER_TASK)]
    total = WrittenWearables()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(write_athletes, url, chunk, first, last, now) for chunk in chunks]
        for future in futures:
            total.add(future.result())
    return total
