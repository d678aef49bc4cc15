"""A player's wearables, for the team's tools (behind ``X-API-Key``): his latest 24 hours of WHOOP
readings, his daily summaries, his consent's status, and its withdrawal, which deletes his wearables
data everywhere it went. ``{player}``: his NBA person id or our UUID."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query

from clutch_pipeline.alignment.store import reads
from clutch_pipeline.service.dependencies import (
    Config,
    Database,
    PlayerRef,
    Whoop,
    checked_date,
    require_api_key,
)
from clutch_pipeline.service.schemas import ERRORS, ConsentStatus, LatestWearables, Revoked, Summaries
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.consent import revoke_consent

# A year of days at most per request: a longer range is a 400 (ask again with the next range).
MAX_SUMMARY_DAYS = 366

router = APIRouter(
    prefix="/api/players/{player}/wearables",
    tags=["wearables"],
    dependencies=[Depends(require_api_key)],
    responses=ERRORS,
)


@router.get("/latest", response_model=LatestWearables)
def latest(player: PlayerRef, conn: Database) -> dict:
    """His readings of the 24 hours ending at his latest one, with that window (his latest, not now:
    the data may be old)."""
    return {"player": player, **reads.latest_wearables(conn, player["player_id"])}


@router.get("/summary", response_model=Summaries)
def summary(
    player: PlayerRef,
    conn: Database,
    start: str = Query(description="First date, e.g. 2022-10-01 (his local date)."),
    end: str = Query(description="Last date, included; at most 366 days after start."),
) -> dict:
    """His daily wearables summaries from ``start`` to ``end``, by date."""
    first, last = checked_date("start", start), checked_date("end", end)
    if last < first:
        raise HTTPException(400, f"end ({last}) is before start ({first})")
    if (last - first).days >= MAX_SUMMARY_DAYS:
        raise HTTPException(400, f"at most {MAX_SUMMARY_DAYS} days per request: ask for a shorter range")
    days = reads.daily_summaries(conn, player["player_id"], first, last)
    return {"player": player, "start": first, "end": last, "days": days}


@router.get("/consent-status", response_model=ConsentStatus)
def consent_status(player: PlayerRef, conn: Database) -> dict:
    """Whether his consent stands, and how his WHOOP sync is doing."""
    status = store.consent_status(conn, player["nba_person_id"])
    return {
        "player_id": player["player_id"],
        "nba_person_id": player["nba_person_id"],
        "device": "whoop" if status["has_device"] else None,
        "consent_granted": status["consent_granted"],
        "consent_granted_at": status["consent_granted_at"],
        "consent_revoked_at": status["consent_revoked_at"],
        "needs_reauthorization": bool(status["needs_reauthorization"]),
        "sync_status": status["sync_status"],
        "sync_error": status["sync_error_message"],
        "last_sync_at": status["last_sync_at"],
    }


@router.delete(
    "/revoke-consent",
    response_model=Revoked,
    responses={503: {"description": "WHOOP is not configured on this service."}},
)
def revoke(whoop: Whoop, config: Config, player: PlayerRef, conn: Database) -> dict:
    """Withdraw his consent: WHOOP is told (best effort) and every wearables row of his is deleted."""
    with whoop.open(conn, clock=config.clock) as session:
        revoked = revoke_consent(conn, session, player["nba_person_id"])
    if revoked is None:
        raise HTTPException(404, f"player {player['nba_person_id']} has no WHOOP device")
    return {
        "player_id": player["player_id"],
        "nba_person_id": player["nba_person_id"],
        "consent_granted": False,
        "whoop_access_revoked": revoked.whoop_told,
        "rows_deleted": revoked.rows_deleted,
    }
