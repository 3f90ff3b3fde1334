"""s3-storage-analyser: what is stored in S3, where, and what it costs to keep."""

__version__ = "0.2.0"
