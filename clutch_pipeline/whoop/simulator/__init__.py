"""A WHOOP v2 simulator on loopback whose members are real NBA players with deterministic physiology.

``build_athletes`` makes the athletes from our database (their teams' real schedules),
``WhoopSimulator`` serves them over the real OAuth and API contract (and sends signed webhooks),
``serve`` runs it for the CLI.
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
from clutch_pipeline.whoop.simulator.server import ALL_SCOPES, Change, ReceivedRequest, WhoopSimulator
from clutch_pipeline.whoop.simulator.standalone import serve
from clutch_pipeline.whoop.simulator.webhooks import (
    WebhookDelivery,
    WebhookEvent,
    WebhookReport,
    sign_webhook,
)

__all__ = [
    "ALL_SCOPES",
    "Change",
    "DayTruth",
    "Game",
    "Player",
    "ReceivedRequest",
    "SimRecord",
    "SimulatedAthlete",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookReport",
    "WhoopSimulator",
    "build_athletes",
    "load_readiness_csv",
    "players_of_games",
    "serve",
    "sign_webhook",
    "simulate_athletes",
    "user_id_for",
]
