"""A player's clutch season and a game's clutch situations, behind ``X-API-Key`` (they carry athletes'
wearables values). Players and games are named by the NBA's ids or ours."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from clutch_pipeline.alignment.store import reads
from clutch_pipeline.service.dependencies import Database, GameRef, PlayerRef, checked_season, require_api_key
from clutch_pipeline.service.schemas import ERRORS, ClutchPerformance, ClutchSituations

router = APIRouter(prefix="/api", tags=["clutch"], dependencies=[Depends(require_api_key)], responses=ERRORS)


@router.get("/players/{player}/clutch-performance", response_model=ClutchPerformance)
def clutch_performance(
    player: PlayerRef,
    conn: Database,
    season: str | None = Query(None, description="The season, e.g. 2022-23; omitted: his latest."),
) -> dict:
    """His game clutch scores of a season, by date, with the pregame wearables state of each game
    (null where he had none). ``{player}``: his NBA person id or our UUID."""
    season = checked_season(season)
    seasons = reads.player_seasons(conn, player["player_id"])
    season = season or (seasons[0] if seasons else None)
    games = reads.player_clutch_games(conn, player["player_id"], season) if season else []
    scores = [g["clutch_score"] for g in games]
    return {
        "player": player,
        "season": season,
        "seasons": seasons,
        "games": games,
        "mean_clutch_score": round(sum(scores) / len(scores), 2) if scores else None,
        "games_with_wearables": sum(g["has_wearables_data"] for g in games),
    }


@router.get("/games/{game}/clutch-situations", response_model=ClutchSituations)
def clutch_situations(game: GameRef, conn: Database) -> dict:
    """A game's clutch windows on the game clock, the score margin over the whole game, and every
    player's clutch actions with his wearables context where he had one. ``{game}``: the NBA game id
    ('0022200001') or our UUID."""
    return {"game": game, **reads.game_clutch_detail(conn, game["game_id"])}
