"""The inventory strategy end to end against moto over HTTP.

Inventory reports are generated from the truth (boto3's ``list_objects_v2`` /
``list_object_versions`` of the source bucket) by ``demo.inventory_writer``, in
CSV, Parquet and ORC, uploaded with AWS's layout and configured on the bucket.
The strategy's figures must then equal the listing strategy's, breakdowns and
all. Bad reports must fail their bucket with a message naming the problem.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from s3_storage_analyser.aggregate import BreakdownSpec
from s3_storage_analyser.demo.inventory_writer import (
    ALL_FIELDS,
    CURRENT_FIELDS,
    InventoryRow,
    WrittenReport,
    configure,
    save_local,
    upload,
    write_report,
)
from s3_storage_analyser.demo.seed import ACCOUNT_ID
from s3_storage_analyser.errors import EXIT_FAILURE, EXIT_PARTIAL, EXIT_USAGE
from s3_storage_analyser.inventory.fetch import MARKER, STORE_NAME, Fetcher
from s3_storage_analyser.inventory.locate import choose
from s3_storage_analyser.inventory.manifest import parse_manifest
from s3_storage_analyser.model import Bucket, BucketReport, Failure
from s3_storage_analyser.strategies.inventory import InventoryStrategy
from support.inventory import (
    DEST,
    GOOD,
    SRC,
    TIERS,
    aws_for,
    by_name,
    checksum_key,
    client,
    data_keys,
    doctored,
    failure_of,
    inventory,
    md5,
    new_bucket,
    publish,
    run,
    seed_good,
    truth_rows,
)

KIB = 1024
MIB = 1024 * KIB
FORMATS = ("CSV", "Parquet", "ORC")
NO_CLASS_FIELDS = tuple(f for f in ALL_FIELDS if f != "StorageClass")
BREAKDOWN_FLAGS = (
    *("--by", "prefix", "--by", "size", "--by", "age", "--by", "extension", "--by", "storage-class"),
    *("--by", "age-class"),
    *("--top", "5", "--depth", "2", "--limit", "4"),
)

# (key, size, storage class): keys needing URL encoding, folder markers, every class,
# sizes on each side of the 128 KiB edge, extensions Python and SQL must agree on,
# and a tie in size at the fifth place of --top 5.
OBJECTS: list[tuple[str, int, str]] = [
    ("a b.txt", 11, "STANDARD"),
    ("a+b.txt", 12, "STANDARD_IA"),
    ("100%.csv", 13, "GLACIER"),
    ("%2F not a slash", 14, "STANDARD"),
    ("x&y<z>'\".TXT", 15, "ONEZONE_IA"),
    ("ctl\x01\x08\x1f.bin", 16, "REDUCED_REDUNDANCY"),
    ("tab\there.tar.gz", 17, "STANDARD"),
    ("é/naïve.Txt", 18, "INTELLIGENT_TIERING"),
    ("日本/語.txt", 19, "INTELLIGENT_TIERING"),
    ("\U0001f600/emoji", 20, "DEEP_ARCHIVE"),
    ("q?x=1&y=2#frag", 21, "GLACIER_IR"),
    ("~tilde (paren)[bracket]", 22, "STANDARD"),
    ("a/", 0, "STANDARD"),
    ("a/b/", 0, "STANDARD"),
    ("a/b/c.json", 5, "STANDARD"),
    ("a/b/d.json", 5, "STANDARD_IA"),
    ("run books/x.txt", 30, "STANDARD"),
    ("foo+1/bar baz.PDF", 30, "GLACIER"),
    ("logs/2024/01/app.log", 40, "STANDARD"),
    ("logs/2024/02/app.log.1", 41, "STANDARD_IA"),
    (".hidden", 3, "STANDARD"),
    ("archive.", 4, "STANDARD"),
    ("x.verylongextension", 6, "STANDARD"),
    ("edge/below-128k", 128 * KIB - 1, "STANDARD_IA"),
    ("edge/at-128k", 128 * KIB, "INTELLIGENT_TIERING"),
    ("edge/above-128k.bin", 128 * KIB + 1, "STANDARD"),
    ("edge/one-mib.bin", MIB, "GLACIER_IR"),
    ("edge/one-byte", 1, "ONEZONE_IA"),
    ("edge/empty", 0, "DEEP_ARCHIVE"),
]
# Ages in days (the rest are new): one object in every age band, one two hours past a cut-off.
AGES = {
    "a b.txt": 30 + 2 / 24,
    "logs/2024/01/app.log": 45,
    "edge/at-128k": 100,
    "logs/2024/02/app.log.1": 400,
    "a/b/c.json": 800,
    "run books/x.txt": 2000,
}
TIER_TYPES = {"FREQUENT": "IntelligentTieringFAStorage", "ARCHIVE": "IntelligentTieringAAStorage"}
TIER_TYPES["INFREQUENT"] = "IntelligentTieringIAStorage"


# --------------------------------------------------------------------------- helpers


def seed_source(aws_url: str, bucket: str = SRC, objects: list[tuple[str, int, str]] | None = None) -> Any:
    """The source bucket with OBJECTS, some of them aged through moto's in-process backend."""
    from moto.s3.models import s3_backends

    s3 = new_bucket(aws_url, bucket)
    for key, size, storage in objects or OBJECTS:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x" * size, StorageClass=storage)
    backend = s3_backends[ACCOUNT_ID]["aws"]
    now = datetime.now(UTC).replace(tzinfo=None)
    for key, days in AGES.items():
        if any(key == k for k, _, _ in objects or OBJECTS):
            stored = backend.get_object(bucket, key)
            assert stored is not None
            stored.last_modified = now - timedelta(days=days)
    return s3


