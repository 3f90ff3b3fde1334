"""``python -m s3_storage_analyser``."""

from .cli import entry

if __name__ == "__main__":  # listing workers are spawned processes that re-import this module
    raise SystemExit(entry())
