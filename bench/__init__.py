"""Benchmarks for accountbot: seed generated books (``bench.generate``) and time the hot paths
(``bench.run``). Targets are ratios between book sizes measured in one run, never absolute times.
"""