def seed_versioned(aws_url: str, bucket: str = "inv-versioned") -> Any:
    """Overwrites, deletes (markers latest and not), a version deleted by id, a lone marker."""
    s3 = new_bucket(aws_url, bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    def put(key: str, size: int, storage: str = "STANDARD") -> str:
        return str(s3.put_object(Bucket=bucket, Key=key, Body=b"v" * size, StorageClass=storage)["VersionId"])

    put("doc.txt", 10)
    put("doc.txt", 20, "STANDARD_IA")
    put("gone.bin", 5, "GLACIER")
    s3.delete_object(Bucket=bucket, Key="gone.bin")
    put("keep/a b+c.csv", 7, "GLACIER")
    for size in (3, 4, 5):
        put("twice/x", size)
    s3.delete_object(Bucket=bucket, Key="markers/only")
    put("restored.txt", 8)
    s3.delete_object(Bucket=bucket, Key="restored.txt")
    put("restored.txt", 9, "ONEZONE_IA")
    first = put("pruned %&.log", 11)
    put("pruned %&.log", 12)
    s3.delete_object(Bucket=bucket, Key="pruned %&.log", VersionId=first)
    put("é/t\tab + .TXT", 13, "INTELLIGENT_TIERING")
    put("é/t\tab + .TXT", 14, "INTELLIGENT_TIERING")
    return s3


def listing(cli: Any, aws_url: str, *args: str) -> dict[str, Any]:
    data, _ = run(cli, aws_url, "--strategy", "list", "--processes", "0", *args)
    assert data["Strategy"] == "list"
    return data


HIDDEN = ("NoncurrentFiles", "NoncurrentBytes", "NoncurrentBytesByClass", "DeleteMarkers")


def figures(bucket: dict[str, Any], *, versions: bool = False) -> dict[str, Any]:
    """What both strategies must agree on: totals, bytes per class, files per class, breakdowns."""
    keep = {"Files", "Bytes", "FilesByClass", "Breakdowns", *(HIDDEN if versions else ())}
    return {k: v for k, v in bucket.items() if k in keep or k.startswith("Bytes-")}


def as_unclassed(listed: dict[str, Any]) -> dict[str, Any]:
    """The listing's figures as a report without StorageClass must give them: all STANDARD."""
    out = dict(listed)
    for key in out:
        if key.startswith("Bytes-"):
            out[key] = 0
    out["Bytes-ST"] = listed["Bytes"]
    out["FilesByClass"] = {"STANDARD": listed["Files"]}
    breakdowns = dict(listed["Breakdowns"])
    breakdowns["storage-class"] = [{"Key": "STANDARD", "Files": listed["Files"], "Bytes": listed["Bytes"]}]
    breakdowns["top"] = [{**row, "StorageClass": "STANDARD"} for row in breakdowns["top"]]
    bands: dict[str, list[int]] = {}  # age-class: every class is STANDARD, so one row per band
    for row in breakdowns["age-class"]:
        cell = bands.setdefault(row["Key"], [0, 0])
        cell[0] += row["Files"]
        cell[1] += row["Bytes"]
    breakdowns["age-class"] = [
        {"Key": band, "StorageClass": "STANDARD", "Files": files, "Bytes": size}
        for band, (files, size) in bands.items()
    ]
    out["Breakdowns"] = breakdowns
    return out


def cached(cache: Path) -> list[Path]:
    """The data files in the tool's own directory under --cache-dir (not its marker)."""
    return sorted(p for p in (cache / STORE_NAME).iterdir() if p.name != MARKER)


# --------------------------------------------------------------------------- inventory == listing


FIELD_VARIANTS = {"all": ALL_FIELDS, "current": CURRENT_FIELDS, "no-class": NO_CLASS_FIELDS}


def it_storage_types() -> dict[str, int]:
    tiers: dict[str, int] = {}
    for key, size, storage in OBJECTS:
        if storage == "INTELLIGENT_TIERING":
            name = TIER_TYPES[TIERS[key]]
            tiers[name] = tiers.get(name, 0) + size
    return tiers


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_inventory_equals_listing(aws_url: str, cli: Any, tmp_path: Path, fmt: str) -> None:
    """Every field selection: all optional fields, current-version fields only, no StorageClass.

    Each variant is a newer report under the same configuration, so each run reads the newest.
    """
    seed_source(aws_url)
    rows = truth_rows(aws_url, SRC)
    assert len(rows) == len(OBJECTS)  # moto kept every tricky key apart
    listed = by_name(listing(cli, aws_url, "--bucket", SRC, *BREAKDOWN_FLAGS))[SRC]
    assert listed["DataDate"] is None
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=2, minutes=10)

    for step, (variant, fields) in enumerate(FIELD_VARIANTS.items()):
        written = base + timedelta(minutes=step)
        report = publish(aws_url, rows, fmt=fmt, fields=fields, written=written)
        assert len(data_keys(report)) == 5  # several data files per report

        data, result = inventory(cli, aws_url, tmp_path / "cache", "--bucket", SRC, *BREAKDOWN_FLAGS)

        got = by_name(data)[SRC]
        expected = as_unclassed(figures(listed)) if variant == "no-class" else figures(listed)
        assert figures(got) == expected, variant
        assert got["Files"] == len(OBJECTS)
        assert got["Bytes"] == sum(size for _, size, _ in OBJECTS)
        assert got["Region"] == listed["Region"] == "us-east-1"
        assert got["DataDate"] == written.date().isoformat()
        assert data["Failures"] == [] and data["Warnings"] == []
        assert result.stderr == ""
        # Intelligent-Tiering access tiers become CloudWatch's storage types, when the report has them.
        if variant == "all":
            assert got["StorageTypes"] == it_storage_types()
        else:
            assert "StorageTypes" not in got, variant


