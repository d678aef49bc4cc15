"""Every environment variable the project reads, its default and meaning, in one place.

This is the only module that reads ``os.environ``, and nothing in the package writes it: settings are read
once and passed on (to resources in ``definitions.py``, to functions). The one exception is what Dagster
itself reads only from the environment, set in one place (``runs.py``). The README's configuration table
is checked against ``SETTINGS`` by a test, so a new variable cannot go undocumented.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    meaning: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CLUTCH_HOME",
        "~/.clutch",
        "Folder for local state: the embedded PostgreSQL (`pgdata/`), the Dagster home (`dagster/`).",
    ),
    Setting(
        "CLUTCH_DATABASE_URL",
        None,
        "PostgreSQL URL for the application tables (`postgresql://user:pass@host:5432/db`). "
        "Unset: an embedded PostgreSQL (pgserver) under `CLUTCH_HOME/pgdata`, database `clutch`.",
        secret=True,
    ),
    Setting(
        "CLUTCH_DAGSTER_DATABASE_URL",
        None,
        "PostgreSQL URL for Dagster's own storage (runs, events, schedules). Unset: the database "
        "`dagster` of the embedded server, or `CLUTCH_DATABASE_URL` when that is set.",
        secret=True,
    ),
    Setting(
        "CLUTCH_ALERT_WEBHOOK_URL",
        None,
        "When set, the run-failure sensor POSTs a short JSON message about every failed run here, and the "
        "`wearables_alerts` sensor one message per open problem (docs/alerts.md).",
        secret=True,
    ),
    Setting(
        "CLUTCH_ALERT_DEVICE_PROBLEM_MINUTES",
        "120",
        "How long a WHOOP device may need re-authorization or stay in sync error before it is alerted.",
    ),
    Setting(
        "CLUTCH_ALERT_DEVICE_SILENT_MINUTES",
        "180",
        "How long a consented WHOOP device may go without a successful sync before it is alerted: three "
        "hourly syncs by default; with the webhook planner (a cycle refresh every 12 h) set about 900.",
    ),
    Setting(
        "CLUTCH_POOL_WHOOP_API",
        "2",
        "Dagster pool `whoop_api`: how many steps may call the WHOOP API at once, across all runs.",
    ),
    Setting(
        "CLUTCH_POOL_NBA_API",
        "1",
        "Dagster pool `nba_api`: how many steps may call stats.nba.com or the NBA CDN at once.",
    ),
    Setting(
        "CLUTCH_POOL_DB_BULK",
        "2",
        "Dagster pool `db_bulk`: how many bulk loads (COPY of a season, rebuilds) may run at once.",
    ),
    Setting(
        "DAGSTER_EVENT_BATCH_SIZE",
        "2000",
        "Dagster's own setting, which `clutch` sets for the runs and the `clutch dev` it starts: how many "
        "events of a step Dagster stores in one INSERT. A season backfill records 1,229 materializations: "
        "batched, about 1 ms each instead of about 8 on PostgreSQL. `0` turns batching off.",
    ),
    Setting(
        "NBA_STATS_BASE_URL",
        "https://stats.nba.com/stats",
        "Base URL of stats.nba.com (`playbyplayv3`, league game logs); tests point it at a local server.",
    ),
    Setting(
        "NBA_CDN_BASE_URL",
        "https://cdn.nba.com/static/json",
        "Base URL of the NBA CDN (liveData play-by-play and scoreboard, staticData schedule).",
    ),
    Setting(
        "CLUTCH_NBA_OFFICIAL_CLUTCH",
        None,
        "Official `leaguedashplayerclutch` tables to validate against, as `season=path` pairs separated "
        "by commas (e.g. `2022-23=../shared/data/nba_2022_23/official_clutch/leaguedashplayerclutch_"
        "2022-23_RS_base_totals.csv`); regular season. Unset: the check is skipped.",
    ),
    Setting(
        "WHOOP_BASE_URL",
        "https://api.prod.whoop.com",
        "WHOOP's host: the API is under `/developer/v2`, OAuth under `/oauth/oauth2`. Tests and the main "
        "job point it at the WHOOP simulator.",
    ),
    Setting("WHOOP_CLIENT_ID", None, "The app's OAuth client id (WHOOP Developer Dashboard)."),
    Setting(
        "WHOOP_CLIENT_SECRET",
        None,
        "The app's OAuth client secret; also the key of WHOOP's webhook signatures.",
        secret=True,
    ),
    Setting(
        "WHOOP_REDIRECT_URI",
        "http://127.0.0.1:8000/api/auth/whoop/callback",
        "The OAuth redirect URI registered with WHOOP: `clutch serve`'s `/api/auth/whoop/callback`.",
    ),
    Setting(
        "CLUTCH_TOKEN_KEYS",
        None,
        "Fernet keys that encrypt WHOOP tokens at rest, comma-separated, newest first (new tokens use the "
        "first; all decrypt). Unset: a key generated once in `CLUTCH_HOME/token_keys` (mode 600), for "
        "local use only.",
        secret=True,
    ),
    Setting(
        "CLUTCH_WHOOP_FIRST_SYNC_DAYS",
        "30",
        "How many days back a newly authorized device's first sync reaches.",
    ),
    Setting(
        "CLUTCH_WHOOP_REQUESTS_PER_MINUTE",
        "100",
        "The app's WHOOP rate limit per minute, counted in PostgreSQL across every process (WHOOP raises "
        "it on request).",
    ),
    Setting(
        "CLUTCH_WHOOP_REQUESTS_PER_DAY", "10000", "The app's WHOOP rate limit per day, counted likewise."
    ),
    Setting(
        "CLUTCH_WHOOP_WEBHOOK_TOLERANCE_SECONDS",
        "300",
        "How old a WHOOP webhook's signed timestamp may be before the delivery is refused (401): a "
        "captured delivery cannot be replayed later; WHOOP's retries and the reconciliation sync catch up.",
    ),
    Setting(
        "CLUTCH_API_KEYS",
        None,
        "API keys accepted by `clutch serve` (header `X-API-Key` on every read of athlete data, and the "
        "staff sign-in of the pages), comma-separated. Unset: a key generated once in "
        "`CLUTCH_HOME/api_keys` (mode 600), for local use; `clutch serve` prints where.",
        secret=True,
    ),
    Setting(
        "CLUTCH_SESSION_SECRET",
        None,
        "The key that signs staff sessions of the pages (after `/sign-in` with an API key) and athletes' "
        "consent links (`clutch whoop consent-link`); every replica of the service needs the same. Unset: "
        "a key generated once in `CLUTCH_HOME/session_key` (mode 600), for local use only.",
        secret=True,
    ),
    Setting(
        "CLUTCH_MODEL_STORE",
        None,
        "Where the model's traces are published: `s3://bucket/prefix` (Cloudflare R2, AWS S3 or any "
        "S3-compatible server; credentials from the standard `AWS_ACCESS_KEY_ID` / "
        "`AWS_SECRET_ACCESS_KEY` variables or an AWS profile) or a local folder. Unset: "
        "`CLUTCH_HOME/traces`.",
    ),
    Setting(
        "CLUTCH_S3_ENDPOINT_URL",
        None,
        "The S3 endpoint for an `s3://` model store that is not AWS: R2's "
        "`https://<account>.r2.cloudflarestorage.com`, or a local server. Unset: AWS S3.",
    ),
    Setting(
        "CLUTCH_S3_REGION",
        "auto",
        "The region the S3 client signs for: `auto` for R2 (with no endpoint set, `auto` lets boto3 "
        "choose its default region); for AWS S3 the bucket's region.",
    ),
    Setting(
        "CLUTCH_TEST_DATABASE_URL",
        None,
        "Tests only: a PostgreSQL server URL to run the suite against (e.g. "
        "`postgresql://postgres@127.0.0.1:5432/test`) instead of a throwaway embedded one.",
        secret=True,
    ),
)

POOL_SETTINGS: Mapping[str, str] = {
    "whoop_api": "CLUTCH_POOL_WHOOP_API",
    "nba_api": "CLUTCH_POOL_NBA_API",
    "db_bulk": "CLUTCH_POOL_DB_BULK",
}


@dataclass(frozen=True)
class Settings:
    clutch_home: Path
    database_url: str | None
    dagster_database_url: str | None
    alert_webhook_url: str | None
    alert_device_problem_minutes: int
    alert_device_silent_minutes: int
    pool_limits: Mapping[str, int]
    dagster_event_batch_size: int
    nba_stats_base_url: str
    nba_cdn_base_url: str
    nba_official_clutch: Mapping[str, Path]
    test_database_url: str | None
    whoop_base_url: str
    whoop_client_id: str | None
    whoop_client_secret: str | None
    whoop_redirect_uri: str
    token_keys: tuple[str, ...]
    whoop_first_sync_days: int
    whoop_requests_per_minute: int
    whoop_requests_per_day: int
    api_keys: tuple[str, ...]
    session_secret: str | None
    whoop_webhook_tolerance_seconds: int
    model_store: str
    s3_endpoint_url: str | None
    s3_region: str

    @property
    def embedded_pgdata(self) -> Path:
        return self.clutch_home / "pgdata"

    @property
    def dagster_home(self) -> Path:
        return self.clutch_home / "dagster"

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None


def _value(environ: Mapping[str, str], name: str) -> str | None:
    raw = environ.get(name, "").strip()
    if raw:
        return raw
    default = next(s.default for s in SETTINGS if s.name == name)
    return default


def _season_paths(raw: str | None) -> dict[str, Path]:
    paths = {}
    for pair in (raw or "").split(","):
        if not pair.strip():
            continue
        season, _, path = pair.partition("=")
        if not path or len(season.strip()) != 7:
            raise ValueError(f"CLUTCH_NBA_OFFICIAL_CLUTCH: expected season=path (2022-23=...), got {pair!r}")
        paths[season.strip()] = Path(path.strip()).expanduser()
    return paths


def _whole_number(environ: Mapping[str, str], name: str, minimum: int) -> int:
    raw = _value(environ, name)
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {number}")
    return number


def _positive_int(environ: Mapping[str, str], name: str) -> int:
    return _whole_number(environ, name, minimum=1)


def _list(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (the process environment by default)."""
    env = os.environ if environ is None else environ
    pool_limits = {pool: _positive_int(env, name) for pool, name in POOL_SETTINGS.items()}
    clutch_home = Path(_value(env, "CLUTCH_HOME")).expanduser()
    return Settings(
        clutch_home=clutch_home,
        database_url=_value(env, "CLUTCH_DATABASE_URL"),
        dagster_database_url=_value(env, "CLUTCH_DAGSTER_DATABASE_URL"),
        alert_webhook_url=_value(env, "CLUTCH_ALERT_WEBHOOK_URL"),
        alert_device_problem_minutes=_positive_int(env, "CLUTCH_ALERT_DEVICE_PROBLEM_MINUTES"),
        alert_device_silent_minutes=_positive_int(env, "CLUTCH_ALERT_DEVICE_SILENT_MINUTES"),
        pool_limits=pool_limits,
        dagster_event_batch_size=_whole_number(env, "DAGSTER_EVENT_BATCH_SIZE", minimum=0),
        nba_stats_base_url=_value(env, "NBA_STATS_BASE_URL").rstrip("/"),
        nba_cdn_base_url=_value(env, "NBA_CDN_BASE_URL").rstrip("/"),
        nba_official_clutch=_season_paths(_value(env, "CLUTCH_NBA_OFFICIAL_CLUTCH")),
        test_database_url=_value(env, "CLUTCH_TEST_DATABASE_URL"),
        whoop_base_url=_value(env, "WHOOP_BASE_URL").rstrip("/"),
        whoop_client_id=_value(env, "WHOOP_CLIENT_ID"),
        whoop_client_secret=_value(env, "WHOOP_CLIENT_SECRET"),
        whoop_redirect_uri=_value(env, "WHOOP_REDIRECT_URI"),
        token_keys=_list(_value(env, "CLUTCH_TOKEN_KEYS")),
        whoop_first_sync_days=_positive_int(env, "CLUTCH_WHOOP_FIRST_SYNC_DAYS"),
        whoop_requests_per_minute=_positive_int(env, "CLUTCH_WHOOP_REQUESTS_PER_MINUTE"),
        whoop_requests_per_day=_positive_int(env, "CLUTCH_WHOOP_REQUESTS_PER_DAY"),
        api_keys=_list(_value(env, "CLUTCH_API_KEYS")),
        session_secret=_value(env, "CLUTCH_SESSION_SECRET"),
        whoop_webhook_tolerance_seconds=_positive_int(env, "CLUTCH_WHOOP_WEBHOOK_TOLERANCE_SECONDS"),
        model_store=_value(env, "CLUTCH_MODEL_STORE") or str(clutch_home / "traces"),
        s3_endpoint_url=_value(env, "CLUTCH_S3_ENDPOINT_URL"),
        s3_region=_value(env, "CLUTCH_S3_REGION"),
    )


def describe_settings(environ: Mapping[str, str] | None = None) -> list[tuple[Setting, str]]:
    """Each setting with how its value in effect should be shown: secrets hidden, defaults marked."""
    env = os.environ if environ is None else environ
    shown = []
    for setting in SETTINGS:
        raw = env.get(setting.name, "").strip()
        if raw:
            value = "(set, hidden)" if setting.secret else raw
        else:
            value = f"(default) {setting.default}" if setting.default is not None else "(unset)"
        shown.append((setting, value))
    return shown


def process_environment() -> dict[str, str]:
    """A copy of this process's environment, for starting child processes with additions."""
    return dict(os.environ)
