"""``s3sa prices``: fetch prices from the AWS Price List API into the cache, and show the prices a report uses.

``prices update`` needs ``pricing:GetProducts`` and nothing else; the prices it caches are public. ``prices
show`` reads no AWS: it layers ``--prices FILE`` over the cache over the shipped table, as every cost does.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import click

from .aws import Aws, AwsOptions, check_endpoint_url, check_region
from .errors import AwsError, UsageError
from .pricing.book import ANY_REGION, Price, PriceBook, PriceSource, PriceTable, table_to_json
from .pricing.pricelist import PRICING_REGION, SOURCE_NAME, fetch, plain, write_cache
from .safetext import printable

SHOW_FORMATS = ("table", "json", "csv")
_UNITS = {
    "storage": "GB-month",
    "monitoring": "1,000 objects/month",
    "requests": "1,000 requests",
    "transition": "1,000 requests",
    "cloudwatch": "1,000 metrics",
    "inventory": "1,000,000 objects",
}

_cache_dir = click.option(
    "--cache-dir",
    "cache_dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    envvar="S3SA_CACHE_DIR",
    show_envvar=True,
    help="The cache directory, as for the inventory strategy; the prices are kept in "
    "DIR/s3-storage-analyser-prices/prices.json.",
)


def unit_of(item: str) -> str:
    """What one priced unit of ``item`` is: USD per GB-month, per 1,000 requests..."""
    return _UNITS.get(item.partition("/")[0], "?")


@click.group("prices")
def prices_group() -> None:
    """Prices: fetch them from the AWS Price List API, or show those a report uses."""


@prices_group.command("update")
@click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="REGION",
    help="Fetch this region's prices only (repeatable); default every region.",
)
@_cache_dir
@click.option("--profile", metavar="NAME", help="The AWS profile whose credentials call the Price List API.")
@click.option(
    "--endpoint-url",
    "endpoint_url",
    metavar="URL",
    help="The Price List API endpoint, for a proxy or a test server (AWS_ENDPOINT_URL_PRICING is read too); "
    f"default AWS's in {PRICING_REGION}.",
)
def update_command(
    regions: Sequence[str], cache_dir: str | None, profile: str | None, endpoint_url: str | None
) -> None:
    """Fetch S3 prices (storage, requests, transitions, monitoring) from the AWS Price List API
    and cache them; needs pricing:GetProducts."""
    wanted = tuple(dict.fromkeys(check_region(region) for region in regions))
    if endpoint_url is not None:
        check_endpoint_url(endpoint_url)
    aws = Aws(AwsOptions(endpoint_url=endpoint_url, profile=profile, region=PRICING_REGION))
    scope = ", ".join(wanted) if wanted else "every region: a minute or two"
    click.echo(f"Reading S3 prices from the {SOURCE_NAME} ({scope})...", err=True)
    table, translation = fetch(aws, wanted)
    if not table.prices:
        where = f" for {', '.join(wanted)}" if wanted else ""
        if wanted:
            raise UsageError(
                f"The AWS Price List has no S3 prices{where}.",
                hint="Check the region codes (e.g. eu-west-1); nothing was cached.",
            )
        raise AwsError(
            f"The AWS Price List answered no S3 prices ({translation.entries:,} products read); nothing was cached.",
            code="InvalidPriceList",
        )
    path = write_cache(table, cache_dir)
    missing = sorted(set(wanted) - table.regions)
    for note in translation.ambiguous:
        click.echo(f"note: left out {note}: the Price List prices it more than once, differently.", err=True)
    for region in missing:
        click.echo(f"note: the Price List has no S3 prices for {region}.", err=True)
    rows = sum(len(tiers) for tiers in table.prices.values())
    click.echo(
        f"Cached {rows:,} prices for {len(table.regions)} region{'s' if len(table.regions) != 1 else ''} "
        f"from the {SOURCE_NAME} (published {table.source.date.isoformat()}) in {path}."
    )


def effective(book: PriceBook, regions: Sequence[str]) -> list[Price]:
    """Every (region, item) some source prices, as the first source that has it prices it (before any
    discount: ``Price.tiers`` as the source gives them)."""
    pairs = {key for table in book.tables for key in table.prices}
    shown_regions = sorted({region for region, _item in pairs} if not regions else set(regions))
    items = sorted({item for _region, item in pairs})
    found = []
    for region in shown_regions:
        for item in items:
            for table in book.tables:  # as PriceBook.price looks them up, but before the discount
                tiers = table.prices.get((region, item)) or table.prices.get((ANY_REGION, item))
                if tiers:
                    found.append(Price(item, region, tiers, table.source))
                    break
    return found


def as_prices_file(prices: Sequence[Price], book: PriceBook) -> str:
    """The effective prices in the prices file format (``--prices`` reads it back to the same prices): each
    row as its source gives it, the book's discount once, the newest source's date."""
    used = [source for source in book.sources if any(p.source == source for p in prices)]
    source = PriceSource(
        "Effective prices from " + ", ".join(f"{s.kind} {s.date.isoformat()}" for s in used),
        max(s.date for s in used),
        "file",
        book.discount,
    )
    rows = {(p.region, p.item): p.tiers for p in prices}
    return table_to_json(PriceTable(source, rows))


def render_prices(prices: Sequence[Price], book: PriceBook, fmt: str) -> str:
    from rich.console import Console  # rich and the renderers when prices are shown, not with every command
    from rich.table import Table

    from .render.delimited import write_rows
    from .render.table import strip_trailing

    if fmt == "json":
        return as_prices_file(prices, book)
    keep = 1 - book.discount
    rows = [
        (p.region, p.item, plain(tier.from_gb), plain(tier.usd * keep), unit_of(p.item), p.source.name, p.source.date)
        for p in prices
        for tier in p.tiers
    ]
    if fmt == "csv":
        names = ("region", "item", "from_gb", "usd", "unit", "source", "date")
        return write_rows([names, *((*row[:-1], row[-1].isoformat()) for row in rows)], "csv")
    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in ("Region", "Item", "From", "USD", "Per", "Source"):
        table.add_column(header, justify="right" if header in ("From", "USD") else "left")
    kinds = {p.source.name: p.source.kind for p in prices}
    for region, item, start, usd, unit, source, when in rows:
        table.add_row(region, item, start, usd, unit, f"{kinds[source]} {when.isoformat()}")
    buffer = io.StringIO()
    Console(file=buffer, width=100_000, no_color=True, highlight=False).print(table)
    notes = [f"{source.kind}: {source.describe()}" for source in book.sources if source.name in kinds]
    if book.discount:
        notes.append(f"USD is after the discount of {book.discount * 100:f}% the prices file gives.")
    notes.append("A tiered item's tier starts at From (GB-months for storage, the Per unit otherwise).")
    return strip_trailing(buffer.getvalue()) + "".join(printable(note) + "\n" for note in notes)


@prices_group.command("show")
@click.option(
    "--prices",
    "prices_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    envvar="S3SA_PRICES",
    show_envvar=True,
    help="A JSON or CSV prices file layered over the cache and the shipped table, as a report's --prices.",
)
@click.option("--region", "regions", multiple=True, metavar="REGION", help="Show this region only (repeatable).")
@click.option(
    "--fmt",
    "fmt",
    type=click.Choice(SHOW_FORMATS, case_sensitive=False),
    default="table",
    show_default=True,
    help="Output format.",
)
@_cache_dir
def show_command(prices_file: str | None, regions: Sequence[str], fmt: str, cache_dir: str | None) -> None:
    """The prices a report would use, per region and item, each with its source and date."""
    from .pricing.sources import load_book

    wanted = tuple(dict.fromkeys(check_region(region) for region in regions))
    book = load_book(prices_file, cache_dir)
    prices = effective(book, wanted)
    if not prices:
        raise UsageError(
            f"No prices for {', '.join(wanted)}.",
            hint=f"Fetch them with `s3sa prices update --region {wanted[0]}`, or give them in --prices FILE.",
        )
    click.echo(render_prices(prices, book, fmt.lower()), nl=False)
