"""The baseline: a plain boto3 ``list_objects_v2`` paginator summing sizes, one sequential stream.

``python benchmarks/boto3_paginator.py URL BUCKET [--max-keys N]`` lists the bucket
(or its first N keys) the way most scripts do, and prints one JSON line:
keys, bytes, objects per storage class, and the seconds and CPU seconds of the
listing loop alone (interpreter start-up, imports and client creation excluded,
which flatters the baseline: the comparison errs in its favour).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence

import boto3


def list_sizes(url: str, bucket: str, max_keys: int | None) -> dict[str, object]:
    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
    paginator = client.get_paginator("list_objects_v2")
    keys = total = pages = 0
    by_class: Counter[str] = Counter()
    cpu_started, started = time.process_time(), time.perf_counter()
    if max_keys:
        iterator = paginator.paginate(Bucket=bucket, PaginationConfig={"MaxItems": max_keys})
    else:
        iterator = paginator.paginate(Bucket=bucket)
    for page in iterator:
        pages += 1
        for obj in page.get("Contents", []):
            keys += 1
            total += obj["Size"]
            by_class[obj.get("StorageClass", "STANDARD")] += 1
    seconds = time.perf_counter() - started
    return {
        "keys": keys,
        "bytes": total,
        "files_by_class": dict(by_class),
        "pages": pages,
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu_started,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("bucket")
    parser.add_argument("--max-keys", type=int, default=0, help="stop after this many keys (0: the whole bucket)")
    args = parser.parse_args(argv)
    print(json.dumps(list_sizes(args.url, args.bucket, args.max_keys or None)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
