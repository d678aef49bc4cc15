"""Consent and sync against the WHOOP simulator: paging, retries, token refresh and rotation, states of
records, idempotence. Real PostgreSQL, real HTTP on loopback, no mocks."""

from __future__ import annotations

import logging
import multiprocessing
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from clutch_pipeline.db.locks import device_lock
from clutch_pipeline.http_retry import RetryPolicy
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline.whoop.simulator import simulate_athletes
from clutch_pipeline.whoop.sync import SyncOptions, by_player, sync_devices
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key
from clutch_pipeline_tests.whoop.athletes import add_player, consent_through_oauth
from clutch_pipeline_tests.whoop.conftest import (
    BROWN,
    LEBRON,
    REDIRECT_URI,
    SIM_GAMES,
    SIM_PLAYERS,
    TATUM,
    WHOOP_CLIENT_ID,
    WHOOP_CLIENT_SECRET,
)

WINDOW = (datetime(2023, 1, 2, tzinfo=UTC), datetime(2023, 1, 16, tzinfo=UTC))


class Waits:
    """The retry policy's and the budget's sleeps: recorded, and moving the simulator clock."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.clock.advance(seconds=seconds)


@pytest.fixture
def waits(whoop_clock) -> Waits:
    return Waits(whoop_clock)


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher([generate_key()])


def make_app(simulator, cipher, waits, **overrides) -> WhoopApp:
    options = {
        "base_url": simulator.base_url,
        "client_id": WHOOP_CLIENT_ID,
        "client_secret": WHOOP_CLIENT_SECRET,
        "redirect_uri": REDIRECT_URI,
        "cipher": cipher,
        "retry": RetryPolicy(attempts=4, base_seconds=1.0, sleep=waits, rng=lambda: 0.5),
        "timeout": (1.0, 1.0),
    }
    return WhoopApp(**(options | overrides))


@pytest.fixture
def autocommit(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        for person_id in (TATUM, BROWN, LEBRON):
            add_player(conn, person_id)
        yield conn


def sync(conn, app, clock, waits, devices, **kwargs):
    with app.open(conn, clock=clock, sleep=waits) as session:
        return sync_devices(conn, session.api, session.tokens, devices, clock=clock, **kwargs)


def reading_rows(conn) -> list[tuple]:
    return conn.execute(
        "SELECT reading_id, source_record_id, metric_type, metric_value FROM wearables_readings ORDER BY 1"
    ).fetchall()


def test_a_window_is_read_page_by_page_with_the_same_bounds(
    autocommit, make_whoop_simulator, cipher, whoop_clock, waits
):
    long = simulate_athletes(SIM_PLAYERS, SIM_GAMES, date(2022, 12, 1), date(2023, 1, 15))
    simulator = make_whoop_simulator(athletes=long)
    app = make_app(simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, simulator, TATUM, whoop_clock)
    (result,) = sync(
        autocommit, app, whoop_clock, waits, [device], window=(WINDOW[0] - timedelta(days=32), WINDOW[1])
    )
    assert result.status == "success"
    pages = simulator.received("/developer/v2/cycle?")
    assert len(pages) >= 2 and result.fetched["cycle"] > 25
    assert all(p.query["limit"] == "25" for p in pages)
    assert {(p.query["start"], p.query["end"]) for p in pages} == {
        ("2022-12-01T00:00:00.000Z", "2023-01-16T00:00:00.000Z")
    }
    assert "nextToken" not in pages[0].query and all("nextToken" in p.query for p in pages[1:])


def test_a_first_sync_stores_raw_records_and_readings_of_every_type(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    assert result.status == "success" and result.readings_written > 0
    types = dict(
        autocommit.execute("SELECT record_type, count(*) FROM wearables_raw_records GROUP BY 1").fetchall()
    )
    assert set(types) == {"cycle", "recovery", "sleep", "workout"}
    metrics = {m for (m,) in autocommit.execute("SELECT DISTINCT metric_type FROM wearables_readings")}
    assert {"day_strain", "recovery_score", "hrv_rmssd", "sleep_performance", "workout_strain"} <= metrics


def test_syncing_the_same_window_again_changes_nothing(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    before = reading_rows(autocommit)
    (again,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    assert again.records_changed == 0 and again.readings_written == 0
    assert reading_rows(autocommit) == before


def test_a_rescored_record_replaces_its_readings(autocommit, whoop_simulator, cipher, whoop_clock, waits):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    athlete = whoop_simulator.athlete(TATUM)
    recovery = next(r for r in athlete.recoveries if r.scorable)
    whoop_clock.advance(minutes=5)
    whoop_simulator.rescore(athlete.user_id, "recovery", recovery.record_id, recovery_score=12.0)
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    assert result.records_changed == 1
    rows = autocommit.execute(
        "SELECT metric_value FROM wearables_readings"
        " WHERE source_record_id = %s AND metric_type = 'recovery_score'",
        (recovery.record_id,),
    ).fetchall()
    assert [float(v) for (v,) in rows] == [12.0]


def test_an_incremental_sync_refetches_pending_records_until_they_are_scored(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    last_sleep = max(whoop_simulator.athlete(TATUM).sleeps, key=lambda s: s.end)
    whoop_clock.set(last_sleep.end + timedelta(minutes=1))  # ended, not yet scored
    options = SyncOptions(first_sync_days=5, overlap=timedelta(hours=1))
    (first,) = sync(autocommit, app, whoop_clock, waits, [device], options=options)
    assert first.pending >= 1
    assert store.oldest_pending(autocommit, device.device_id)
    whoop_clock.advance(hours=6)  # scored by now; the watermark alone (minus 1 h) would miss it
    (second,) = sync(autocommit, app, whoop_clock, waits, [device], options=options)
    assert second.status == "success" and second.records_changed >= 1
    states = autocommit.execute(
        "SELECT record_type, score_state FROM wearables_raw_records WHERE record_id = %s ORDER BY 1",
        (last_sleep.record_id,),
    ).fetchall()
    assert states == [("recovery", "SCORED"), ("sleep", "SCORED")]


def test_unscorable_records_are_kept_raw_and_counted_without_readings(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    athlete = whoop_simulator.athlete(TATUM)
    sleep = athlete.sleeps[0]
    sleep.scorable = False  # WHOOP could not score this night
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    assert result.unscorable >= 1
    raw = autocommit.execute(
        "SELECT score_state FROM wearables_raw_records WHERE record_id = %s", (sleep.record_id,)
    ).fetchone()
    readings = autocommit.execute(
        "SELECT count(*) FROM wearables_readings"
        " WHERE source_record_type = 'sleep' AND source_record_id = %s",
        (sleep.record_id,),
    ).fetchone()
    assert raw == ("UNSCORABLE",) and readings == (0,)


def test_the_current_cycle_without_an_end_is_stored(autocommit, whoop_simulator, cipher, whoop_clock, waits):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    whoop_clock.set(datetime(2023, 1, 10, 18, tzinfo=UTC))
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    assert result.status == "success"
    open_cycles = autocommit.execute(
        "SELECT count(*) FROM wearables_raw_records WHERE record_type = 'cycle' AND record_end IS NULL"
    ).fetchone()
    assert open_cycles == (1,)


def test_a_429_waits_for_the_reset_whoop_names_then_succeeds(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    whoop_simulator.rate_limit(times=1, reset_seconds=37, match="/v2/cycle")
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    assert result.status == "success" and 37 in waits.seconds


def test_5xx_answers_and_a_timeout_are_retried_with_backoff(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    whoop_simulator.fail("/v2/activity/sleep", status=503, times=1)
    whoop_simulator.fail("/v2/activity/sleep", status=500, times=1)
    whoop_simulator.slow("/v2/recovery", seconds=1.5, times=1)
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    assert result.status == "success"
    assert waits.seconds[:3] == [0.5, 1.0, 0.5]  # full jitter at 0.5: 1 s, 2 s, then 1 s again


def test_a_device_whose_retries_run_out_is_marked_and_the_others_carry_on(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    tatum = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    lebron = consent_through_oauth(autocommit, app, whoop_simulator, LEBRON, whoop_clock)
    whoop_simulator.fail("/v2/cycle", status=502, times=4)  # Tatum syncs first: all his attempts
    results = sync(autocommit, app, whoop_clock, waits, [tatum, lebron], window=WINDOW)
    assert [r.status for r in results] == ["error", "success"]
    assert "HTTP 502" in results[0].error
    status = store.consent_status(autocommit, TATUM)
    assert status["sync_status"] == "error" and "502" in status["sync_error_message"]


def test_a_401_refreshes_the_token_once_and_retries(autocommit, whoop_simulator, cipher, whoop_clock, waits):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    tokens_before = whoop_simulator.token_requests
    whoop_simulator.expire_access_tokens()
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    assert result.status == "success"
    assert whoop_simulator.token_requests == tokens_before + 1


def test_an_access_token_near_expiry_is_refreshed_before_use_and_the_rotated_pair_is_stored(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    before = store.stored_tokens(autocommit, device.device_id)
    whoop_clock.advance(minutes=58)  # two minutes left: inside the five-minute margin
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    after = store.stored_tokens(autocommit, device.device_id)
    assert result.status == "success"
    assert cipher.decrypt(after.refresh_token_encrypted) != cipher.decrypt(before.refresh_token_encrypted)
    assert after.token_expires_at == whoop_clock() + timedelta(hours=1)
    # The old refresh token was spent at WHOOP: the stored one is the only one that works.
    with app.open(autocommit, clock=whoop_clock) as session, pytest.raises(Exception, match="invalid_grant"):
        session.api.refresh(cipher.decrypt(before.refresh_token_encrypted))


def test_invalid_grant_marks_the_device_for_reauthorization_without_retrying(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    whoop_simulator.revoke_refresh_tokens()
    whoop_simulator.expire_access_tokens()
    tokens_before = whoop_simulator.token_requests
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    assert result.status == "needs_reauthorization"
    assert whoop_simulator.token_requests == tokens_before + 1 and waits.seconds == []
    assert store.consent_status(autocommit, TATUM)["needs_reauthorization"]
    assert store.syncable_devices(autocommit) == []


def test_no_request_is_made_for_a_player_without_consent(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    lebron_user = whoop_simulator.athlete(LEBRON).user_id
    sync(autocommit, app, whoop_clock, waits, store.syncable_devices(autocommit), window=WINDOW)
    assert whoop_simulator.count(user_id=lebron_user) == 0


def test_named_records_are_fetched_by_id_and_a_recovery_through_its_sleeps_cycle(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    recovery = next(r for r in whoop_simulator.athlete(TATUM).recoveries if r.scorable)
    refs = by_player([f"{TATUM}:recovery:{recovery.record_id}"])
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], records=refs)
    assert result.status == "success"
    paths = [r.path for r in whoop_simulator.received("/developer/v2/")]
    assert paths[-2:] == [
        f"/developer/v2/activity/sleep/{recovery.record_id}",
        f"/developer/v2/cycle/{recovery.payload(whoop_clock())['cycle_id']}/recovery",
    ]
    kinds = {t for (t,) in autocommit.execute("SELECT record_type FROM wearables_raw_records")}
    assert kinds == {"sleep", "recovery"}


def test_every_request_is_counted_in_the_shared_budget(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    logged = autocommit.execute("SELECT count(*) FROM whoop_api_requests").fetchone()[0]
    sent = whoop_simulator.count() - whoop_simulator.count("/oauth/oauth2/auth")  # the browser's, not ours
    assert logged == sent  # token and profile calls included


def test_no_token_appears_in_the_logs_or_the_database(
    autocommit, whoop_simulator, cipher, whoop_clock, waits, caplog
):
    caplog.set_level(logging.DEBUG)
    app = make_app(whoop_simulator, cipher, waits)
    device = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    whoop_simulator.expire_access_tokens()
    sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    stored = store.stored_tokens(autocommit, device.device_id)
    secrets = [cipher.decrypt(stored.access_token_encrypted), cipher.decrypt(stored.refresh_token_encrypted)]
    dump = " ".join(
        str(row)
        for table in (
            "wearables_devices",
            "wearables_raw_records",
            "wearables_readings",
            "whoop_oauth_states",
        )
        for row in autocommit.execute(f"SELECT row_to_json(t)::text FROM {table} t").fetchall()
    )
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in dump


def _refresh_in_another_process(database_url, keys, base_url, now_iso, device_id, results) -> None:
    from clutch_pipeline.whoop.access import AccessTokens
    from clutch_pipeline.whoop.client import WhoopApi

    now = datetime.fromisoformat(now_iso)
    with psycopg.connect(database_url, autocommit=True) as conn:
        api = WhoopApi(base_url, WHOOP_CLIENT_ID, WHOOP_CLIENT_SECRET)
        token = AccessTokens(conn, api, TokenCipher(keys), clock=lambda: now).current(device_id)
    results.put(token)


def test_two_processes_refreshing_at_once_make_exactly_one_token_call(
    database_url, autocommit, make_whoop_simulator, cipher, whoop_clock, waits
):
    simulator = make_whoop_simulator(token_delay_seconds=1.0)
    keys = [generate_key()]
    app = make_app(simulator, TokenCipher(keys), waits, timeout=(1.0, 10.0))
    device = consent_through_oauth(autocommit, app, simulator, TATUM, whoop_clock)
    whoop_clock.advance(minutes=59)
    tokens_before = simulator.token_requests
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(
            target=_refresh_in_another_process,
            args=(
                database_url,
                keys,
                simulator.base_url,
                whoop_clock().isoformat(),
                device.device_id,
                results,
            ),
        )
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    tokens = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert simulator.token_requests == tokens_before + 1
    assert tokens[0] == tokens[1]


def test_a_planned_collection_sync_fetches_that_collection_only_and_moves_its_watermark(
    autocommit, whoop_simulator, cipher, whoop_clock, waits
):
    app = make_app(whoop_simulator, cipher, waits)
    tatum = consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)
    lebron = consent_through_oauth(autocommit, app, whoop_simulator, LEBRON, whoop_clock)
    before = whoop_simulator.count("/developer/v2/")
    results = sync(autocommit, app, whoop_clock, waits, [tatum, lebron], collections={TATUM: ["cycle"]})
    assert [r.nba_person_id for r in results] == [TATUM]
    sent = whoop_simulator.received("/developer/v2/")[before:]
    assert {r.path for r in sent} == {"/developer/v2/cycle"}
    assert set(store.watermarks(autocommit, tatum.device_id)) == {"cycle"}


# -- the sync status: never left "syncing" -----------------------------------------------------------


def status_of(conn) -> tuple[str, str | None]:
    status = store.consent_status(conn, TATUM)
    return status["sync_status"], status["sync_error_message"]


@pytest.fixture
def tatum(autocommit, whoop_simulator, cipher, whoop_clock, waits):
    """Tatum's device, consented; the app that syncs it."""
    app = make_app(whoop_simulator, cipher, waits)
    return app, consent_through_oauth(autocommit, app, whoop_simulator, TATUM, whoop_clock)


