"""The read API's JSON: one pydantic model per answer, every field described, so the OpenAPI description
at ``/openapi.json`` (and ``/docs``) documents each one. Values the pipeline does not have are null,
never invented; ids are our UUIDs beside the NBA's own."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class Error(BaseModel):
    detail: str = Field(description="What went wrong, in plain words.")


# Every route of the read API may answer these (a route adds its own 404 or 503 where it can happen).
ERRORS: dict = {
    400: {"model": Error, "description": "A malformed id, date or season."},
    401: {"model": Error, "description": "Missing or wrong X-API-Key."},
    404: {"model": Error, "description": "No such player or game."},
    422: {"model": Error, "description": "A parameter out of its range, or a malformed body."},
}


# ---------------------------------------------------------------------------------------------------
# Players and games


class Player(BaseModel):
    player_id: uuid.UUID = Field(description="Our id of the player.")
    nba_person_id: int = Field(description="The NBA's person id of the player (stats.nba.com).")
    name: str = Field(description="The player's name as the play-by-play gives it.")
    team_tricode: str | None = Field(description="His team in his latest game we know of; null: none known.")


class Game(BaseModel):
    game_id: uuid.UUID = Field(description="Our id of the game.")
    nba_game_id: str = Field(description="The NBA's ten-digit game id, e.g. '0022200001'.")
    season: str = Field(description="The season, e.g. '2022-23'.")
    game_date: date = Field(description="The game's date as schedules print it (US Eastern).")
    tipoff_at: datetime | None = Field(description="Tip-off (UTC); null while no source has given it.")
    status: str = Field(description="scheduled, in_progress, final, postponed or cancelled.")
    home_tricode: str | None = Field(description="The home team's tricode.")
    away_tricode: str | None = Field(description="The away team's tricode.")
    home_score: int | None = Field(description="The home team's final (or latest) points; null before.")
    away_score: int | None = Field(description="The away team's final (or latest) points; null before.")


# ---------------------------------------------------------------------------------------------------
# A player's clutch season


class ClutchGame(BaseModel):
    game_id: uuid.UUID = Field(description="Our id of the game.")
    nba_game_id: str = Field(description="The NBA's game id.")
    game_date: date = Field(description="The game's date.")
    opponent: str | None = Field(description="The opponent's tricode; null when his team is unknown.")
    home: bool | None = Field(description="Whether his team played at home; null when unknown.")
    situations: int = Field(description="Clutch situations (windows) of the game he acted in.")
    actions_total: int = Field(description="His clutch actions (shots, free throws, assists, ...).")
    points_scored: int = Field(description="His points in clutch time.")
    points_over_expected: float | None = Field(
        description="His clutch points minus the shot model's expected points; null without a shot model."
    )
    clutch_score: float = Field(description="His game clutch score, 0-100 (docs/clutch-score.md).")
    clutch_percentile: float | None = Field(description="Its percentile among the season's game scores.")
    has_wearables_data: bool = Field(description="Whether a pregame wearables state was measured.")
    hrv_baseline_deviation: float | None = Field(
        description="Pregame HRV, % deviation from his 30-day baseline; null without wearables."
    )
    recovery_score_pregame: float | None = Field(
        description="WHOOP recovery (0-100) of the game day's morning; null without wearables."
    )
    sleep_performance_pregame: float | None = Field(
        description="WHOOP sleep performance (0-100) of the night before; null without wearables."
    )


class ClutchPerformance(BaseModel):
    player: Player = Field(description="The player.")
    season: str | None = Field(description="The season shown (the one asked, else his latest with scores).")
    seasons: list[str] = Field(description="Every season in which he has clutch scores, newest first.")
    games: list[ClutchGame] = Field(description="His clutch games of the season, by date.")
    mean_clutch_score: float | None = Field(description="The mean of his game clutch scores this season.")
    games_with_wearables: int = Field(description="How many of these games have a pregame wearables state.")


# ---------------------------------------------------------------------------------------------------
# A game's clutch situations


class Situation(BaseModel):
    situation_id: uuid.UUID = Field(description="Our id of the clutch window.")
    window_number: int | None = Field(description="1, 2, ... in game order.")
    situation_type: str = Field(description="clutch_time, overtime, final_possession or playoff_elimination.")
    period: int = Field(description="The period: 4, then 5, 6, ... for overtimes.")
    start_clock: str | None = Field(description="Game clock at the window's start, e.g. '5:00'.")
    end_clock: str | None = Field(description="Game clock at the window's end.")
    start_elapsed_s: float | None = Field(description="Game-clock seconds since tip-off at its start.")
    end_elapsed_s: float | None = Field(description="Game-clock seconds since tip-off at its end.")
    start_margin: int | None = Field(description="Home minus away points at its start.")
    end_margin: int | None = Field(description="Home minus away points after its last action.")
    start_timestamp: datetime = Field(description="Wall-clock start (UTC), exact or estimated.")
    end_timestamp: datetime = Field(description="Wall-clock end (UTC), exact or estimated.")


class MarginPoint(BaseModel):
    elapsed_s: float = Field(description="Game-clock seconds since tip-off.")
    margin: int = Field(description="Home minus away points from then on.")


class ClutchAction(BaseModel):
    player_id: uuid.UUID = Field(description="Our id of the player who acted.")
    nba_person_id: int = Field(description="His NBA person id.")
    player_name: str = Field(description="His name.")
    team_tricode: str | None = Field(description="The team he acted for.")
    period: int | None = Field(description="The period.")
    clock: str | None = Field(description="The game clock, e.g. '1:23'.")
    elapsed_s: float | None = Field(description="Game-clock seconds since tip-off.")
    action_timestamp: datetime = Field(description="Wall-clock time of the action (UTC), exact or estimated.")
    action_type: str = Field(description="field_goal_made, field_goal_missed, free_throw, turnover, ...")
    action_subtype: str | None = Field(description="e.g. three_pointer, layup, dunk, jump_shot.")
    points: int = Field(description="Points it scored.")
    successful: bool | None = Field(description="Whether a shot went in; null for other actions.")
    points_over_expected: float | None = Field(description="Points minus the shot model's expectation.")
    has_wearables_data: bool = Field(description="Whether his wearables gave a context for this action.")
    workout_match: str | None = Field(
        description="'contains': a WHOOP workout spans the action; 'nearest': the nearest one; null: none."
    )
    workout_strain: float | None = Field(description="That workout's strain (0-21).")
    workout_average_heart_rate: float | None = Field(description="That workout's mean heart rate (bpm).")
    workout_max_heart_rate: float | None = Field(description="That workout's max heart rate (bpm).")
    hrv_rmssd_interpolated: float | None = Field(description="HRV (ms) interpolated at the action.")
    resting_hr_interpolated: float | None = Field(description="Resting HR (bpm) interpolated at the action.")
    wearables_quality_score: float | None = Field(description="Quality of that context, 0-1.")


class ClutchSituations(BaseModel):
    game: Game = Field(description="The game.")
    situations: list[Situation] = Field(description="Its clutch windows, in game order.")
    margin: list[MarginPoint] = Field(
        description="Home minus away after each scoring action, from 0 at tip-off (a step line)."
    )
    actions: list[ClutchAction] = Field(description="Every player's clutch actions, in game order.")


# ---------------------------------------------------------------------------------------------------
# The leaderboard


class LeaderboardRow(BaseModel):
    rank: int = Field(description="1 for the best mean clutch score; ties share a rank.")
    player_id: uuid.UUID = Field(description="Our id of the player.")
    nba_person_id: int = Field(description="His NBA person id (ties are listed by it).")
    name: str = Field(description="His name.")
    team_tricode: str | None = Field(description="His team in his latest clutch game of the season.")
    games: int = Field(description="His games with a clutch score this season.")
    mean_clutch_score: float = Field(description="The mean of his game clutch scores, 0-100.")
    total_points_over_expected: float | None = Field(description="His clutch points over expected, summed.")
    games_with_wearables: int = Field(description="His games with a pregame wearables state.")


class Correlation(BaseModel):
    covariate: str = Field(description="The pregame wearables value, as the model names it.")
    n: int = Field(description="Player-games (of the leaderboard's players) that have the value.")
    r: float | None = Field(description="Pearson's r with the game clutch score; null when n < 3.")
    ci_low: float | None = Field(description="Lower end of r's 95% interval (Fisher z); null when n < 4.")
    ci_high: float | None = Field(description="Upper end of r's 95% interval (Fisher z); null when n < 4.")


class Leaderboard(BaseModel):
    season: str | None = Field(description="The season (the one asked, else the latest with scores).")
    min_games: int = Field(description="Players with fewer clutch games are left out.")
    total: int = Field(description="Players who qualify, on every page.")
    limit: int = Field(description="Rows per page.")
    offset: int = Field(description="Rows skipped before this page.")
    next_offset: int | None = Field(description="The offset of the next page; null on the last.")
    rows: list[LeaderboardRow] = Field(description="This page, by rank.")
    correlation: list[Correlation] = Field(
        description="Each wearables value's correlation with the clutch score over the qualifying players' "
        "games, with its sample size: descriptive, not adjusted for the player (the model's effects are)."
    )


# ---------------------------------------------------------------------------------------------------
# Wearables


class DailySummary(BaseModel):
    summary_date: date = Field(description="The athlete's local date.")
    device_type: str = Field(description="The device, e.g. 'whoop'.")
    hrv_rmssd_avg: float | None = Field(description="Mean HRV (RMSSD, ms) of the day's recoveries.")
    hrv_rmssd_min: float | None = Field(description="Lowest HRV (ms).")
    hrv_rmssd_max: float | None = Field(description="Highest HRV (ms).")
    hrv_baseline_deviation: float | None = Field(description="HRV, % deviation from his 30-day baseline.")
    resting_hr_avg: float | None = Field(description="Mean resting heart rate (bpm).")
    resting_hr_min: float | None = Field(description="Lowest resting heart rate (bpm).")
    hr_variability_index: float | None = Field(description="Day-to-day heart rate variability index.")
    day_strain: float | None = Field(description="WHOOP day strain, 0-21.")
    recovery_score: float | None = Field(description="WHOOP recovery, 0-100.")
    sleep_performance_score: float | None = Field(description="WHOOP sleep performance, 0-100.")
    total_sleep_minutes: int | None = Field(description="Minutes asleep.")
    rem_sleep_minutes: int | None = Field(description="Minutes of REM sleep.")
    deep_sleep_minutes: int | None = Field(description="Minutes of deep (slow-wave) sleep.")
    sleep_efficiency: float | None = Field(description="Time asleep over time in bed, %.")
    respiratory_rate_avg: float | None = Field(description="Mean respiratory rate (breaths/min).")
    data_completeness: float | None = Field(description="Share of the day's expected records present, 0-1.")
    data_source: str = Field(description="Where the values came from, e.g. 'whoop_v2'.")
    updated_at: datetime = Field(description="When this summary was last computed.")


class Summaries(BaseModel):
    player: Player = Field(description="The athlete.")
    start: date = Field(description="First date asked (his local date).")
    end: date = Field(description="Last date asked (included).")
    days: list[DailySummary] = Field(description="His daily summaries in the range, by date.")


class Reading(BaseModel):
    record_type: str = Field(description="The WHOOP record it came from: cycle, recovery, sleep or workout.")
    record_id: str = Field(description="WHOOP's id of that record.")
    metric_type: str = Field(description="The metric, e.g. hrv_rmssd, recovery_score, workout_strain.")
    value: float = Field(description="Its value, in ``unit``.")
    unit: str | None = Field(description="The unit, e.g. ms, bpm, %, min.")
    start: datetime = Field(description="The record's start, or the reading's instant (UTC).")
    end: datetime | None = Field(description="The record's end (UTC); null for an instantaneous reading.")
    timezone_offset: int | None = Field(description="The athlete's offset from UTC then, in minutes.")
    quality_score: float | None = Field(description="The reading's quality, 0-1.")
    activity_state: str | None = Field(description="resting, active, sleeping, exercising or game.")


class LatestWearables(BaseModel):
    player: Player = Field(description="The athlete.")
    window_start: datetime | None = Field(description="Start of the 24 h window (UTC); null without data.")
    window_end: datetime | None = Field(
        description="End of the window: his latest reading's time (not now: the data may be old)."
    )
    readings: list[Reading] = Field(description="His readings whose time (end, or instant) is in the window.")


class ConsentStatus(BaseModel):
    player_id: uuid.UUID = Field(description="Our id of the player.")
    nba_person_id: int = Field(description="His NBA person id.")
    device: str | None = Field(description="'whoop' when he has a device row; null otherwise.")
    consent_granted: bool = Field(description="Whether his consent stands now.")
    consent_granted_at: datetime | None = Field(description="When he last granted it.")
    consent_revoked_at: datetime | None = Field(description="When he last revoked it.")
    needs_reauthorization: bool = Field(description="WHOOP refused his tokens: he must authorize again.")
    sync_status: str | None = Field(description="pending, syncing, success or error.")
    sync_error: str | None = Field(description="The last sync error, in plain words.")
    last_sync_at: datetime | None = Field(description="The last successful sync.")


class Revoked(BaseModel):
    player_id: uuid.UUID = Field(description="Our id of the player.")
    nba_person_id: int = Field(description="His NBA person id.")
    consent_granted: bool = Field(description="Always false after a revocation.")
    whoop_access_revoked: bool = Field(description="Whether WHOOP confirmed it revoked our access.")
    rows_deleted: dict[str, int] = Field(description="Rows of his wearables data deleted, per table.")


# ---------------------------------------------------------------------------------------------------
# Predictions


class GameContext(BaseModel):
    """A game described rather than named (for a game we do not have)."""

    is_playoff: bool = Field(False, description="Whether it is a playoff game.")
    days_since_last_game: int | None = Field(
        None, ge=0, description="Days since his previous game; null: unknown (the model's indicator)."
    )
    home: bool | None = Field(
        None,
        description="Whether he plays at home: needed when the published model adjusts for home or away "
        "(a 400 says so), else listed in unused_inputs.",
    )


class WearablesState(BaseModel):
    """His pregame wearables state; a value left out is missing, never filled in."""

    recovery_score: float | None = Field(None, ge=0, le=100, description="WHOOP recovery, 0-100.")
    hrv_baseline_deviation: float | None = Field(
        None, ge=-100, le=1000, description="HRV, % deviation from his 30-day baseline."
    )
    sleep_performance: float | None = Field(None, ge=0, le=100, description="WHOOP sleep performance, 0-100.")


class PredictRequest(BaseModel):
    player: str = Field(description="The player: NBA person id or our UUID.", examples=["1628369"])
    game: str | None = Field(
        None, description="A game (NBA game id or UUID) with his pregame context; or give ``context``."
    )
    context: GameContext | None = Field(None, description="The game described, when no ``game`` is named.")
    score_margin: int = Field(
        0, ge=-50, le=50, description="The clutch margin from his side to predict for (0: a tied game)."
    )
    wearables: WearablesState | None = Field(
        None, description="His wearables state; omitted: the game's stored pregame state (or none)."
    )


class Prediction(BaseModel):
    player: Player = Field(description="The player.")
    game: Game | None = Field(description="The game, when one was named.")
    model_version: str = Field(description="The published model that predicted.")
    predicted_clutch_score: float = Field(description="The predictive mean of his game clutch score, 0-100.")
    interval_low: float = Field(description="Lower end of the 94% predictive interval.")
    interval_high: float = Field(description="Upper end of the 94% predictive interval.")
    interval_probability: float = Field(description="The interval's probability: 0.94.")
    wearables_used: bool = Field(description="Whether any wearables value entered the prediction.")
    wearables_source: Literal["request", "pregame_context"] | None = Field(
        description="Where the wearables values came from; null: none were given or stored."
    )
    missing_covariates: list[str] = Field(
        description="Covariates with no value: predicted by the model's missing-value indicator, not filled."
    )
    known_player: bool = Field(
        description="Whether the model was fitted on him; false: his intercept is the league's (wider)."
    )
    inputs: dict[str, bool | int | float | None] = Field(
        description="The covariate values the model was given."
    )
    unused_inputs: list[str] = Field(description="Inputs accepted but not in the model (e.g. home).")
