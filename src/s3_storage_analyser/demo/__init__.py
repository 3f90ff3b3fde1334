"""The ``demo`` command: an embedded S3 + CloudWatch endpoint (moto's server) and a realistic account.

Needs the ``demo`` extra (moto); ``--strategy inventory`` also the ``inventory`` extra (pyarrow writes the
demo's inventory reports). The test suite reuses the endpoint; the test-only fakes live in ``tests/support``.
"""
