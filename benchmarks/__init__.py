"""Benchmarks of the runbook checks: `python -m benchmarks [--quick] [--output FILE]`."""