@pytest.mark.slow
def test_versioned_inventory_equals_listing_versions(aws_url: str, cli: Any, tmp_path: Path) -> None:
    seed_versioned(aws_url, "inv-versioned")
    rows = truth_rows(aws_url, "inv-versioned", versions=True)
    markers = sum(r.is_delete_marker for r in rows)
    noncurrent = sum(not r.is_latest and not r.is_delete_marker for r in rows)
    assert markers >= 2 and noncurrent >= 5
    flags = ("--bucket", "inv-versioned", *BREAKDOWN_FLAGS)
    with_versions = by_name(listing(cli, aws_url, "--versions", *flags))["inv-versioned"]
    current_only = by_name(listing(cli, aws_url, *flags))["inv-versioned"]
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1, minutes=10)

    for step, fmt in enumerate(FORMATS):
        publish(aws_url, rows, fmt=fmt, source="inv-versioned", versions=True, written=base + timedelta(minutes=step))

        data, _ = inventory(cli, aws_url, tmp_path / "cache", "--versions", *flags)
        got = by_name(data)["inv-versioned"]
        assert figures(got, versions=True) == figures(with_versions, versions=True), fmt
        assert (got["Files"], got["DeleteMarkers"], got["NoncurrentFiles"]) == (6, markers, noncurrent)
        assert got["StorageTypes"] == {"IntelligentTieringAAStorage": 14}  # current versions only
        # Without --versions the current figures are still the listing's.
        data, _ = inventory(cli, aws_url, tmp_path / "cache", *flags)
        assert figures(by_name(data)["inv-versioned"]) == figures(current_only), fmt


