"""``clutch keys``: the Fernet keys that encrypt WHOOP tokens at rest."""

from __future__ import annotations

import click

from clutch_pipeline.cli.common import migrated_database_url, one_line_errors
from clutch_pipeline.settings import load_settings


@click.group()
def keys() -> None:
    """The Fernet keys that encrypt WHOOP tokens at rest (CLUTCH_TOKEN_KEYS)."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new Fernet key, to put first in CLUTCH_TOKEN_KEYS before `clutch keys rotate`."""
    from clutch_pipeline.whoop.tokens import generate_key

    click.echo(generate_key())


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored token with the newest key (the first of CLUTCH_TOKEN_KEYS).

    Afterwards the older keys can be dropped from CLUTCH_TOKEN_KEYS. Safe to run twice.
    """
    from clutch_pipeline.db.connection import connect
    from clutch_pipeline.whoop.tokens import TokenKeyError, cipher_from_settings, rotate_stored_tokens

    url = migrated_database_url()
    with one_line_errors(TokenKeyError), connect(url) as conn:
        devices = rotate_stored_tokens(conn, cipher_from_settings(load_settings()))
    click.echo(f"re-encrypted the tokens of {devices} device(s) with the newest key")
