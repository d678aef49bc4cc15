"""The ``clutch`` command: everything a person does outside the Dagster UI.

Each command parses its arguments, calls one stage function or the run door (``runs.py``) or the main
job, and prints. One module per group: ``main.py`` (run, dev, config), ``service.py`` (serve),
``doctor.py``, ``db.py``, ``nba.py``, ``whoop.py``, ``keys.py``, ``kpis.py``, ``model.py``,
``runs.py``. None of them imports ``definitions.py``.
"""

from clutch_pipeline.cli.main import main

__all__ = ["main"]