@pytest.mark.parametrize("fmt", FORMATS)
def test_timestamps_are_utc_whatever_the_local_time_zone(
    cli: Any, aws_url: str, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parquet and ORC hold instants: DuckDB must not format them in the machine's time zone."""
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [
        InventoryRow("big", 50, last_modified=datetime(2019, 1, 2, 3, 4, 5, tzinfo=UTC)),
        InventoryRow("edge", 10, last_modified=now - timedelta(days=30, hours=2)),
    ]
    path = save_local(write_report(rows, source_bucket=SRC, destination_bucket=DEST, fmt=fmt), tmp_path / "r")
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # +05:30: "edge" (30 d 2 h old) would look 29 d 20 h old

    data, _ = inventory(cli, aws_url, tmp_path / "c", "--inventory-manifest", str(path), "--by", "age", "--top", "1")

    breakdowns = by_name(data)[SRC]["Breakdowns"]
    assert breakdowns["top"][0]["LastModified"] == "2019-01-02T03:04:05.000Z"
    assert {row["Key"]: row["Files"] for row in breakdowns["age"] if row["Files"]} == {"30-90 d": 1, ">=5 y": 1}


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_bucket_report_counts_zero(aws_url: str, cli: Any, tmp_path: Path, fmt: str) -> None:
    """An empty bucket's report lists no data files: zero objects, not a failure."""
    new_bucket(aws_url, SRC)
    report = publish(aws_url, [], fmt=fmt)
    assert data_keys(report) == []

    listed = by_name(listing(cli, aws_url, "--bucket", SRC, "--by", "size", "--by", "prefix"))[SRC]
    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--bucket", SRC, "--by", "size", "--by", "prefix")

    assert data["Failures"] == []
    got = by_name(data)[SRC]
    assert (got["Files"], got["Bytes"]) == (0, 0)
    assert figures(got) == figures(listed)
    # The report is of all versions (publish's default): without a file, the manifest's schema says so.
    versions, _ = inventory(cli, aws_url, tmp_path / "cache", "--bucket", SRC, "--versions")
    with_versions = by_name(listing(cli, aws_url, "--bucket", SRC, "--versions"))[SRC]
    assert figures(by_name(versions)[SRC], versions=True) == figures(with_versions, versions=True)
    assert by_name(versions)[SRC]["NoncurrentFiles"] == 0


def test_data_date_is_the_manifest_creation_date(aws_url: str, cli: Any, tmp_path: Path) -> None:
    """creationTimestamp wins over the folder's stamp; without it the stamp's date is used."""
    seed_source(aws_url, objects=OBJECTS[:4])
    stamp = datetime(2026, 3, 10, 4, 5, tzinfo=UTC)
    created = datetime(2026, 3, 8, 23, 59, 59, tzinfo=UTC)
    report = write_report(
        truth_rows(aws_url, SRC), source_bucket=SRC, destination_bucket=DEST, written=stamp, config_id="c"
    )
    new_bucket(aws_url, DEST)
    configure(client(aws_url), SRC, DEST, config_id="c")

    def creation(doc: dict[str, Any]) -> None:
        doc["creationTimestamp"] = str(int(created.timestamp() * 1000))

    upload(doctored(report, edit=creation), client(aws_url), DEST)
    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--bucket", SRC, "--max-age", "3650")
    assert by_name(data)[SRC]["DataDate"] == "2026-03-08"

    upload(doctored(report, edit=lambda doc: doc.pop("creationTimestamp")), client(aws_url), DEST)
    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--bucket", SRC, "--max-age", "3650")
    assert by_name(data)[SRC]["DataDate"] == "2026-03-10"


# --------------------------------------------------------------------------- which report


def test_newest_complete_report_is_chosen(aws_url: str, cli: Any, tmp_path: Path) -> None:
    seed_source(aws_url)
    rows = truth_rows(aws_url, SRC)
    now = datetime.now(UTC)
    older = publish(aws_url, rows[:10], written=now - timedelta(days=3))
    newer = publish(aws_url, rows[:20], written=now - timedelta(days=1))
    dest = client(aws_url)
    # The newer report is still being written: no manifest.checksum yet.
    dest.delete_object(Bucket=DEST, Key=checksum_key(newer))

    data, result = inventory(cli, aws_url, tmp_path / "cache", "--bucket", SRC)
    got = by_name(data)[SRC]
    assert got["Files"] == 10
    assert got["Bytes"] == sum(r.size or 0 for r in rows[:10])
    assert got["DataDate"] == (now - timedelta(days=3)).date().isoformat()
    assert older.manifest_key != newer.manifest_key

    # Once S3 writes the checksum, the newer report is the one.
    dest.put_object(Bucket=DEST, Key=checksum_key(newer), Body=newer.files[checksum_key(newer)])
    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--bucket", SRC)
    got = by_name(data)[SRC]
    assert (got["Files"], got["DataDate"]) == (20, (now - timedelta(days=1)).date().isoformat())
    assert result.stderr == ""


def test_cross_region_destination_with_prefix(aws_url: str, cli: Any, tmp_path: Path) -> None:
    seed_source(aws_url)
    publish(
        aws_url,
        truth_rows(aws_url, SRC),
        fmt="Parquet",
        destination="inv-west",
        prefix="reports/daily",
        dest_region="eu-west-1",
    )
    assert (
        client(aws_url).list_objects_v2(Bucket="inv-west", Prefix=f"reports/daily/{SRC}/all-objects/")["KeyCount"] > 2
    )

    listed = by_name(listing(cli, aws_url, "--bucket", SRC, *BREAKDOWN_FLAGS))[SRC]
    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--bucket", SRC, *BREAKDOWN_FLAGS)
    assert figures(by_name(data)[SRC]) == figures(listed)


def test_filtered_configuration_ranks_after_the_whole_bucket(aws_url: str, cli: Any, tmp_path: Path) -> None:
    """A newer report of a prefix-filtered configuration (listed first) loses to the whole bucket's."""
    seed_source(aws_url)
    rows = truth_rows(aws_url, SRC)
    logs = [r for r in rows if r.key.startswith("logs/")]
    now = datetime.now(UTC)
    s3 = client(aws_url)
    new_bucket(aws_url, DEST)
    s3.put_bucket_inventory_configuration(
        Bucket=SRC,
        Id="a-logs",
        InventoryConfiguration={
            "Id": "a-logs",
            "IsEnabled": True,
            "Filter": {"Prefix": "logs/"},
            "IncludedObjectVersions": "Current",
            "Schedule": {"Frequency": "Daily"},
            "Destination": {
                "S3BucketDestination": {"Bucket": f"arn:aws:s3:::{DEST}", "Format": "CSV", "Prefix": "inv"}
            },
            "OptionalFields": ["Size", "StorageClass", "LastModifiedDate"],
        },
    )
    upload(
        write_report(logs, source_bucket=SRC, destination_bucket=DEST, prefix="inv", config_id="a-logs", written=now),
        s3,
        DEST,
    )
    configs = s3.list_bucket_inventory_configurations(Bucket=SRC)["InventoryConfigurationList"]
    assert [c["Id"] for c in configs] == ["a-logs"]

    # Only the filtered report exists so far: it is what there is.
    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--bucket", SRC)
    assert by_name(data)[SRC]["Files"] == len(logs) == 2

    publish(aws_url, rows, fmt="ORC", config_id="whole", written=now - timedelta(days=1))
    configs = s3.list_bucket_inventory_configurations(Bucket=SRC)["InventoryConfigurationList"]
    assert [c["Id"] for c in configs] == ["a-logs", "whole"]
    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--bucket", SRC)
    got = by_name(data)[SRC]
    assert got["Files"] == len(OBJECTS)
    assert got["DataDate"] == (now - timedelta(days=1)).date().isoformat()


def test_choose_ranks_configurations() -> None:
    """Whole bucket first, then the version setting asked for, then daily; unusable ones dropped."""

    def config(ident: str, *, prefix: str = "", versions: str = "All", daily: bool = True) -> dict[str, Any]:
        found: dict[str, Any] = {
            "Id": ident,
            "IsEnabled": True,
            "IncludedObjectVersions": versions,
            "Schedule": {"Frequency": "Daily" if daily else "Weekly"},
            "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{DEST}", "Format": "CSV"}},
        }
        if prefix:
            found["Filter"] = {"Prefix": prefix}
        return found

    configs = [
        config("filtered-current", prefix="logs/", versions="Current"),
        config("weekly-current", versions="Current", daily=False),
        config("all-versions", versions="All"),
        config("daily-current", versions="Current"),
        {**config("disabled"), "IsEnabled": False},
        {**config("no-destination"), "Destination": {}},
    ]
    assert [c["Id"] for c in choose(configs, prefer_versions=False)] == [
        "daily-current",
        "weekly-current",
        "all-versions",
        "filtered-current",
    ]
    assert [c["Id"] for c in choose(configs, prefer_versions=True)] == [
        "all-versions",
        "daily-current",
        "weekly-current",
        "filtered-current",
    ]


