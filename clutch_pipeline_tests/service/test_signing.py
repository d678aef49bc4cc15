"""Signed tokens of the pages: sessions and consent links carry what they were given until they expire,
and nothing altered, expired or made for another purpose passes."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

from clutch_pipeline.service import signing
from clutch_pipeline.settings import load_settings

SECRET = b"a-secret"
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def test_a_token_carries_its_payload_until_it_expires():
    token = signing.sign(SECRET, signing.SESSION, "staff-1", NOW + timedelta(hours=1))
    assert signing.verify(SECRET, signing.SESSION, token, NOW) == "staff-1"
    assert signing.verify(SECRET, signing.SESSION, token, NOW + timedelta(hours=1)) is None


def test_an_altered_token_another_purpose_s_or_another_secret_s_does_not_pass():
    token = signing.sign(SECRET, signing.CONSENT_LINK, "1628369", NOW + timedelta(hours=1))
    payload, expiry, mac = token.split(".")
    other_player = signing.sign(SECRET, signing.CONSENT_LINK, "2544", NOW + timedelta(hours=1)).split(".")[0]
    for forged in (
        f"{other_player}.{expiry}.{mac}",
        f"{payload}.{int(expiry) + 3600}.{mac}",
        f"{payload}.{expiry}.{mac[:-1]}A",
        "junk",
        "é.1.é",
        "",
        None,
    ):
        assert signing.verify(SECRET, signing.CONSENT_LINK, forged, NOW) is None
    assert signing.verify(SECRET, signing.SESSION, token, NOW) is None
    assert signing.verify(b"another", signing.CONSENT_LINK, token, NOW) is None
    assert signing.verify(b"", signing.CONSENT_LINK, token, NOW) is None


def test_a_csrf_token_belongs_to_the_credential_it_was_made_for():
    token = signing.csrf_token(SECRET, "session-a")
    assert signing.csrf_ok(SECRET, "session-a", token)
    assert not signing.csrf_ok(SECRET, "session-b", token)
    assert not signing.csrf_ok(SECRET, "session-a", None)
    assert not signing.csrf_ok(SECRET, "session-a", "é")


def test_the_consent_link_opens_the_athlete_s_consent_page_with_its_token():
    link = signing.consent_link(SECRET, "https://clutch.example.com/", 1628369, NOW + timedelta(hours=72))
    prefix = "https://clutch.example.com/players/1628369/wearables/consent?token="
    assert link.startswith(prefix)
    assert signing.verify(SECRET, signing.CONSENT_LINK, link.removeprefix(prefix), NOW) == "1628369"


def test_the_configured_session_secret_wins_and_is_never_written(tmp_path):
    settings = load_settings({"CLUTCH_HOME": str(tmp_path), "CLUTCH_SESSION_SECRET": "from-the-vault"})
    assert signing.session_secret(settings) == b"from-the-vault"
    assert not (tmp_path / signing.LOCAL_SECRET_FILE).exists()


def test_without_one_a_local_secret_is_generated_once_readable_by_its_owner_only(tmp_path):
    settings = load_settings({"CLUTCH_HOME": str(tmp_path)})
    first = signing.session_secret(settings)
    assert len(first) >= 32 and signing.session_secret(settings) == first
    mode = stat.S_IMODE((tmp_path / signing.LOCAL_SECRET_FILE).stat().st_mode)
    assert mode == 0o600
