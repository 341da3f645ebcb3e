"""Benchmarks: run as scripts (python -m bench.matching, python -m bench.endtoend); not part of the tests."""