def test_bucket_prefix_scope_equals_listing_of_the_scope(aws_url: str, cli: Any, tmp_path: Path) -> None:
    """``--bucket s3://name/prefix/`` counts only those keys, breakdowns and top objects included."""
    seed_source(aws_url)
    publish(aws_url, truth_rows(aws_url, SRC))
    scopes = ("--bucket", f"s3://{SRC}/logs/", "--bucket", f"s3://{SRC}/edge/", *BREAKDOWN_FLAGS)
    listed = by_name(listing(cli, aws_url, *scopes))
    data, _ = inventory(cli, aws_url, tmp_path / "c", *scopes)
    got = by_name(data)
    assert sorted(got) == sorted(listed) == [f"{SRC}/edge/", f"{SRC}/logs/"]
    assert got[f"{SRC}/logs/"]["Files"] == 2 and got[f"{SRC}/edge/"]["Files"] == 6
    for name in got:
        assert figures(got[name]) == figures(listed[name]), name


# --------------------------------------------------------------------------- the cache


def test_second_run_downloads_nothing(aws_url: str, tmp_path: Path) -> None:
    seed_source(aws_url)
    report = publish(aws_url, truth_rows(aws_url, SRC), fmt="Parquet")
    files = len(data_keys(report))
    cache = tmp_path / "cache"
    spec = BreakdownSpec(dimensions=("prefix", "size"), top_objects=3)
    bucket = Bucket(SRC, "us-east-1")

    first = InventoryStrategy(aws_for(aws_url), concurrency=4, spec=spec, cache_dir=str(cache))
    results_one = list(first.collect([bucket]))
    assert (first.fetcher.downloaded, first.fetcher.reused) == (files, 0)
    names = [p.name for p in cached(cache)]
    assert len(names) == files and all(name.endswith(".parquet") for name in names)
    inodes = {p.name: p.stat().st_ino for p in cached(cache)}

    second = InventoryStrategy(aws_for(aws_url), concurrency=4, spec=spec, cache_dir=str(cache))
    results_two = list(second.collect([bucket]))
    assert (second.fetcher.downloaded, second.fetcher.reused) == (0, files)
    assert {p.name: p.stat().st_ino for p in cached(cache)} == inodes
    assert len(results_one) == len(results_two) == 1
    one, two = results_one[0], results_two[0]
    assert isinstance(one, BucketReport) and isinstance(two, BucketReport)
    assert one.usage == two.usage
    assert one.usage.objects == len(OBJECTS)


def test_second_cli_run_reuses_the_cache(aws_url: str, cli: Any, tmp_path: Path) -> None:
    seed_source(aws_url, objects=OBJECTS[:10])
    report = publish(aws_url, truth_rows(aws_url, SRC), fmt="CSV", rows_per_file=3)
    cache = tmp_path / "cache"
    first, _ = inventory(cli, aws_url, cache, "--bucket", SRC)
    inodes = {p.name: p.stat().st_ino for p in cached(cache)}
    assert len(inodes) == len(data_keys(report)) == 4
    assert set(inodes) == {f"{md5(report.files[k])}.csv.gz" for k in data_keys(report)}
    # Replace the data in S3 behind the manifest's back: a cached (verified) file is not fetched again.
    for key in data_keys(report):
        client(aws_url).put_object(Bucket=DEST, Key=key, Body=b"not what the manifest says")

    second, _ = inventory(cli, aws_url, cache, "--bucket", SRC)
    assert {p.name: p.stat().st_ino for p in cached(cache)} == inodes
    assert figures(by_name(second)[SRC]) == figures(by_name(first)[SRC])
    # A fresh cache has to download, and finds the corruption.
    data, _ = inventory(cli, aws_url, tmp_path / "fresh", "--bucket", SRC, expect=EXIT_FAILURE)
    assert "does not match the manifest" in failure_of(data, SRC)["Message"]


def test_cache_is_trimmed_but_never_the_files_in_use(aws_url: str, tmp_path: Path) -> None:
    seed_source(aws_url, objects=OBJECTS[:8])
    rows = truth_rows(aws_url, SRC)
    one = publish(aws_url, rows[:4], config_id="one", rows_per_file=2)
    two = publish(aws_url, rows[4:], config_id="two", rows_per_file=2)
    fetcher = Fetcher(aws_for(aws_url), tmp_path / "cache", max_cache_bytes=1)

    first = fetcher.remote(parse_manifest(one.files[one.manifest_key], "one"), DEST, "us-east-1")
    assert all(p.exists() for p in first) and len(first) == 2
    second = fetcher.remote(parse_manifest(two.files[two.manifest_key], "two"), DEST, "us-east-1")

    assert all(p.exists() for p in second)
    assert not any(p.exists() for p in first)
    assert cached(tmp_path / "cache") == sorted(second)


# --------------------------------------------------------------------------- a given manifest


