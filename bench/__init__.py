"""Benchmarks of the tracker at scale, run outside the test suite (see docs/performance.md)."""
