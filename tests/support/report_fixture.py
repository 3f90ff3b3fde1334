"""The fixed report the renderer tests (and their golden files) render: three buckets and a failure."""

from __future__ import annotations

from datetime import UTC, date, datetime

from s3_storage_analyser.model import Bucket, BucketReport, Failure, Snapshot, Usage

GIB = 1024**3
TIB = 1024**4

ARCHIVE = BucketReport(
    Bucket("archive-eu", "eu-west-1", datetime(2019, 3, 4, 5, 6, 7, tzinfo=UTC)),
    Usage(
        objects=1_234_567,
        bytes_by_class={
            "STANDARD": 5_000_000_000,
            "GLACIER": 3 * TIB + 5,
            "DEEP_ARCHIVE": 123_456_789,
            "INTELLIGENT_TIERING": 42 * GIB,
            "FooBarStorage": 55,  # a StorageType AWS added after this release
        },
        storage_types={
            "StandardStorage": 5_000_000_000,
            "GlacierStorage": 3 * TIB + 5 - 40 * 1024,
            "GlacierObjectOverhead": 32 * 1024,
            "GlacierS3ObjectOverhead": 8 * 1024,
            "DeepArchiveStorage": 123_456_789,
            "IntelligentTieringFAStorage": 40 * GIB,
            "IntelligentTieringAIAStorage": 2 * GIB,
            "FooBarStorage": 55,
        },
    ),
    date(2024, 5, 4),
)
EMPTY = BucketReport(Bucket("empty-bucket", "us-east-1", datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)), Usage(), None)
LOGS = BucketReport(
    Bucket("logs", "us-east-1", datetime(2017, 11, 18, 8, 12, 38, tzinfo=UTC)),
    Usage(
        objects=13,
        bytes_by_class={"STANDARD": 1023, "STANDARD_IA": 131_072, "REDUCED_REDUNDANCY": 7},
        objects_by_class={"STANDARD": 10, "STANDARD_IA": 2, "REDUCED_REDUNDANCY": 1},
    ),
    date(2024, 5, 5),
)
SNAPSHOT = Snapshot(
    strategy="cloudwatch",
    taken_at=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    buckets=(ARCHIVE, EMPTY, LOGS),
    failures=(
        Failure(
            "secret-bucket",
            None,
            "region",
            "AccessDenied",
            "Access denied calling s3:GetBucketLocation on bucket 'secret-bucket': Access Denied",
        ),
    ),
)
GOLDEN_NAMES = {
    "table": "report.table.txt",
    "tsv": "report.tsv",
    "csv": "report.csv",
    "json": "report.json",
    "json_pretty": "report.pretty.json",
    "ndjson": "report.ndjson",
    "prometheus": "report.prom",
}
