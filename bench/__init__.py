"""Benchmarks: the real bot as a separate process against the Bot API simulator (issue 11)."""
