"""Telling people about failed runs."""
