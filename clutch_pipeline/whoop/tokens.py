"""WHOOP tokens at rest: Fernet ciphertexts, with keys that can be rotated without downtime.

``CLUTCH_TOKEN_KEYS`` lists Fernet keys newest first. ``MultiFernet`` encrypts with the first and
decrypts with any, so a new key is rolled out by putting it first, running ``clutch keys rotate``
(which re-encrypts every stored token with it), then dropping the old key.

Plaintext tokens live only in memory, in ``TokenPair``, whose repr hides them; they never reach logs,
exceptions, run metadata or the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from clutch_pipeline.local_secrets import local_secret_lines
from clutch_pipeline.settings import Settings
from clutch_pipeline.whoop import store

log = logging.getLogger(__name__)

LOCAL_KEY_FILE = "token_keys"


class TokenKeyError(RuntimeError):
    """The configured keys cannot decrypt a stored token, or are not valid Fernet keys."""


@dataclass(frozen=True)
class TokenPair:
    """An access token, the refresh token that goes with it, and when the access token expires."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    scope: str = ""


class TokenCipher:
    """Encrypts tokens with the newest key; decrypts with any configured key."""

    def __init__(self, keys: tuple[str, ...] | list[str]) -> None:
        if not keys:
            raise TokenKeyError("no token keys configured (CLUTCH_TOKEN_KEYS)")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except (ValueError, TypeError):
            # The message of the underlying error could quote the key; say which position is bad only.
            bad = [i + 1 for i, key in enumerate(keys) if not _is_fernet_key(key)]
            raise TokenKeyError(
                f"CLUTCH_TOKEN_KEYS: key {bad} is not a Fernet key (32 url-safe base64 bytes)"
            ) from None

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise TokenKeyError("a stored token cannot be decrypted with any configured key") from None

    def rotate(self, ciphertext: str) -> str:
        """The same token, re-encrypted with the newest key."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise TokenKeyError("a stored token cannot be decrypted with any configured key") from None


def _is_fernet_key(key: str) -> bool:
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        return False
    return True


def generate_key() -> str:
    return Fernet.generate_key().decode()


def token_keys(settings: Settings) -> tuple[str, ...]:
    """The configured keys, or for local use a key generated once under ``CLUTCH_HOME``.

    The local file suits the embedded defaults (``clutch run`` on a laptop); a deployment sets
    ``CLUTCH_TOKEN_KEYS`` from its secret store, and the file is never read then.
    """
    if settings.token_keys:
        return settings.token_keys
    return local_secret_lines(settings.clutch_home / LOCAL_KEY_FILE, generate_key, "CLUTCH_TOKEN_KEYS")


def cipher_from_settings(settings: Settings) -> TokenCipher:
    return TokenCipher(token_keys(settings))


def rotate_stored_tokens(conn: psycopg.Connection, cipher: TokenCipher) -> int:
    """Re-encrypt every stored token with the newest key, in one transaction; returns devices changed.

    A token no configured key decrypts aborts the whole rotation (``TokenKeyError``), changing nothing.
    """
    with conn.transaction():
        rows = store.all_encrypted_tokens(conn)
        for device_id, access, refresh in rows:
            store.replace_encrypted_tokens(
                conn,
                device_id,
                cipher.rotate(access) if access else None,
                cipher.rotate(refresh) if refresh else None,
            )
    return len(rows)
