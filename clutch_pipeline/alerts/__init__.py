"""Telling people about failed runs and athletes' data that stopped flowing (docs/alerts.md)."""
