"""The seed's success metrics (section 10), measured every day from every stage's tables.

Cross-stage like ``alerts/`` and ``operations/``: it reads the stages' tables and imports no stage.
``measure`` is the arithmetic, ``store`` the SQL, ``refresh`` both together; ``assets`` and ``checks``
are the Dagster pieces the definitions add (``KPI_ASSETS``, ``KPI_CHECKS``).
"""
