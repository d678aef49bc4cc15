"""WHOOP v2: records from the member API and webhooks, normalized into wearables readings."""
