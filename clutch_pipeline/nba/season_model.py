"""Each season's shot model, as stored in ``nba_shot_models``: reused while it is fresh, else fitted on
every loaded shot of the season (a run's games from memory, the others from the raw table).

Expected points in the clutch rows come from it (``shots.py`` for the model itself).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import psycopg

from clutch_pipeline.nba import store
from clutch_pipeline.nba.clutch_rows import Derived
from clutch_pipeline.nba.parse import SOURCE_CDN
from clutch_pipeline.nba.shots import Shot, ShotCounts, ShotModel, add_counts, count_shots, shot_family

# A season's stored shot model is reused until its loaded games grow by more than this share.
SHOT_MODEL_STALE_SHARE = 0.02
NO_MODEL = "none"  # the version clutch rows record when their season has no shot to fit on


def model_version(model: ShotModel | None) -> str:
    return NO_MODEL if model is None else model.version()


def season_shot_model(
    conn: psycopg.Connection, season: str, in_run: Sequence[Derived] = ()
) -> tuple[ShotModel | None, str | None]:
    """The season's shot model (the stored one while it is fresh, else fitted now and stored) and how
    it was obtained, for the run's report; ``in_run``: the run's parsed games of that season."""
    rows, fitted_games = store.shot_model_rows(conn, season)
    games = store.loaded_games_in_season(conn, season)
    if rows and games <= fitted_games * (1 + SHOT_MODEL_STALE_SHARE):
        return ShotModel.from_rows(rows), f"reused (fitted on {fitted_games} games)"
    model = _fit(conn, season, in_run)
    if model is None:
        return None, None
    store.replace_shot_model(conn, season, model.to_rows(), games)
    return model, f"fitted on {games} games"


def _fit(conn: psycopg.Connection, season: str, in_run: Sequence[Derived]) -> ShotModel | None:
    """Fit on every loaded shot of the season: this run's from memory, the other games' from raw (not
    read at all when this run holds every loaded game of the season, as a season backfill does)."""
    counts: ShotCounts = {}
    for item in in_run:
        add_counts(counts, item.shot_counts)
    made = sum(item.free_throws[0] for item in in_run)
    attempted = sum(item.free_throws[1] for item in in_run)
    exclude = sorted({item.game_id for item in in_run})
    if not store.loaded_games_outside(conn, season, exclude):
        return ShotModel.from_counts(counts, made, attempted) if counts else None
    count_shots(_stored_shots(conn, season, exclude), into=counts)
    stored_made, stored_attempted = store.season_free_throws(conn, season, exclude)
    if not counts:
        return None
    return ShotModel.from_counts(counts, made + stored_made, attempted + stored_attempted)


def _stored_shots(conn: psycopg.Connection, season: str, exclude: Sequence[str]) -> Iterator[Shot]:
    """The season's field goals in the raw table, but for the games in ``exclude``."""
    for (
        source,
        action_type,
        sub_type,
        description,
        player,
        distance,
        x,
        y,
        value,
        result,
    ) in store.season_field_goals(conn, season, exclude):
        value = int(value or 0) or (3 if (action_type == "3pt" or "3PT" in (description or "")) else 2)
        yield Shot(
            value=value,
            distance_feet=float(distance) if distance not in (None, "") else None,
            x=float(x) if x not in (None, "") else None,
            y=float(y) if y not in (None, "") else None,
            # As shot_from_action reads a parsed action: v3 names the whole shot in subType.
            family=(
                shot_family(sub_type)
                if source != SOURCE_CDN and sub_type
                else shot_family(sub_type or "", description or "", player)
            ),
            made=result == "Made" if source == SOURCE_CDN else action_type == "Made Shot",
        )
