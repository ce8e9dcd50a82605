"""Benchmarks and their load harness, importable from the project root (``bench.loadkit``,
``bench.urls``, ``python -m bench.seed``). The product never imports it; the burst tests
(huxue/duty/tests/test_burst.py) use the harness."""
