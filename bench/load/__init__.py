"""The HTTP load test (`make load`, `python -m bench.load`): see bench/load/runner.py."""
