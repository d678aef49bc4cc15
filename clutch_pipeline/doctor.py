"""``clutch doctor``: is this installation ready to run? Each check says in plain words what it found
(OK, WARN, FAIL) and, when something is wrong, what to do.

The checks look and do not fix: nothing is migrated, generated or published. What looking needs is
harmless: the embedded PostgreSQL is started (as every command does), the Dagster instance opened
(which creates its tables in a fresh database, as ``clutch dev`` would), and the model store's probe
writes one small object and deletes it. The NBA sources are called only when asked
(``online``): everything else stays on this machine and the configured servers.
"""

from __future__ import annotations

import stat
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from clutch_pipeline.db.connection import check_reachable, redact, resolve_database_urls
from clutch_pipeline.db.migrations import MigrationError, migration_states
from clutch_pipeline.settings import Settings, load_settings

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"
NBA_TIMEOUT = (3.05, 5.0)


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    found: str
    todo: str = ""


def run_checks(*, online: bool = False) -> list[Check]:
    """Every check in order; a configuration that cannot be read stops there (nothing else can run)."""
    try:
        settings = load_settings()
    except ValueError as exc:
        return [Check("configuration", FAIL, str(exc), "fix that variable (`clutch config` lists them all)")]
    checks = [_configuration(settings)]
    for name, check in CHECKS:
        checks.append(_guarded(name, check, settings))
    if online:
        checks.extend(_nba_sources(settings))
    else:
        checks.append(Check("NBA sources", SKIP, "not called (they are on the internet)", "add --online"))
    return checks


def failed(checks: list[Check]) -> bool:
    return any(check.status == FAIL for check in checks)


def _guarded(name: str, check: Callable[[Settings], Check], settings: Settings) -> Check:
    """A check that raised something unforeseen is a FAIL with the error in one line, not a traceback."""
    try:
        return check(settings)
    except Exception as exc:  # a doctor reports every failure and goes on
        found = f"{type(exc).__name__}: {redact_text(str(exc))}"
        return Check(name, FAIL, found, "fix what the error names, then run `clutch doctor` again")


def redact_text(text: str) -> str:
    """One line of an error, with any URL's password hidden."""
    first = (text.strip().splitlines() or [""])[0]
    return " ".join(redact(word) if "://" in word else word for word in first.split(" "))


def _configuration(settings: Settings) -> Check:
    where = (
        "a configured PostgreSQL"
        if settings.database_url
        else f"embedded PostgreSQL in {settings.embedded_pgdata}"
    )
    return Check(
        "configuration", OK, f"settings valid; CLUTCH_HOME={settings.clutch_home}; database: {where}"
    )


def _database(settings: Settings) -> Check:
    name = "database"
    urls = resolve_database_urls(settings)
    try:
        check_reachable(urls.app)
    except Exception as exc:  # DatabaseUnreachable: its message names the server without a password
        todo = (
            "check CLUTCH_DATABASE_URL (host, port, user, password, database) and that the server runs; "
            "unset it to use the embedded PostgreSQL"
            if not urls.embedded
            else "`clutch db stop`, then try again; see the PostgreSQL log in CLUTCH_HOME/pgdata"
        )
        return Check(name, FAIL, str(exc), todo)
    try:
        states = migration_states(urls.app)
    except MigrationError as exc:
        return Check(
            name, FAIL, f"reachable at {redact(urls.app)}, but {exc}", "use the code that matches it"
        )
    pending = [s.migration.label for s in states if s.applied_at is None]
    if pending:
        what = (
            f"a fresh database: none of the {len(states)} migrations applied yet"
            if len(pending) == len(states)
            else f"{len(pending)} migration(s) pending: {', '.join(pending)}"
        )
        return Check(
            name,
            WARN,
            f"reachable at {redact(urls.app)}; {what}",
            "`clutch db upgrade` (clutch run, serve and dev apply them by themselves)",
        )
    return Check(name, OK, f"reachable at {redact(urls.app)}; all {len(states)} migrations applied")


def _dagster_instance(settings: Settings) -> Check:
    from clutch_pipeline.runs import open_instance

    name = "Dagster instance"
    try:
        instance = open_instance(settings)
    except Exception as exc:
        return Check(
            name,
            FAIL,
            redact_text(str(exc)),
            "fix the database first; a separate Dagster database is CLUTCH_DAGSTER_DATABASE_URL",
        )
    try:
        runs = instance.dagster.get_runs_count()
    finally:
        instance.dispose()
    return Check(
        name,
        OK,
        f"storage reachable at {redact(instance.urls.dagster)}; {runs} run(s) recorded; "
        f"DAGSTER_HOME={settings.dagster_home}",
    )


