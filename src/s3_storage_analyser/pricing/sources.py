"""The price book a run uses: ``--prices FILE``, then ``s3sa prices update``'s cache, then the shipped table."""

from __future__ import annotations

from pathlib import Path

from .book import PriceBook, PriceTable, load_file
from .shipped import shipped_table


def load_book(prices_file: str | None, cache_dir: str | None) -> PriceBook:
    """Every source there is, in order of precedence; a bad file or cache is a UsageError (exit 2)."""
    from .pricelist import read_cache  # the Price List cache: only read when prices are asked for

    tables: list[PriceTable] = []
    if prices_file:
        tables.append(load_file(Path(prices_file)))
    cached = read_cache(cache_dir)
    if cached is not None:
        tables.append(cached)
    tables.append(shipped_table())
    return PriceBook(tuple(tables))
