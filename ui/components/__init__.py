"""Reusable pieces of the pages; each owns the session-state keys it names."""
