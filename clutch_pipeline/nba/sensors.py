"""A five-minute sensor that follows live NBA games through the CDN scoreboard.

Each tick reads today's scoreboard (one request), registers new games (their rows and partitions),
and asks for a run of ``load_nba_games`` for every game in progress whose scoreboard state (period,
clock, score) changed since the run it last asked for, plus exactly one run when a game goes final.
Run keys make a repeated request harmless; the cursor keeps each game's last state.
"""

import dagster as dg

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.http_retry import HttpGaveUp
from clutch_pipeline.nba.games import register_games
from clutch_pipeline.nba.partitions import LOAD_NBA_GAMES_JOB, nba_games
from clutch_pipeline.nba.resources import NbaResource
from clutch_pipeline.nba.schedule import (
    ScheduleError,
    dump_cursor,
    load_cursor,
    parse_scoreboard,
    plan_live_runs,
    scoreboard_fingerprints,
)
from clutch_pipeline.nba.sources import NbaPayloadError

LIVE_INTERVAL_SECONDS = 300


@dg.sensor(
    name="nba_live_games",
    job_name=LOAD_NBA_GAMES_JOB,
    minimum_interval_seconds=LIVE_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Stopped by default (it calls cdn.nba.com; start it in the UI where that is wanted). Every five "
        "minutes: reads today's scoreboard, registers new games as partitions, runs load_nba_games for "
        "games in progress whose state changed since their last run, and once more when a game goes final."
    ),
)
def nba_live_games(context: dg.SensorEvaluationContext, postgres: PostgresResource, nba: NbaResource):
    skipped_games: list[str] = []
    try:
        with nba.sources() as sources:
            games = parse_scoreboard(sources.cdn_scoreboard(), skipped=skipped_games)
    except (HttpGaveUp, NbaPayloadError, ScheduleError) as exc:
        # Not the sensor's failure: the cursor stays, and the next tick tries again.
        return dg.SkipReason(f"scoreboard unavailable: {exc}")
    for line in skipped_games:
        context.log.warning(f"scoreboard game skipped: {line}")
    cursor = load_cursor(context.cursor, on_reset=context.log.warning)
    plan = plan_live_runs(games, cursor, scoreboard_fingerprints(games))
    if games:
        with postgres.connection() as conn:
            register_games(conn, games)  # status, tip-off and score of every game on the board
    for game_id, reason in plan.skipped.items():
        context.log.debug(f"{game_id}: {reason}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=run_key, partition_key=game_id, tags={"clutch/trigger": "nba_live_games"})
            for game_id, run_key in plan.runs
        ],
        dynamic_partitions_requests=[nba_games.build_add_request(plan.new_games)] if plan.new_games else [],
        cursor=dump_cursor(plan.cursor),
    )
