"""Phase one of a load: a batch of prepared games written in one transaction.

Raw actions (replaced per game and source), the teams, players and games they name, who played for
which team, and every game's load status: all of a batch or none of it. The loaded games' status rows
carry the transaction's time (``loaded_at``), which names this raw load in the derivation stamps of
their clutch rows (``derive.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from clutch_pipeline.nba import store
from clutch_pipeline.nba.games import upsert_people
from clutch_pipeline.nba.prepare import Prepared


@dataclass
class RawWritten:
    actions: int = 0
    loaded_at: dict[str, datetime] = field(default_factory=dict)  # game id -> its raw load's time


def write_batch(
    connection: store.ConnectionFactory, loaded: list[Prepared], failures: list[store.LoadRow]
) -> RawWritten:
    """One batch of games, all or nothing: raw actions and references of the loaded, status of all."""
    with connection() as conn:
        written = _write_loaded(conn, loaded)
        store.record_loads(conn, failures)
    return written


def _write_loaded(conn: psycopg.Connection, loaded: list[Prepared]) -> RawWritten:
    if not loaded:
        return RawWritten()
    team_ids, player_ids = upsert_people(conn, loaded)
    game_ids = store.upsert_games(conn, [p.game_row for p in loaded], team_ids)
    actions = store.replace_raw_action_rows(
        conn, [(p.game.game_id, p.source) for p in loaded], (p.raw_rows for p in loaded)
    )
    store.replace_game_players(
        conn,
        [game_ids[p.game.game_id] for p in loaded],
        [
            (game_ids[p.game.game_id], player_ids[person], team_ids[team])
            for p in loaded
            for person, team in p.player_teams.items()
        ],
    )
    loaded_at = store.record_loads(
        conn,
        [
            store.LoadRow(
                p.game.game_id, "loaded", p.source, p.game.origin, p.actions, p.game.content_sha256, None
            )
            for p in loaded
        ],
    )
    return RawWritten(actions, loaded_at)
