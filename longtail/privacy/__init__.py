"""Privacy: pseudonymous customer ids and differentially private aggregates (see docs/privacy.md)."""
