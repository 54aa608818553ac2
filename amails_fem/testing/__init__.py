"""Exact references (closed forms) shared by tests, benchmarks and docs."""
