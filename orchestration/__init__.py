"""Dagster wiring: definitions, jobs, sensors, partitions, the command line."""
