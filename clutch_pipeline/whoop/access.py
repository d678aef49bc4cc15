"""A valid access token for a device, refreshed before it expires and at most once at a time.

WHOOP's access tokens last an hour, and a refresh rotates the refresh token: the old pair dies the
moment WHOOP answers. Two workers refreshing the same device at once would lock the athlete out (the
second one spends a dead token and gets ``invalid_grant``). So a refresh holds a PostgreSQL advisory lock
per device, re-reads the stored pair under it (another process may have refreshed meanwhile), and
stores the new pair in one UPDATE before releasing the lock.

A process that dies between WHOOP's answer and that UPDATE loses the new pair; the next refresh then
gets ``invalid_grant`` and the device asks for re-authorization. No client can avoid that window.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import psycopg

from clutch_pipeline.db.locks import token_lock
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.client import InvalidGrant, Unauthorized, WhoopApi
from clutch_pipeline.whoop.tokens import TokenCipher

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)


class NeedsReauthorization(RuntimeError):
    """The device has no usable tokens: consent was revoked or WHOOP refused the refresh token."""

    def __init__(self, device_id: uuid.UUID, reason: str) -> None:
        super().__init__(f"device {device_id}: {reason}; the athlete must authorize again")
        self.device_id = device_id


class AccessTokens:
    """Hands out access tokens for devices, refreshing them single-flight across processes.

    ``conn`` must be in autocommit mode: each read and each stored pair commits at once, and the
    advisory lock is held by this session while WHOOP answers a refresh.
    """

    def __init__(
        self,
        conn: psycopg.Connection,
        api: WhoopApi,
        cipher: TokenCipher,
        clock: Callable[[], datetime],
        margin: timedelta = REFRESH_MARGIN,
    ) -> None:
        self.conn = conn
        self.api = api
        self.cipher = cipher
        self.clock = clock
        self.margin = margin
        self.refreshes = 0
        # The last token handed out per device, so a sync's requests do not each read the database.
        self._known: dict[uuid.UUID, tuple[str, datetime]] = {}

    def current(self, device_id: uuid.UUID) -> str:
        """An access token valid for at least ``margin``, refreshed first if needed."""
        known = self._known.get(device_id)
        if known is not None and known[1] - self.clock() > self.margin:
            return known[0]
        tokens = self._stored(device_id)
        if tokens.token_expires_at is not None and tokens.token_expires_at - self.clock() > self.margin:
            return self._remember(
                device_id, self.cipher.decrypt(tokens.access_token_encrypted), tokens.token_expires_at
            )
        return self._refresh(device_id, rejected=None)

    def after_rejection(self, device_id: uuid.UUID, rejected: str) -> str:
        """A new access token after WHOOP answered 401 to ``rejected``."""
        self._known.pop(device_id, None)
        return self._refresh(device_id, rejected=rejected)

    def _remember(self, device_id: uuid.UUID, token: str, expires_at: datetime) -> str:
        self._known[device_id] = (token, expires_at)
        return token

    def _stored(self, device_id: uuid.UUID) -> store.StoredTokens:
        tokens = store.stored_tokens(self.conn, device_id)
        if tokens is None or tokens.refresh_token_encrypted is None:
            raise NeedsReauthorization(device_id, "no consent or no refresh token")
        return tokens

    def _refresh(self, device_id: uuid.UUID, rejected: str | None) -> str:
        with token_lock(self.conn, str(device_id)):
            tokens = self._stored(device_id)  # read again: another worker may have refreshed already
            access = (
                self.cipher.decrypt(tokens.access_token_encrypted) if tokens.access_token_encrypted else None
            )
            if access is not None:
                if rejected is not None and access != rejected:
                    return access
                fresh = (
                    tokens.token_expires_at is not None
                    and tokens.token_expires_at - self.clock() > self.margin
                )
                if rejected is None and fresh:
                    return access
            refresh_token = self.cipher.decrypt(tokens.refresh_token_encrypted)
            try:
                grant = self.api.refresh(refresh_token)
            except InvalidGrant:
                reason = "WHOOP refused the refresh token (invalid_grant)"
                self._known.pop(device_id, None)
                store.mark_needs_reauthorization(self.conn, device_id, self.clock(), reason)
                log.warning("device %s: %s; marked as needing re-authorization", device_id, reason)
                raise NeedsReauthorization(device_id, reason) from None
            pair = grant.pair(self.clock())
            store.store_tokens(
                self.conn,
                device_id,
                self.cipher.encrypt(pair.access_token),
                # WHOOP always rotates; should an answer come without one, the old token is all we have.
                self.cipher.encrypt(pair.refresh_token)
                if pair.refresh_token
                else tokens.refresh_token_encrypted,
                pair.expires_at,
            )
            self.refreshes += 1
            log.info("device %s: access token refreshed", device_id)
            return self._remember(device_id, pair.access_token, pair.expires_at)


class DeviceClient:
    """WHOOP API calls as one device's athlete: a fresh token on every call, and on a 401 one refresh
    and one retry (a second 401 is an error)."""

    def __init__(self, api: WhoopApi, tokens: AccessTokens, device_id: uuid.UUID) -> None:
        self.api = api
        self.tokens = tokens
        self.device_id = device_id

    def get(self, kind: str, path: str, params: Mapping[str, Any] | None = None) -> dict:
        token = self.tokens.current(self.device_id)
        try:
            return self.api.get(kind, path, token, params)
        except Unauthorized:
            log.info("device %s: 401 from WHOOP; refreshing once", self.device_id)
            token = self.tokens.after_rejection(self.device_id, token)
            return self.api.get(kind, path, token, params)
