"""Each default is declared once, in the settings table, and every consumer reads it from there."""

from __future__ import annotations

import inspect
import os

import click
import pytest

from s3_storage_analyser.aggregate import BreakdownSpec
from s3_storage_analyser.config import (
    LISTING_CONCURRENCY,
    REPORT_SETTINGS,
    ReportArgs,
    ScanOptions,
    default,
    default_concurrency,
    report_options,
)
from s3_storage_analyser.strategies.cloudwatch import CloudWatchStrategy
from s3_storage_analyser.strategies.inventory import InventoryStrategy

# ScanOptions field -> the setting it comes from
SCAN_FIELDS = {
    "strategy": "strategy",
    "days": "days",
    "processes": "processes",
    "versions": "versions",
    "uploads": "uploads",
    "inventory_manifest": "inventory_manifest",
    "max_age_days": "max_age",
    "cache_dir": "cache_dir",
}
SPEC_FIELDS = {"depth": "depth", "delimiter": "delimiter", "limit": "limit", "top_objects": "top"}


def test_scan_options_take_their_defaults_from_the_table() -> None:
    options = ScanOptions()
    for name, dest in SCAN_FIELDS.items():
        assert getattr(options, name) == default(dest), name
    assert options.days == 3 and options.max_age_days == 8  # the values themselves, as documented


def test_the_breakdown_shape_defaults_are_the_specs() -> None:
    spec = BreakdownSpec()
    for name, dest in SPEC_FIELDS.items():
        assert getattr(spec, name) == default(dest), name
    assert (spec.depth, spec.delimiter, spec.limit, spec.top_objects) == (1, "/", 20, 0)


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [("cloudwatch", os.cpu_count() or 2), ("list", LISTING_CONCURRENCY), ("inventory", os.cpu_count() or 2)],
)
def test_one_concurrency_default_per_strategy(strategy: str, expected: int) -> None:
    assert default_concurrency(strategy) == expected
    assert ScanOptions(strategy=strategy).concurrency == expected  # not a constant of its own
    assert ScanOptions(strategy=strategy, concurrency=5).concurrency == 5


def test_strategies_restate_no_default() -> None:
    cloudwatch = inspect.signature(CloudWatchStrategy.__init__).parameters
    assert cloudwatch["days"].default is inspect.Parameter.empty
    assert cloudwatch["concurrency"].default is inspect.Parameter.empty
    inventory = inspect.signature(InventoryStrategy.__init__).parameters
    assert inventory["max_age_days"].default == default("max_age")


def _parse(argv: list[str]) -> ReportArgs:
    """The flags as the report command parses them (click's parser, the table's options)."""
    seen: list[ReportArgs] = []

    @click.command()
    @report_options
    def command(**flags: object) -> None:
        seen.append(ReportArgs.from_flags(flags))

    command.main(args=argv, prog_name="report", standalone_mode=False)
    return seen[0]


def test_the_command_line_defaults_are_the_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    for setting in REPORT_SETTINGS:
        if setting.envvar:
            monkeypatch.delenv(setting.envvar, raising=False)
    args = _parse([])
    assert args.scan == ScanOptions(concurrency=default_concurrency("cloudwatch"))
    listing = _parse(["--strategy", "list", "--by", "prefix"])
    assert listing.scan.concurrency == LISTING_CONCURRENCY
    assert listing.aws.max_pool_connections == LISTING_CONCURRENCY
    assert listing.scan.breakdowns == BreakdownSpec(dimensions=("prefix",))
