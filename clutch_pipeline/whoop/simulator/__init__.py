"""A WHOOP v2 simulator on loopback whose members are real NBA players with deterministic physiology.

``build_athletes`` makes the athletes from our database (their teams' real schedules),
``WhoopSimulator`` serves them over the real OAuth and API contract, ``serve`` runs it for the CLI.
"""

from clutch_pipeline.whoop.simulator.athletes import (
    Game,
    Player,
    SimulatedAthlete,
    build_athletes,
    load_readiness_csv,
    players_of_games,
    simulate_athletes,
    user_id_for,
)
from clutch_pipeline.whoop.simulator.physiology import DayTruth
from clutch_pipeline.whoop.simulator.records import SimRecord
from clutch_pipeline.whoop.simulator.server import ALL_SCOPES, Change, ReceivedRequest, WhoopSimulator, serve

__all__ = [
    "ALL_SCOPES",
    "Change",
    "DayTruth",
    "Game",
    "Player",
    "ReceivedRequest",
    "SimRecord",
    "SimulatedAthlete",
    "WhoopSimulator",
    "build_athletes",
    "load_readiness_csv",
    "players_of_games",
    "serve",
    "simulate_athletes",
    "user_id_for",
]
