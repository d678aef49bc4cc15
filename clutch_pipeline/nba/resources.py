"""The NBA as a Dagster resource: where play-by-play comes from (an archive, the CDN, stats.nba.com v3)."""

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import dagster as dg
from pydantic import Field

from clutch_pipeline.http_retry import HttpGaveUp, RetryPolicy
from clutch_pipeline.nba.archive import PlayByPlayArchive
from clutch_pipeline.nba.prepare import GameInput
from clutch_pipeline.nba.sources import NbaPayloadError, NbaSources
from clutch_pipeline.settings import load_settings

STOP_AFTER_FAILURES = 3


class NbaResource(dg.ConfigurableResource):
    """Play-by-play for a list of games: from a local archive when one is given and lists the game,
    otherwise over HTTP (CDN first, stats v3 when the CDN does not serve the game)."""

    stats_base_url: str | None = Field(default=None, description="Empty: NBA_STATS_BASE_URL.")
    cdn_base_url: str | None = Field(default=None, description="Empty: NBA_CDN_BASE_URL.")
    timeout_seconds: float = Field(default=20.0, description="Read timeout of one request.")
    retry_attempts: int = Field(default=5, description="Attempts per request (5xx, 429, timeouts).")
    retry_base_seconds: float = Field(default=1.0, description="First backoff; doubles, with jitter.")

    def play_by_play(
        self,
        game_ids: Sequence[str],
        *,
        archive_path: str | None = None,
        manifest_path: str | None = None,
        manifest_csv: str | None = None,
    ) -> Iterator[GameInput]:
        """Each game, in order; ``manifest_csv``: the archive's manifest as a backfill's plan read it."""
        remaining = list(game_ids)
        if archive_path:
            archive = PlayByPlayArchive(
                Path(archive_path), Path(manifest_path) if manifest_path else None, manifest_csv=manifest_csv
            )
            listed = [g for g in remaining if archive.entry(g)]
            # Decoded by the loader, which may spread that work over processes.
            for item in archive.read(listed, decode=False):
                yield GameInput(
                    game_id=item.entry.game_id,
                    origin=f"{archive.path.name}:{item.entry.file}",
                    payload=None,
                    game_date=item.entry.game_date,
                    final=True,  # an archive holds games that are over
                    error=item.error,
                    content_sha256=item.content_sha256,
                    undecoded=(item.entry.file, item.data) if item.data is not None else None,
                )
            remaining = [g for g in remaining if not archive.entry(g)]
        if remaining:
            yield from self._over_http(remaining)

    def sources(self) -> NbaSources:
        settings = load_settings()
        return NbaSources(
            stats_base_url=self.stats_base_url or settings.nba_stats_base_url,
            cdn_base_url=self.cdn_base_url or settings.nba_cdn_base_url,
            read_timeout=self.timeout_seconds,
            retry=RetryPolicy(attempts=self.retry_attempts, base_seconds=self.retry_base_seconds),
        )

    def _over_http(self, game_ids: Sequence[str]) -> Iterator[GameInput]:
        """Each game from the CDN, or stats v3 when the CDN does not serve it; a game that cannot be
        fetched after bounded retries is yielded with its error, and the others go on."""
        failures_in_a_row = 0
        with self.sources() as sources:
            for position, game_id in enumerate(game_ids):
                if failures_in_a_row >= STOP_AFTER_FAILURES:
                    # stats.nba.com locks data-centre clients out for an hour after a few hundred calls:
                    # stop cleanly; the games not attempted are recorded and the next backfill resumes.
                    for rest in game_ids[position:]:
                        yield GameInput(
                            game_id=rest,
                            origin="http",
                            payload=None,
                            error=f"not attempted: the NBA stopped answering ({failures_in_a_row} in a row)",
                        )
                    return
                try:
                    source, payload = sources.play_by_play(game_id)
                except HttpGaveUp as exc:
                    failures_in_a_row += 1
                    yield GameInput(game_id=game_id, origin="http", payload=None, error=str(exc))
                    continue
                except NbaPayloadError as exc:
                    yield GameInput(game_id=game_id, origin="http", payload=None, error=str(exc))
                    continue
                failures_in_a_row = 0
                actions = (payload.get("game") or {}).get("actions")
                digest = hashlib.sha256(json.dumps(actions, sort_keys=True).encode()).hexdigest()
                yield GameInput(
                    game_id=game_id,
                    origin=f"{source}:{game_id}",
                    payload=payload,
                    source=source,
                    content_sha256=digest,
                )
