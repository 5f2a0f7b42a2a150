"""The demo archive generator: deterministic synthetic editions for benchmarks and tests."""