def _model_store(settings: Settings) -> Check:
    """Writes a small probe object through the store's own upload and deletes it: the way a publish
    writes, without moving the latest pointer (the probe's name is not a trace's)."""
    from clutch_pipeline.model.trace_store import TraceStoreError, open_trace_store

    name = "model store"
    store = open_trace_store(
        settings.model_store,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        max_attempts=1,
        connect_timeout=3,
        read_timeout=10,
    )
    probe = f"clutch_doctor_probe_{uuid.uuid4().hex}"
    where = store.location_of("").rstrip("/") or settings.model_store
    todo = (
        "check the bucket, CLUTCH_S3_ENDPOINT_URL and the AWS credentials"
        if settings.model_store.startswith("s3://")
        else "make CLUTCH_MODEL_STORE a folder this user can write (or unset it: CLUTCH_HOME/traces)"
    )
    try:
        local = _probe_file(settings, probe)
        try:
            written = store.probe_writable(local, probe)
        finally:
            local.unlink(missing_ok=True)
    except (TraceStoreError, OSError) as exc:
        return Check(name, FAIL, f"cannot write to {where}: {exc}", todo)
    if not written:
        return Check(name, FAIL, f"a probe written to {where} cannot be found again", todo)
    latest = store.latest()
    published = f"latest published trace {latest.name}" if latest else "no trace published yet"
    return Check(name, OK, f"{where} reachable and writable (probe written and deleted); {published}")


def _probe_file(settings: Settings, probe: str) -> Path:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=f"-{probe}", delete=False) as handle:
        handle.write(f"written by clutch doctor for {settings.clutch_home}\n")
    return Path(handle.name)


def _whoop_credentials(settings: Settings) -> Check:
    name = "WHOOP credentials"
    missing = [
        variable
        for variable, value in (
            ("WHOOP_CLIENT_ID", settings.whoop_client_id),
            ("WHOOP_CLIENT_SECRET", settings.whoop_client_secret),
        )
        if not value
    ]
    if missing:
        return Check(
            name,
            WARN,
            f"{' and '.join(missing)} not set: `clutch serve`'s consent, callback and webhook routes answer "
            "503 and `clutch whoop` cannot sync (`clutch run` uses its WHOOP simulator and needs none)",
            "set both from the WHOOP Developer Dashboard, with WHOOP_REDIRECT_URI registered there",
        )
    return Check(
        name,
        OK,
        f"client id and secret set; API at {settings.whoop_base_url}; "
        f"redirect URI {settings.whoop_redirect_uri}",
    )


def _token_keys(settings: Settings) -> Check:
    from clutch_pipeline.whoop.tokens import LOCAL_KEY_FILE, TokenCipher, TokenKeyError

    name = "token keys"
    if settings.token_keys:
        keys, source = settings.token_keys, "CLUTCH_TOKEN_KEYS"
    else:
        path = settings.clutch_home / LOCAL_KEY_FILE
        if not path.exists():
            return Check(
                name,
                OK,
                f"CLUTCH_TOKEN_KEYS unset; a local key will be generated in {path} when first needed",
            )
        keys = tuple(line.strip() for line in path.read_text().splitlines() if line.strip())
        source = f"the local file {path} (CLUTCH_TOKEN_KEYS unset; set it in a deployment)"
        if (problem := _loose_mode(path)) is not None:
            return Check(name, WARN, f"{source}: {problem}", f"chmod 600 {path}")
    try:
        TokenCipher(keys)
    except TokenKeyError as exc:  # its message names the variable and the key's position, not the key
        found = str(exc).replace("CLUTCH_TOKEN_KEYS: ", "")
        return Check(name, FAIL, f"{source}: {found}", "replace it with a key from `clutch keys generate`")
    return Check(name, OK, f"{len(keys)} key(s) from {source}")


def _api_keys(settings: Settings) -> Check:
    from clutch_pipeline.service.keys import local_api_key_file

    name = "API keys"
    if settings.api_keys:
        return Check(name, OK, f"{len(settings.api_keys)} key(s) from CLUTCH_API_KEYS")
    path = local_api_key_file(settings)
    if not path.exists():
        return Check(name, OK, f"CLUTCH_API_KEYS unset; `clutch serve` will generate a local key in {path}")
    if (problem := _loose_mode(path)) is not None:
        return Check(name, WARN, f"the local key file {path}: {problem}", f"chmod 600 {path}")
    return Check(name, OK, f"the local key in {path} (CLUTCH_API_KEYS unset; set it in a deployment)")


def _loose_mode(path: Path) -> str | None:
    mode = stat.S_IMODE(path.stat().st_mode)
    return f"readable by others (mode {mode:o})" if mode & 0o077 else None


def _nba_sources(settings: Settings) -> list[Check]:
    from clutch_pipeline.nba.sources import BROWSER_HEADERS

    checks = []
    for name, url, variable in (
        ("NBA stats", settings.nba_stats_base_url, "NBA_STATS_BASE_URL"),
        ("NBA CDN", settings.nba_cdn_base_url, "NBA_CDN_BASE_URL"),
    ):
        try:
            answer = requests.get(url, headers=dict(BROWSER_HEADERS), timeout=NBA_TIMEOUT, stream=True)
            answer.close()
        except requests.RequestException as exc:
            checks.append(
                Check(
                    name,
                    FAIL,
                    f"{url} did not answer within {NBA_TIMEOUT[1]:g} s ({type(exc).__name__})",
                    f"check this machine's internet access or proxy, and {variable}; "
                    "the bundled sample and local archives need neither",
                )
            )
            continue
        checks.append(Check(name, OK, f"{url} answers (HTTP {answer.status_code})"))
    return checks


CHECKS: tuple[tuple[str, Callable[[Settings], Check]], ...] = (
    ("database", _database),
    ("Dagster instance", _dagster_instance),
    ("model store", _model_store),
    ("WHOOP credentials", _whoop_credentials),
    ("token keys", _token_keys),
    ("API keys", _api_keys),
)