def test_a_successful_sync_leaves_success(autocommit, tatum, whoop_clock, waits):
    app, device = tatum
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    assert result.status == "success" and status_of(autocommit) == ("success", None)


def test_a_device_whose_consent_went_before_its_turn_is_left_in_error(autocommit, tatum, whoop_clock, waits):
    app, device = tatum  # listed for the run, then revoked before the sync reached it
    store.record_revocation(autocommit, device.device_id, whoop_clock())
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    status, message = status_of(autocommit)
    assert result.status == "needs_reauthorization"
    assert status == "error" and "authorize again" in message


def test_a_refused_refresh_token_leaves_error(autocommit, tatum, whoop_simulator, whoop_clock, waits):
    app, device = tatum
    whoop_simulator.revoke_refresh_tokens()
    whoop_simulator.expire_access_tokens()
    (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    status, message = status_of(autocommit)
    assert result.status == "needs_reauthorization"
    assert status == "error" and "invalid_grant" in message


def test_retries_used_up_leave_error(autocommit, tatum, whoop_simulator, whoop_clock, waits):
    app, device = tatum
    whoop_simulator.fail("/v2/cycle", status=502, times=None)
    sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    status, message = status_of(autocommit)
    assert status == "error" and "HTTP 502" in message


def test_an_answer_without_records_leaves_error(autocommit, tatum, whoop_simulator, whoop_clock, waits):
    app, device = tatum
    whoop_simulator.fail("/v2/cycle", status=200)  # a JSON object, but no records list
    sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    status, message = status_of(autocommit)
    assert status == "error" and "WhoopPayloadError" in message


def test_an_unexpected_exception_leaves_error_and_still_propagates(
    autocommit, tatum, whoop_simulator, whoop_clock, waits
):
    app, device = tatum
    # PostgreSQL's jsonb refuses \u0000: storing this payload fails, which the sync does not expect.
    workout = whoop_simulator.athlete(TATUM).workouts[0]
    workout.fields["note"] = "nul \x00 inside"
    with pytest.raises(Exception, match="unsupported Unicode escape sequence"):
        sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
    status, message = status_of(autocommit)
    assert status == "error" and message.startswith("sync stopped by")


def test_ctrl_c_during_a_sync_leaves_error_and_still_propagates(
    autocommit, tatum, whoop_simulator, cipher, whoop_clock
):
    _, device = tatum

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt  # Ctrl-C while the sync waits to retry

    whoop_simulator.fail("/v2/cycle", status=503, times=1)
    app = make_app(whoop_simulator, cipher, interrupted, retry=RetryPolicy(attempts=4, sleep=interrupted))
    with pytest.raises(KeyboardInterrupt):
        sync(autocommit, app, whoop_clock, interrupted, [device], window=WINDOW)
    assert status_of(autocommit) == ("error", "sync stopped by KeyboardInterrupt")


def test_a_busy_device_keeps_the_other_syncs_status(autocommit, tatum, database_url, whoop_clock, waits):
    app, device = tatum
    with psycopg.connect(database_url, autocommit=True) as other, device_lock(other, str(device.device_id)):
        store.set_sync_status(other, device.device_id, "syncing", utc_now())
        (result,) = sync(autocommit, app, whoop_clock, waits, [device], window=WINDOW)
        assert result.status == "busy" and status_of(autocommit) == ("syncing", None)
