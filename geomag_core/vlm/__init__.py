"""VLM backends behind one narrow interface (heavy imports are deferred to the backends)."""
