"""S3 Inventory reports: find, verify, fetch and analyse them (DuckDB does the counting)."""
