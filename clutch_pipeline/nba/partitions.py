"""NBA games as a Dagster dynamic partition, keyed by the NBA's game id ("0022200552"), and the names of
the NBA stage's Dagster definitions, for code that names them (the CLI, the main job, benchmarks)."""

import dagster as dg

NBA_GAMES_PARTITIONS = "nba_games"
NBA_GAMES_LOAD_OP = "nba_games_load"  # the multi-asset of assets.py: run config {"ops": {this: ...}}
LOAD_NBA_GAMES_JOB = "load_nba_games"
NBA_PLAY_BY_PLAY_ASSET = "nba_play_by_play"
CLUTCH_SITUATIONS_ASSET = "clutch_situations"
CLUTCH_PLAYER_ACTIONS_ASSET = "clutch_player_actions"

nba_games = dg.DynamicPartitionsDefinition(name=NBA_GAMES_PARTITIONS)
