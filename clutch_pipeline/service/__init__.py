"""The HTTP service (`clutch serve`): WHOOP's OAuth callback and the consent endpoints."""
