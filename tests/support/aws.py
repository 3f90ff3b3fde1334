"""A test's AWS surroundings: the isolated environment, and moto buckets and CloudWatch datapoints made over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3

# Every test runs with these (fake credentials, no instance metadata) and without UNSET (conftest.py).
ISOLATED_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_PROFILE")


def make_bucket(aws_url: str, name: str, region: str = "us-east-1") -> Any:
    client = boto3.client("s3", region_name=region, endpoint_url=aws_url)
    if region == "us-east-1":
        client.create_bucket(Bucket=name)
    else:
        where: Any = {"LocationConstraint": region}  # any region name, not only those the stubs list
        client.create_bucket(Bucket=name, CreateBucketConfiguration=where)
    return client


def today_midnight() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def put_storage_metric(
    aws_url: str,
    region: str,
    bucket: str,
    storage_type: str,
    value: float,
    *,
    metric: str = "BucketSizeBytes",
    when: datetime | None = None,
) -> None:
    """Publish one S3 storage datapoint the way AWS does (daily, at midnight UTC)."""
    cw = boto3.client("cloudwatch", region_name=region, endpoint_url=aws_url)
    cw.put_metric_data(
        Namespace="AWS/S3",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [
                    {"Name": "BucketName", "Value": bucket},
                    {"Name": "StorageType", "Value": storage_type},
                ],
                "Timestamp": when or today_midnight(),
                "Value": value,
                "Unit": "Bytes" if metric == "BucketSizeBytes" else "Count",
            }
        ],
    )
