"""Benchmarks, run on demand (`make bench`); each prints figures measured side by side."""