@pytest.mark.parametrize("fmt", FORMATS)
def test_given_s3_manifest(aws_url: str, cli: Any, tmp_path: Path, fmt: str) -> None:
    seed_source(aws_url)
    report = publish(aws_url, truth_rows(aws_url, SRC), fmt=fmt, prefix="", setup=False)
    url = f"s3://{DEST}/{report.manifest_key}"

    listed = by_name(listing(cli, aws_url, "--bucket", SRC, *BREAKDOWN_FLAGS))[SRC]
    data, result = inventory(cli, aws_url, tmp_path / "cache", "--inventory-manifest", url, *BREAKDOWN_FLAGS)

    assert [b["Bucket"] for b in data["Buckets"]] == [SRC]  # no discovery: the destination is not reported
    assert figures(data["Buckets"][0]) == figures(listed)
    assert result.stderr == ""


def test_given_s3_manifest_checksum_mismatch(aws_url: str, cli: Any, tmp_path: Path) -> None:
    new_bucket(aws_url, SRC).put_object(Bucket=SRC, Key="k", Body=b"123")
    report = publish(aws_url, truth_rows(aws_url, SRC), setup=False)
    client(aws_url).put_object(Bucket=DEST, Key=checksum_key(report), Body=md5(b"other").encode())
    url = f"s3://{DEST}/{report.manifest_key}"

    data, result = inventory(cli, aws_url, tmp_path / "cache", "--inventory-manifest", url, expect=EXIT_FAILURE)
    assert data["Buckets"] == []
    assert len(data["Failures"]) == 1
    assert "does not match manifest.checksum" in data["Failures"][0]["Message"]
    assert url in data["Failures"][0]["Message"]
    assert "not measured" in result.stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_given_local_manifest(aws_url: str, cli: Any, tmp_path: Path, fmt: str) -> None:
    seed_source(aws_url)
    report = write_report(
        truth_rows(aws_url, SRC), source_bucket=SRC, destination_bucket=DEST, fmt=fmt, rows_per_file=9
    )
    path = save_local(report, tmp_path / "copy")

    listed = by_name(listing(cli, aws_url, "--bucket", SRC, *BREAKDOWN_FLAGS))[SRC]
    data, result = inventory(cli, aws_url, tmp_path / "cache", "--inventory-manifest", str(path), *BREAKDOWN_FLAGS)
    assert figures(by_name(data)[SRC]) == figures(listed)
    assert by_name(data)[SRC]["Region"] == "-"
    assert data["Warnings"] == [] and result.stderr == ""
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())  # local files are not copied

    # Without manifest.checksum it still works, with a warning.
    path.with_name("manifest.checksum").unlink()
    data, result = inventory(cli, aws_url, tmp_path / "cache", "--inventory-manifest", str(path), *BREAKDOWN_FLAGS)
    assert figures(by_name(data)[SRC]) == figures(listed)
    assert "no manifest.checksum" in result.stderr
    assert result.stderr.startswith("warning:")
    assert [w["Message"] for w in data["Warnings"]] == [
        "no manifest.checksum beside the manifest: manifest.json itself is unverified"
    ]


def test_given_local_manifest_flat_copy(aws_url: str, cli: Any, tmp_path: Path) -> None:
    """Data files copied beside manifest.json (layout not kept) are found too."""
    rows = [InventoryRow("a/x.txt", 5), InventoryRow("b.txt", 7, "GLACIER")]
    report = write_report(rows, source_bucket=SRC, destination_bucket=DEST, rows_per_file=1)
    flat = tmp_path / "flat"
    flat.mkdir()
    for key, body in report.files.items():
        (flat / key.rsplit("/", 1)[-1]).write_bytes(body)

    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--inventory-manifest", str(flat / "manifest.json"))
    got = by_name(data)[SRC]
    assert (got["Files"], got["Bytes"], got["FilesByClass"]) == (2, 12, {"STANDARD": 1, "GLACIER": 1})


def test_given_local_manifest_problems(aws_url: str, cli: Any, tmp_path: Path) -> None:
    rows = [InventoryRow("a/x.txt", 5), InventoryRow("b.txt", 7)]
    report = write_report(rows, source_bucket=SRC, destination_bucket=DEST, rows_per_file=1)
    path = save_local(report, tmp_path / "copy")
    first, second = data_keys(report)

    (tmp_path / "copy" / first).write_bytes(b"changed")
    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--inventory-manifest", str(path), expect=EXIT_FAILURE)
    message = failure_of(data, SRC)["Message"]
    assert str(tmp_path / "copy" / first) in message and "MD5" in message

    (tmp_path / "copy" / second).unlink()
    (tmp_path / "copy" / first).write_bytes(report.files[first])
    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--inventory-manifest", str(path), expect=EXIT_FAILURE)
    message = failure_of(data, SRC)["Message"]
    assert second in message and "not beside the manifest" in message

    missing = tmp_path / "nowhere" / "manifest.json"
    data, _ = inventory(cli, aws_url, tmp_path / "cache", "--inventory-manifest", str(missing), expect=EXIT_FAILURE)
    assert data["Buckets"] == [] and str(missing) in data["Failures"][0]["Message"]


# --------------------------------------------------------------------------- bad input


def garbage(fmt: str) -> Callable[[WrittenReport], WrittenReport]:
    def make(report: WrittenReport) -> WrittenReport:
        return doctored(report, replace={data_keys(report)[0]: b"\x00garbage, not " + fmt.encode() + b"\xff" * 64})

    return make


def unknown_format(report: WrittenReport) -> WrittenReport:
    return doctored(report, edit=lambda doc: doc.update(fileFormat="Avro"))


def changed_bytes(report: WrittenReport) -> WrittenReport:
    key = data_keys(report)[-1]
    return doctored(report, replace={key: report.files[key] + b"tail"}, fix_md5=False)


