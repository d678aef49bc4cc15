"""The API keys ``clutch serve`` accepts: the configured ones, or for local use a key generated once
under ``CLUTCH_HOME``, as the WHOOP token keys are (``whoop/tokens.token_keys``)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from clutch_pipeline.local_secrets import local_secret_lines
from clutch_pipeline.settings import Settings

log = logging.getLogger(__name__)

LOCAL_KEY_FILE = "api_keys"


@dataclass(frozen=True)
class ApiKeys:
    keys: tuple[str, ...]
    # The file they were read from when CLUTCH_API_KEYS is unset; None when they come from the setting.
    local_file: Path | None


def local_api_key_file(settings: Settings) -> Path:
    return settings.clutch_home / LOCAL_KEY_FILE


def api_keys(settings: Settings) -> ApiKeys:
    """``CLUTCH_API_KEYS``, or the local key file (mode 600), written once with a random key.

    The file suits the embedded defaults (`clutch serve` on a laptop: the user reads the key from it);
    a deployment sets ``CLUTCH_API_KEYS`` from its secret store, and the file is never read then. Two
    processes starting at once keep the first file written.
    """
    if settings.api_keys:
        return ApiKeys(settings.api_keys, None)
    path = local_api_key_file(settings)
    return ApiKeys(local_secret_lines(path, lambda: secrets.token_urlsafe(32), "CLUTCH_API_KEYS"), path)
