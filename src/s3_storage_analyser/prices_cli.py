"""``s3sa prices``: fetch prices from the AWS Price List API into the cache, and show the prices a report uses.

``prices update`` needs ``pricing:GetProducts`` and nothing else; the prices it caches are public. ``prices
show`` reads no AWS: it layers ``--prices FILE`` over the cache over the shipped table, as every cost does.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import click
from rich.console import Console
from rich.table import Table

from .aws import Aws, AwsOptions, check_endpoint_url, check_region
from .errors import AwsError, UsageError
from .pricing.book import FORMAT, Price, PriceBook, PriceSource
from .pricing.pricelist import PRICING_REGION, SOURCE_NAME, fetch, write_cache
from .render.delimited import write_rows
from .render.table import strip_trailing
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
    """Every (region, item) some source prices, as the book prices it: the first source that has it wins."""
    pairs = {key for table in book.tables for key in table.prices}
    shown_regions = sorted({region for region, _item in pairs} if not regions else set(regions))
    items = sorted({item for _region, item in pairs})
    found = []
    for region in shown_regions:
        for item in items:
            price = book.price(region, item)
            if price is not None:
                found.append(price)
    return found


def _source_dict(source: PriceSource) -> dict[str, str]:
    return {"name": source.name, "date": source.date.isoformat(), "kind": source.kind, "discount": str(source.discount)}


def render_prices(prices: Sequence[Price], book: PriceBook, fmt: str) -> str:
    rows = [
        (p.region, p.item, str(tier.from_gb), str(tier.usd), unit_of(p.item), p.source.name, p.source.date.isoformat())
        for p in prices
        for tier in p.tiers
    ]
    if fmt == "json":
        document = {
            "format": FORMAT,
            "currency": "USD",
            "sources": [_source_dict(source) for source in book.sources],
            "discount": str(book.discount),
            "prices": [
                {"region": r, "item": i, "from_gb": f, "usd": u, "unit": n, "source": s, "date": d}
                for r, i, f, u, n, s, d in rows
            ],
        }
        return json.dumps(document, indent=1, ensure_ascii=True) + "\n"
    if fmt == "csv":
        return write_rows([("region", "item", "from_gb", "usd", "unit", "source", "date"), *rows], "csv")
    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in ("Region", "Item", "From", "USD", "Per", "Source"):
        table.add_column(header, justify="right" if header in ("From", "USD") else "left")
    kinds = {p.source.name: p.source.kind for p in prices}
    for region, item, start, usd, unit, source, when in rows:
        table.add_row(region, item, start, usd, unit, f"{kinds[source]} {when}")
    buffer = io.StringIO()
    Console(file=buffer, width=100_000, no_color=True, highlight=False).print(table)
    notes = [f"{source.kind}: {source.describe()}" for source in book.sources if source.name in kinds]
    if book.discount:
        notes.append(f"Prices shown with the discount {book.discount * 100:f}% already taken off.")
    notes.append("Tiered items start each tier at From (GB-months for storage, the Per unit otherwise).")
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
