"""NBA games as a Dagster dynamic partition, keyed by the NBA's game id ("0022200552")."""

import dagster as dg

nba_games = dg.DynamicPartitionsDefinition(name="nba_games")
