"""Benchmarks for credbot, run as scripts (``python -m bench.<name>``); see ``bench/README.md``."""
