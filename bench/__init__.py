"""Benchmarks of ledger-connect (not tests): `make bench`, or `python -m bench.run --help`.

Every figure is a median over repeated runs, and every target is a ratio against a baseline
measured in the same run on the same machine, so a noisy neighbour moves both sides.
Benchmarks print and record; they never fail on a time.
"""
