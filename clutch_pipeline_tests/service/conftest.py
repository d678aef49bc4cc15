"""The WHOOP simulator's fixtures, for the service's tests (defined once, in the WHOOP tests), and the
pages' site on the main job's database (``pages_support.py``)."""

from clutch_pipeline_tests.service.pages_support import pages_site  # noqa: F401 (fixture)
from clutch_pipeline_tests.whoop.conftest import (  # noqa: F401 (fixtures)
    make_whoop_simulator,
    whoop_athletes,
    whoop_clock,
)
