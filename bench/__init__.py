"""Benchmarks: ratios measured in one run, reported, never asserted as timed tests."""
