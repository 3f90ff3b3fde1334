"""``python -m s3_storage_analyser``."""

from .cli import entry

raise SystemExit(entry())
