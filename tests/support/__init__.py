"""The test and benchmark kit: fakes and helpers that are not part of the product.

Imported as ``support`` with ``tests/`` on ``sys.path``: pytest puts it there
(``pythonpath`` in pyproject.toml), and benchmarks through ``benchmarks/testkit.py``.
"""
