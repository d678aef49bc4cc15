"""How the alignment stage's assets are partitioned, and the names of its Dagster definitions for code
that names them (the CLI, the main job, benchmarks, sensors).

- ``wearables_daily_summary`` by the athlete's LOCAL date (``athlete_days``): a range of days is one run
  that recomputes every device's summaries of those days. What refreshes it is the queue of days whose
  WHOOP records changed (sql/013), not the WHOOP sync's UTC partitions, which are not the records' days.
- Everything that pairs wearables with games (pregame context, aligned actions, clutch scores, features)
  by NBA season (``nba_seasons``): percentiles are within a season, features run over a season, and a
  season's run recomputes only the games that need it (reloaded, their wearables days changed, never
  aligned) unless asked for all of them.
"""

from __future__ import annotations

import dagster as dg

ATHLETE_DAYS = "athlete_local_days"
NBA_SEASONS = "nba_seasons"

DAILY_SUMMARY_ASSET = "wearables_daily_summary"
PREGAME_CONTEXT_ASSET = "pregame_context"
ACTION_WEARABLES_ASSET = "clutch_action_wearables"
SITUATION_SCORES_ASSET = "clutch_performance_scores"
GAME_SCORES_ASSET = "clutch_game_scores"
FEATURES_ASSET = "ml_features"
ALIGNMENT_OP = "clutch_alignment"  # the multi-asset: run config {"ops": {this: {"config": ...}}}

SUMMARIES_JOB = "refresh_daily_summaries"
ALIGNMENT_JOB = "align_clutch_games"

# The WHOOP history we pair with games starts with the 2021-22 season (whoop/partitions.py).
FIRST_DAY = "2021-01-01"
FIRST_SEASON, LAST_SEASON = 2021, 2035


def season_name(start_year: int) -> str:
    """2022 -> "2022-23", as games.season spells it."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


# An athlete east of UTC lives a day ahead of it: his local today is a partition from the start.
athlete_days = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC", end_offset=2)
nba_seasons = dg.StaticPartitionsDefinition(
    [season_name(year) for year in range(FIRST_SEASON, LAST_SEASON + 1)]
)
