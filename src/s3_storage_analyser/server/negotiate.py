"""The report format an ``Accept`` header asks for (RFC 9110 section 12.5.1).

Highest ``q`` first; at equal ``q`` an exact media type beats ``type/*``, which
beats ``*/*``, then the client's order decides. ``q=0`` rules a format out, even
where a wildcard would match it. A header naming nothing we serve gets JSON,
the first version's default, rather than a 406 that old clients never saw.
"""

from __future__ import annotations

# Media type -> format, in the order wildcards prefer them.
MEDIA_FORMATS: tuple[tuple[str, str], ...] = (
    ("application/json", "json"),
    ("application/x-ndjson", "ndjson"),
    ("text/tab-separated-values", "tsv"),
    ("text/csv", "csv"),
    ("text/plain", "table"),
)
DEFAULT_FORMAT = "json"


def _weight(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 1.0  # a malformed weight is ignored, not the whole media range
    return 1.0


def negotiate(accept: str) -> str:
    """The format to answer with; ``DEFAULT_FORMAT`` when the header names none we serve."""
    ranges = []
    for position, item in enumerate(accept.split(",")):
        media, *params = item.split(";")
        ranges.append((media.strip().lower(), _weight(params), position))
    excluded = {media for media, q, _ in ranges if q == 0}
    best: tuple[float, int, int, str] | None = None
    for media, q, position in ranges:
        if q == 0:
            continue
        for served, name in MEDIA_FORMATS:
            if served in excluded:
                continue
            if media == served:
                specificity = 2
            elif media == served.split("/")[0] + "/*":
                specificity = 1
            elif media == "*/*":
                specificity = 0
            else:
                continue
            candidate = (q, specificity, -position, name)
            if best is None or candidate[:3] > best[:3]:
                best = candidate
            break  # a wildcard takes the first format it matches
    return best[3] if best else DEFAULT_FORMAT


def wants_html(accept: str) -> bool:
    """Whether a browser asks for a page: ``text/html`` named, and weighted at least as high as any
    format we serve that it names exactly (``*/*`` alone, as curl sends, still gets JSON)."""
    html = 0.0
    served = 0.0
    formats = {media for media, _ in MEDIA_FORMATS}
    for item in accept.split(","):
        media, *params = item.split(";")
        media = media.strip().lower()
        if media == "text/html":
            html = max(html, _weight(params))
        elif media in formats:
            served = max(served, _weight(params))
    return html > 0 and html >= served
