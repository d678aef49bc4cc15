"""A player's wearables consent, for the team's tools (behind ``X-API-Key``): its status, and its
withdrawal, which deletes his wearables data everywhere it went."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from clutch_pipeline.service.dependencies import Config, Database, Whoop, require_api_key
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.consent import revoke_consent

router = APIRouter(
    prefix="/api/players/{nba_person_id}/wearables",
    tags=["wearables"],
    dependencies=[Depends(require_api_key)],
)


@router.get("/consent-status")
def consent_status(nba_person_id: int, conn: Database) -> dict:
    status = store.consent_status(conn, nba_person_id)
    if status is None:
        raise HTTPException(404, f"no player {nba_person_id}")
    return {
        "nba_person_id": nba_person_id,
        "device": "whoop" if status["has_device"] else None,
        "consent_granted": status["consent_granted"],
        "consent_granted_at": status["consent_granted_at"],
        "consent_revoked_at": status["consent_revoked_at"],
        "needs_reauthorization": bool(status["needs_reauthorization"]),
        "sync_status": status["sync_status"],
        "sync_error": status["sync_error_message"],
        "last_sync_at": status["last_sync_at"],
    }


@router.delete("/revoke-consent")
def revoke(nba_person_id: int, config: Config, whoop: Whoop, conn: Database) -> dict:
    with whoop.open(conn, clock=config.clock) as session:
        revoked = revoke_consent(conn, session, nba_person_id)
    if revoked is None:
        raise HTTPException(404, f"player {nba_person_id} has no WHOOP device")
    return {
        "nba_person_id": nba_person_id,
        "consent_granted": False,
        "whoop_access_revoked": revoked.whoop_told,
        "rows_deleted": revoked.rows_deleted,
    }
