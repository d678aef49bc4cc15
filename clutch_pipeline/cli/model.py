"""``clutch model`` and ``clutch predict``: the clutch model from a terminal.

``model fit`` fits from the database through a Dagster run (recorded, checked, published when its checks
pass) or, with ``--data``, from a CSV of the model's input, offline, so an analyst can reproduce a fit;
both print JSON. ``model export-data`` writes that CSV. ``predict`` predicts one player's game from the
latest published model.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from clutch_pipeline.cli.common import console, migrated_database_url, one_line_errors, print_run_report
from clutch_pipeline.settings import load_settings


@click.group()
def model() -> None:
    """The hierarchical clutch model: export its input, fit it (docs/model.md)."""


@model.command("export-data")
@click.option(
    "--season", "seasons", multiple=True, help="Seasons to export (repeatable); default: all scored."
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="CSV file; default: stdout.")
def export_data(seasons: tuple[str, ...], out: Path | None) -> None:
    """Write the model's input, one row per player and game, as the CSV `clutch model fit --data` reads."""
    from clutch_pipeline.db.connection import connect
    from clutch_pipeline.model import store
    from clutch_pipeline.model.data import COLUMNS, OPTIONAL

    with connect(migrated_database_url()) as conn:
        frame = store.model_input(conn, list(seasons) or store.seasons_with_scores(conn))
    text = frame[[*COLUMNS, *OPTIONAL]].to_csv(index=False)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)
        console.print(f"{len(frame)} player-games written to {out}")


@model.command("fit")
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fit offline from this CSV (the columns of `clutch model export-data`); nothing is stored.",
)
@click.option(
    "--season", "seasons", multiple=True, help="Seasons to fit on (from the database); default: all."
)
@click.option("--draws", type=int, default=None, help="Draws per chain (default 2000).")
@click.option("--tune", type=int, default=None, help="Tuning steps per chain (default 1000).")
def fit(data: Path | None, seasons: tuple[str, ...], draws: int | None, tune: int | None) -> None:
    """Fit, check and report as JSON: diagnostics, each effect with its 94% interval, the holdout."""
    from clutch_pipeline.model.data import ModelInputError
    from clutch_pipeline.model.fit import FitConfig

    defaults = FitConfig()
    config = FitConfig(draws=draws or defaults.draws, tune=tune or defaults.tune)
    if data is not None:
        from clutch_pipeline.model.report import fit_csv

        with one_line_errors(ModelInputError):
            print(json.dumps(fit_csv(data, config), indent=2, default=str))
        return
    _fit_from_database(list(seasons), config)


def _fit_from_database(seasons: list[str], config) -> None:
    from clutch_pipeline.db.connection import DatabaseUnreachable, connect
    from clutch_pipeline.model import store
    from clutch_pipeline.runs import launch_run, model_launch, open_instance

    url = migrated_database_url()
    with one_line_errors(DatabaseUnreachable):
        instance = open_instance(load_settings())
    launch = model_launch(backtest=False, seasons=seasons)
    ops = launch.run_config["ops"]
    for op in ops.values():
        op["config"].update({"draws": config.draws, "tune": config.tune})
    try:
        report = launch_run(instance, launch, launched_by="clutch model fit")
    finally:
        instance.dispose()
    with connect(url) as conn:
        run = store.latest_run(conn, "publish")
    if run is not None:
        print(json.dumps(run, indent=2, default=str))
    print_run_report(report, launch.title)


@click.command("predict")
@click.option("--player", type=int, required=True, help="The player's NBA person id.")
@click.option("--game", required=True, help="The NBA game id, e.g. 0022200552.")
@click.option(
    "--margin", type=int, default=0, show_default=True, help="Clutch margin from his side to predict for."
)
def predict(player: int, game: str, margin: int) -> None:
    """Predict a player's game clutch score from the latest published model and his pregame context
    (wearables used only when he has them; nothing is invented). Prints JSON and records it."""
    from clutch_pipeline.db.connection import connect
    from clutch_pipeline.model import store
    from clutch_pipeline.model.publish import latest_posterior, prediction_rows
    from clutch_pipeline.model.resources import ModelStoreResource
    from clutch_pipeline.model.trace_store import TraceStoreError

    settings = load_settings()
    trace_store = ModelStoreResource(
        location=settings.model_store, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
    ).store()
    with connect(migrated_database_url()) as conn, one_line_errors(TraceStoreError):
        context = store.player_game_context(conn, player, game)
        if context.empty:
            raise click.ClickException(f"no pregame context for player {player} in game {game}")
        posterior = latest_posterior(conn, trace_store)
        if posterior is None:
            raise click.ClickException("no published model: run `clutch model fit` first")
        context["score_margin"] = float(margin)
        ids = ({player: context["player_uuid"][0]}, {game: context["game_uuid"][0]})
        rows = prediction_rows(posterior, context, "request", ids)
        if not rows:
            # The published model adjusts for home or away, and his team in this game is unknown.
            raise click.ClickException(
                f"cannot predict player {player} in game {game}: his team in it is unknown, and the "
                "published model needs home or away"
            )
        store.write_predictions(conn, rows)
    row = rows[0]
    print(
        json.dumps(
            {**row, "player_id": player, "game_id": game, "predicted_at": datetime.now(UTC)},
            default=str,
            indent=2,
        )
    )
