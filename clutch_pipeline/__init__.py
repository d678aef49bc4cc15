"""clutch-pipeline: WHOOP wearables joined with NBA clutch-time performance, run by Dagster."""

__version__ = "0.1.0"
