"""Bucket discovery and CloudWatch on threads here against the same work as Dask tasks (issue 14, its fan-out).

    .venv/bin/python benchmarks/dask_fanout.py [--accounts 6] [--buckets 40] [--workers 2] [--repeat 3]

A moto server (in this process, over loopback) holds ``--accounts`` accounts of ``--buckets`` buckets each,
every bucket with its CloudWatch size and object count. On a ``LocalCluster`` of ``--workers`` worker
processes (one thread each) it times, medians of ``--repeat``:

* ``noop task``: one submit -> result round trip of a task that does nothing (Dask's own cost per task);
* ``discovery, one account``: ListBuckets + a GetBucketLocation per bucket on ``--conc`` threads here,
  against the same as one task (``accounts_remote.run_account``, the worker's own credentials);
* ``discovery + CloudWatch, one account``: the same plus the CloudWatch strategy, here against one task;
* ``--accounts accounts, cloudwatch``: the whole many-account scan (``scan_all``, roles assumed) with the
  local executor against ``--executor dask`` (each account's discovery and metrics one task).

Before timing, each Dask result must equal the local one (the buckets and usage), or the run exits 1.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
from distributed import LocalCluster
from moto.server import ThreadedMotoServer

import testkit  # noqa: F401  (puts tests/ on sys.path: support.* is the test kit)
from common import fake_aws_env
from s3_storage_analyser.accounts import AccountOptions
from s3_storage_analyser.accounts_remote import AccountOutcome, AccountWork, run_account
from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.config import ScanOptions
from s3_storage_analyser.discovery import discover
from s3_storage_analyser.executors.base import ExecutorOptions
from s3_storage_analyser.executors.dask import DaskCluster, connect
from s3_storage_analyser.executors.remote import run_remote
from s3_storage_analyser.model import BucketReport
from s3_storage_analyser.report import scan_all
from s3_storage_analyser.selection import Selection
from s3_storage_analyser.strategies.cloudwatch import CloudWatchStrategy


def noop() -> int:
    return 0


def median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def populate(url: str, accounts: int, buckets: int) -> list[str]:
    """``accounts`` member roles (moto maps an assumed role's keys to its account) with their buckets and metrics."""
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=url)
    roles = []
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for n in range(accounts):
        arn = f"arn:aws:iam::{210000000000 + n:012d}:role/reader"
        creds = sts.assume_role(RoleArn=arn, RoleSessionName="setup")["Credentials"]
        keys = {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=url, **keys)
        cw: Any = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=url, **keys)
        data = []
        for b in range(buckets):
            name = f"acct{n}-bucket{b:03d}"
            s3.create_bucket(Bucket=name)
            s3.put_object(Bucket=name, Key="k", Body=b"x" * (b + 1))
            for metric, storage, value, unit in (
                ("BucketSizeBytes", "StandardStorage", b + 1, "Bytes"),
                ("NumberOfObjects", "AllStorageTypes", 1, "Count"),
            ):
                dims = [{"Name": "BucketName", "Value": name}, {"Name": "StorageType", "Value": storage}]
                data.append(
                    {"MetricName": metric, "Dimensions": dims, "Timestamp": midnight, "Value": value, "Unit": unit}
                )
        for start in range(0, len(data), 500):
            cw.put_metric_data(Namespace="AWS/S3", MetricData=data[start : start + 500])
        roles.append(arn)
    return roles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--accounts", type=int, default=6)
    parser.add_argument("--buckets", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--conc", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    env = fake_aws_env()
    os.environ.update(env)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    roles = populate(url, args.accounts, args.buckets)
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None, env=env
    )
    dask: DaskCluster = connect(ExecutorOptions("dask", cluster.scheduler_address))
    options = AwsOptions(endpoint_url=url, region="us-east-1")
    # One account: the member account's role, assumed here once (the worker assumes it itself).
    role_aws = Aws(options).assume_role(_role(roles[0]))
    work = AccountWork(options, role_aws.frozen_credentials(), None, Selection(), args.conc, None)
    cw_work = AccountWork(options, role_aws.frozen_credentials(), None, Selection(), args.conc, 14)

    def local_discovery() -> object:
        return discover(role_aws, Selection(), args.conc)

    def local_cloudwatch() -> object:
        found = discover(role_aws, Selection(), args.conc)
        return sorted(
            (r.bucket.name, r.usage.bytes)
            for r in CloudWatchStrategy(role_aws, days=14, concurrency=args.conc).collect(found.buckets)
            if isinstance(r, BucketReport)
        )

    def remote(w: AccountWork) -> AccountOutcome:
        answer = run_remote(dask, "bench", AccountOutcome, run_account, w)
        assert isinstance(answer, AccountOutcome) and answer.stage is None, answer
        return answer

    outcome = remote(cw_work)
    remote_sizes = sorted((r.bucket.name, r.usage.bytes) for r in outcome.results if isinstance(r, BucketReport))
    if remote(work).discovery != local_discovery() or remote_sizes != local_cloudwatch():
        print("WRONG: a task's answer differs from this process's", file=sys.stderr)
        return 1

    rows: list[tuple[str, float, float]] = []
    noop_s = median(lambda: dask.client.submit(noop, pure=False).result(), args.repeat * 5)
    rows.append(("noop task (round trip)", 0.0, noop_s))
    rows.append(
        (
            f"discovery, 1 account x {args.buckets} buckets",
            median(local_discovery, args.repeat),
            median(lambda: remote(work), args.repeat),
        )
    )
    rows.append(
        (
            "discovery + CloudWatch, 1 account",
            median(local_cloudwatch, args.repeat),
            median(lambda: remote(cw_work), args.repeat),
        )
    )
    accounts = AccountOptions(role_arns=tuple(roles))
    here = ScanOptions(strategy="cloudwatch", concurrency=args.conc)
    there = replace(here, executor=ExecutorOptions("dask", cluster.scheduler_address))
    a, b = scan_all(Aws(options), here, accounts), scan_all(Aws(options), there, accounts)
    if (a.buckets, a.failures) != (b.buckets, b.failures) or len(a.buckets) != args.accounts * args.buckets:
        print("WRONG: the many-account CloudWatch scan differs on Dask", file=sys.stderr)
        return 1
    rows.append(
        (
            f"{args.accounts} accounts x {args.buckets} buckets, cloudwatch",
            median(lambda: scan_all(Aws(options), here, accounts), args.repeat),
            median(lambda: scan_all(Aws(options), there, accounts), args.repeat),
        )
    )
    print(f"{'what':<48} {'threads here':>12} {'as tasks':>10} {'ratio':>7}")
    for what, local_s, task_s in rows:
        ratio = f"{task_s / local_s:.2f}x" if local_s else "-"
        shown = f"{local_s:.3f} s" if local_s else "-"
        print(f"{what:<48} {shown:>12} {task_s:>8.3f} s {ratio:>7}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.workers} workers x 1 thread")
    dask.close()
    cluster.close()
    server.stop()
    return 0


def _role(arn: str) -> Any:
    from s3_storage_analyser.aws import RoleRequest

    return RoleRequest(arn, "bench")


if __name__ == "__main__":
    sys.exit(main())
