"""Dagster assets, one module per stage: thin wiring over the ``longtail`` core package."""
