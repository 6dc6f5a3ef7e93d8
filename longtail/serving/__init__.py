"""Serving: versioned read-only snapshots of what the pipeline built, the shop assistant that parses a shopper's
words into a spec and ranks items for it, and the HTTP API and web page over them."""
