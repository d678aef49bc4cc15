"""The model store as a Dagster resource: where traces are published (S3/R2 or a local folder)."""

import dagster as dg
from pydantic import Field

from clutch_pipeline.model.trace_store import TraceStore, open_trace_store
from clutch_pipeline.settings import load_settings


class ModelStoreResource(dg.ConfigurableResource):
    """Empty fields follow the environment (CLUTCH_MODEL_STORE, CLUTCH_S3_ENDPOINT_URL, CLUTCH_S3_REGION);
    tests point ``location`` at a temporary folder or a bucket on a local S3 server. Credentials are never
    fields: boto3 reads them from the standard AWS variables or profile."""

    location: str | None = Field(
        default=None, description="s3://bucket/prefix or a folder. Empty: CLUTCH_MODEL_STORE."
    )
    endpoint_url: str | None = Field(default=None, description="Empty: CLUTCH_S3_ENDPOINT_URL.")
    region: str | None = Field(default=None, description="Empty: CLUTCH_S3_REGION.")
    max_attempts: int = Field(default=5, description="Attempts per S3 request (boto3's standard retries).")
    connect_timeout_seconds: float = Field(default=5.0, description="Connect timeout of one S3 request.")
    read_timeout_seconds: float = Field(default=60.0, description="Read timeout of one S3 request.")

    def store(self) -> TraceStore:
        settings = load_settings()
        return open_trace_store(
            self.location or settings.model_store,
            endpoint_url=self.endpoint_url or settings.s3_endpoint_url,
            region=self.region or settings.s3_region,
            max_attempts=self.max_attempts,
            connect_timeout=self.connect_timeout_seconds,
            read_timeout=self.read_timeout_seconds,
        )
