"""Benchmarks: load drivers, the PostGraphile peer and a bench-only hand-written view."""
