"""Tokens at rest: Fernet with rotating keys, never plaintext."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clutch_pipeline.settings import load_settings
from clutch_pipeline.whoop.tokens import (
    TokenCipher,
    TokenKeyError,
    generate_key,
    rotate_stored_tokens,
    token_keys,
)
from clutch_pipeline_tests.whoop.athletes import add_device

NOW = datetime(2022, 10, 20, 12, tzinfo=UTC)


def test_a_token_encrypts_to_a_ciphertext_that_decrypts_back():
    cipher = TokenCipher([generate_key()])
    ciphertext = cipher.encrypt("secret-access-token")
    assert "secret-access-token" not in ciphertext
    assert cipher.decrypt(ciphertext) == "secret-access-token"


def test_the_newest_key_encrypts_and_every_key_decrypts():
    old, new = generate_key(), generate_key()
    written_with_old = TokenCipher([old]).encrypt("tok")
    both = TokenCipher([new, old])
    assert both.decrypt(written_with_old) == "tok"
    assert TokenCipher([new]).decrypt(both.encrypt("tok")) == "tok"


def test_a_token_no_configured_key_decrypts_is_a_clear_error():
    ciphertext = TokenCipher([generate_key()]).encrypt("tok")
    with pytest.raises(TokenKeyError, match="cannot be decrypted"):
        TokenCipher([generate_key()]).decrypt(ciphertext)


def test_a_malformed_key_is_named_by_position_not_by_value():
    with pytest.raises(TokenKeyError) as error:
        TokenCipher([generate_key(), "not-a-key"])
    assert "[2]" in str(error.value) and "not-a-key" not in str(error.value)


def test_the_repr_of_a_token_pair_hides_the_tokens():
    from clutch_pipeline.whoop.tokens import TokenPair

    shown = repr(TokenPair("access-secret", "refresh-secret", NOW, "offline"))
    assert "access-secret" not in shown and "refresh-secret" not in shown


def test_without_configured_keys_one_local_key_is_generated_once_and_kept_private(tmp_path):
    settings = load_settings({"CLUTCH_HOME": str(tmp_path)})
    first = token_keys(settings)
    assert token_keys(settings) == first and len(first) == 1
    assert (tmp_path / "token_keys").stat().st_mode & 0o777 == 0o600


def test_configured_keys_win_over_the_local_file(tmp_path):
    key = generate_key()
    settings = load_settings({"CLUTCH_HOME": str(tmp_path), "CLUTCH_TOKEN_KEYS": f" {key} , "})
    assert token_keys(settings) == (key,)
    assert not (tmp_path / "token_keys").exists()


def test_rotation_re_encrypts_every_stored_token_with_the_newest_key(conn):
    old, new = generate_key(), generate_key()
    add_device(conn, TokenCipher([old]), 201, whoop_user_id=1, expires_at=NOW + timedelta(hours=1))
    add_device(conn, TokenCipher([old]), 202, whoop_user_id=2, expires_at=NOW + timedelta(hours=1))
    assert rotate_stored_tokens(conn, TokenCipher([new, old])) == 2
    only_new = TokenCipher([new])
    rows = conn.execute(
        "SELECT access_token_encrypted, refresh_token_encrypted FROM wearables_devices ORDER BY device_id"
    ).fetchall()
    assert [(only_new.decrypt(a), only_new.decrypt(r)) for a, r in rows] == [("access-1", "refresh-1")] * 2


def test_rotation_with_a_missing_old_key_changes_nothing(conn):
    old = generate_key()
    add_device(conn, TokenCipher([old]), 201, whoop_user_id=1, expires_at=NOW + timedelta(hours=1))
    before = conn.execute("SELECT access_token_encrypted FROM wearables_devices").fetchone()
    with pytest.raises(TokenKeyError):
        rotate_stored_tokens(conn, TokenCipher([generate_key()]))
    assert conn.execute("SELECT access_token_encrypted FROM wearables_devices").fetchone() == before


def test_the_database_holds_no_plaintext_token(conn):
    add_device(
        conn,
        TokenCipher([generate_key()]),
        201,
        whoop_user_id=1,
        access_token="plain-access",
        refresh_token="plain-refresh",
        expires_at=NOW,
    )
    dump = str(conn.execute("SELECT row_to_json(d) FROM wearables_devices d").fetchall())
    assert "plain-access" not in dump and "plain-refresh" not in dump
