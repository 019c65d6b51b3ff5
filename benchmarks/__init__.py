"""The benchmark suite: scripts run on demand, documented in docs/performance.md (not tests)."""
