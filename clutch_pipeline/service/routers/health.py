"""``GET /api/health``: the service answers and its database too."""

from __future__ import annotations

from fastapi import APIRouter

from clutch_pipeline.service.dependencies import Database

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health")
def health(conn: Database) -> dict:
    conn.execute("SELECT 1")
    return {"status": "ok"}
