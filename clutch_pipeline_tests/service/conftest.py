"""The WHOOP simulator's fixtures, for the service's tests (defined once, in the WHOOP tests)."""

from clutch_pipeline_tests.whoop.conftest import (  # noqa: F401 (fixtures)
    make_whoop_simulator,
    whoop_athletes,
    whoop_clock,
)