def bad_checksum(report: WrittenReport) -> WrittenReport:
    return WrittenReport({**report.files, checksum_key(report): md5(b"something else").encode()}, report.manifest_key)


def no_files_entry(report: WrittenReport) -> WrittenReport:
    return doctored(report, edit=lambda doc: doc.pop("files"))


def missing_data_file(report: WrittenReport) -> WrittenReport:
    files = dict(report.files)
    del files[data_keys(report)[0]]
    return WrittenReport(files, report.manifest_key)


WITHOUT_SIZE = tuple(f for f in ALL_FIELDS if f != "Size")

# name -> (format, fields, how the report is spoilt, what the message must say: "{manifest}"/"{data}" are filled in)
BAD_REPORTS: dict[str, tuple[str, tuple[str, ...], Callable[[WrittenReport], WrittenReport], list[str]]] = {
    "checksum-mismatch": ("CSV", ALL_FIELDS, bad_checksum, ["{manifest}", "does not match manifest.checksum"]),
    "data-md5-mismatch": ("Parquet", ALL_FIELDS, changed_bytes, ["{data_last}", "MD5", "does not match the manifest"]),
    "garbage-csv": ("CSV", ALL_FIELDS, garbage("CSV"), ["DuckDB could not count the report", "GZIP", ".csv.gz"]),
    "garbage-parquet": (
        "Parquet",
        ALL_FIELDS,
        garbage("Parquet"),
        ["{manifest}", "cannot read the Parquet", ".parquet"],
    ),
    "garbage-orc": ("ORC", ALL_FIELDS, garbage("ORC"), ["{manifest}", "cannot read the ORC data files", ".orc"]),
    "unknown-format": ("CSV", ALL_FIELDS, unknown_format, ["{manifest}", "unknown inventory format 'Avro'"]),
    "csv-without-size": ("CSV", WITHOUT_SIZE, lambda r: r, ["{manifest}", "CSV schema has no Size field"]),
    "parquet-without-size": ("Parquet", WITHOUT_SIZE, lambda r: r, ["{manifest}", "no size column"]),
    "orc-without-size": ("ORC", WITHOUT_SIZE, lambda r: r, ["{manifest}", "no size column"]),
    "manifest-without-files": ("CSV", ALL_FIELDS, no_files_entry, ["{manifest}", "not a valid S3 Inventory manifest"]),
    "data-file-missing": ("ORC", ALL_FIELDS, missing_data_file, ["{data_first}", "it does not exist"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD_REPORTS))
def test_bad_report_fails_only_its_bucket(aws_url: str, cli: Any, tmp_path: Path, case: str) -> None:
    fmt, fields, spoil, needles = BAD_REPORTS[case]
    seed_good(aws_url)
    seed_source(aws_url, objects=OBJECTS[:6])
    report = write_report(
        truth_rows(aws_url, SRC), source_bucket=SRC, destination_bucket=DEST, fmt=fmt, fields=fields, rows_per_file=3
    )
    upload(spoil(report), client(aws_url), DEST)
    configure(client(aws_url), SRC, DEST, fmt=fmt)

    data, result = inventory(cli, aws_url, tmp_path / "cache", "--bucket", GOOD, "--bucket", SRC, expect=EXIT_PARTIAL)

    assert by_name(data)[GOOD]["Files"] == 1
    failure = failure_of(data, SRC)
    assert (failure["Stage"], failure["Region"], failure["Error"]) == ("inventory", "us-east-1", "InventoryError")
    names = {
        "manifest": f"s3://{DEST}/{report.manifest_key}",
        "data_first": data_keys(report)[0],
        "data_last": data_keys(report)[-1],
    }
    for needle in needles:
        assert needle.format(**names) in failure["Message"], failure["Message"]
    assert f"warning: bucket {SRC} (us-east-1) not measured [inventory: " in result.stderr
    assert GOOD not in result.stderr


def test_no_inventory_configuration(aws_url: str, cli: Any, tmp_path: Path) -> None:
    seed_good(aws_url)
    new_bucket(aws_url, "plain").put_object(Bucket="plain", Key="k", Body=b"1")

    data, result = inventory(cli, aws_url, tmp_path / "c", "--bucket", GOOD, "--bucket", "plain", expect=EXIT_PARTIAL)
    message = failure_of(data, "plain")["Message"]
    assert "plain has no enabled S3 Inventory configuration" in message
    assert "--strategy list" in message and "--strategy cloudwatch" in message
    assert by_name(data)[GOOD]["Files"] == 1

    # Alone, the failed bucket makes the run a failure.
    data, result = inventory(cli, aws_url, tmp_path / "c", "--bucket", "plain", expect=EXIT_FAILURE)
    assert data["Buckets"] == [] and failure_of(data, "plain")["Error"] == "InventoryError"
    assert "plain" in result.stderr


def test_configured_but_no_report_yet(aws_url: str, cli: Any, tmp_path: Path) -> None:
    seed_good(aws_url)
    new_bucket(aws_url, "fresh").put_object(Bucket="fresh", Key="k", Body=b"1")
    configure(client(aws_url), "fresh", DEST, config_id="nightly")

    data, _ = inventory(cli, aws_url, tmp_path / "c", "--bucket", GOOD, "--bucket", "fresh", expect=EXIT_PARTIAL)
    message = failure_of(data, "fresh")["Message"]
    assert "no complete report yet" in message and "nightly" in message

    data, _ = inventory(cli, aws_url, tmp_path / "c", "--bucket", "fresh", expect=EXIT_FAILURE)
    assert data["Buckets"] == []


def test_missing_destination_bucket_fails_the_bucket(aws_url: str, cli: Any, tmp_path: Path) -> None:
    seed_good(aws_url)
    new_bucket(aws_url, "orphan").put_object(Bucket="orphan", Key="k", Body=b"1")
    configure(client(aws_url), "orphan", "inv-deleted-destination")

    data, result = inventory(cli, aws_url, tmp_path / "c", "--bucket", GOOD, "--bucket", "orphan", expect=EXIT_PARTIAL)
    failure = failure_of(data, "orphan")
    assert failure["Error"] == "NoSuchBucket"
    assert "inv-deleted-destination" in failure["Message"]
    assert "not measured" in result.stderr


def test_unusable_cache_dir_fails_the_bucket(aws_url: str, cli: Any, tmp_path: Path) -> None:
    seed_source(aws_url, objects=OBJECTS[:2])
    publish(aws_url, truth_rows(aws_url, SRC))
    (tmp_path / "a-file").write_text("not a directory")

    data, _ = inventory(cli, aws_url, tmp_path / "a-file" / "cache", "--bucket", SRC, expect=EXIT_FAILURE)
    assert "Cannot create the inventory cache" in failure_of(data, SRC)["Message"]


def test_denied_listing_of_the_destination_fails_the_bucket(
    aws_url: str, cli: Any, tmp_path: Path, fault_proxy: Any
) -> None:
    seed_good(aws_url)
    seed_source(aws_url, objects=OBJECTS[:3])
    publish(aws_url, truth_rows(aws_url, SRC), destination="inv-elsewhere")
    denied = fault_proxy.add(operation="ListObjectsV2", bucket="inv-elsewhere")

    data, _ = run(
        cli, fault_proxy.url, "--strategy", "inventory", "--cache-dir", str(tmp_path / "c"),
        "--bucket", GOOD, "--bucket", SRC, expect=EXIT_PARTIAL,
    )  # fmt: skip
    assert denied.hits >= 1
    failure = failure_of(data, SRC)
    assert failure["Error"] == "AccessDenied"
    assert "inv-elsewhere" in failure["Message"]


def test_denied_data_file_fails_the_bucket(aws_url: str, cli: Any, tmp_path: Path, fault_proxy: Any) -> None:
    seed_good(aws_url)
    seed_source(aws_url, objects=OBJECTS[:3])
    report = publish(aws_url, truth_rows(aws_url, SRC), fmt="Parquet")
    key = data_keys(report)[0]
    fault_proxy.add(path_contains=key.rsplit("/", 1)[-1])

    data, _ = run(
        cli, fault_proxy.url, "--strategy", "inventory", "--cache-dir", str(tmp_path / "c"),
        "--bucket", GOOD, "--bucket", SRC, expect=EXIT_PARTIAL,
    )  # fmt: skip
    failure = failure_of(data, SRC)
    assert failure["Error"] == "AccessDenied"
    assert key in failure["Message"]


@pytest.mark.parametrize(("max_age", "stale"), [("8", True), ("30", False)])
def test_stale_report_is_counted_with_a_warning(
    aws_url: str, cli: Any, tmp_path: Path, max_age: str, stale: bool
) -> None:
    seed_source(aws_url, objects=OBJECTS[:5])
    written = datetime.now(UTC) - timedelta(days=20, hours=1)
    publish(aws_url, truth_rows(aws_url, SRC), written=written)

    data, result = inventory(cli, aws_url, tmp_path / "c", "--bucket", SRC, "--max-age", max_age)

    got = by_name(data)[SRC]
    assert (got["Files"], got["DataDate"]) == (5, written.date().isoformat())
    if stale:
        day = f"{written:%Y-%m-%d}"
        assert f"warning: bucket {SRC}: the inventory report is from {day} (20 days old" in result.stderr
        assert len(data["Warnings"]) == 1
        assert data["Warnings"][0]["Bucket"] == SRC and day in data["Warnings"][0]["Message"]
        assert "--max-age 8" in data["Warnings"][0]["Message"]
    else:
        assert data["Warnings"] == [] and result.stderr == ""


@pytest.mark.parametrize(
    "args",
    [
        ["--strategy", "inventory", "--uploads"],
        ["--strategy", "list", "--inventory-manifest", "s3://b/manifest.json"],
    ],
)
def test_inventory_usage_errors(aws_url: str, cli: Any, args: list[str]) -> None:
    result = cli("--endpoint-url", aws_url, "--fmt", "json", *args)
    assert result.code == EXIT_USAGE
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr


def test_unreadable_given_report_fails_under_its_source_bucket(aws_url: str, tmp_path: Path) -> None:
    """A given report that cannot be read fails under its source bucket's name when the manifest says it."""
    report = write_report([InventoryRow("k", 1)], source_bucket="someone-elses", destination_bucket=DEST)
    broken = doctored(report, replace={data_keys(report)[0]: b"junk"})
    path = save_local(broken, tmp_path / "copy")
    strategy = InventoryStrategy(aws_for(aws_url), concurrency=2, manifest=str(path), cache_dir=str(tmp_path / "c"))
    results = list(strategy.collect([]))
    assert len(results) == 1 and isinstance(results[0], Failure)
    assert results[0].bucket == "someone-elses"
    assert "DuckDB" in results[0].message
