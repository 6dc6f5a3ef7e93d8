"""Dagster resources: configurable, with real and test variants."""
