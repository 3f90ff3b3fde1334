"""A stdlib-only fake of the AWS Price List Query API's GetProducts, over HTTP on loopback.

It speaks the JSON protocol botocore's ``pricing`` client uses (``POST /`` with ``X-Amz-Target:
AWSPriceListService.GetProducts``, ``application/x-amz-json-1.1``) and answers pages in the real format:
``{"FormatVersion": "aws_v1", "PriceList": ["<product JSON as a string>", ...], "NextToken": "..."}``.
Filters of type TERM_MATCH / EQUALS (exact) and CONTAINS (substring) are applied to product attributes;
NextToken pages through the matching entries ``page_size`` at a time. Errors are JSON-protocol errors
(``{"__type": "AccessDeniedException", "Message": ...}``). Signatures are not checked.

``product(...)`` builds one entry as the Price List publishes it (a product's attributes, its OnDemand
term with one price dimension per tier); tests add entries, or raw strings for hostile answers.
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

TARGET = "AWSPriceListService.GetProducts"
OFFER_TERM = "JRTCKXETXF"  # the code of the OnDemand offer term in the Price List
PUBLISHED = "2026-07-01T00:00:00Z"

_skus = iter(range(1, 1_000_000))


def product(
    region: str,
    usage_type: str,
    unit: str,
    tiers: Sequence[tuple[str, str]] | str,
    *,
    operation: str = "",
    service: str = "AmazonS3",
    family: str | None = None,
    published: str = PUBLISHED,
    ends: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One PriceList entry. ``tiers``: (beginRange, USD per unit) pairs, or one price for a flat rate; each
    tier ends where the next begins and the last at "Inf" (``ends`` overrides that, for hostile ranges)."""
    sku = f"SKU{next(_skus):012d}"
    pairs = [("0", tiers)] if isinstance(tiers, str) else list(tiers)
    stops = list(ends) if ends is not None else [begin for begin, _usd in pairs[1:]] + ["Inf"]
    dimensions = {}
    for n, ((begin, usd), end) in enumerate(zip(pairs, stops, strict=True)):
        code = f"{sku}.{OFFER_TERM}.RATE{n:04d}"
        dimensions[code] = {
            "unit": unit,
            "endRange": end,
            "description": f"${usd} per {unit} for {usage_type}",
            "appliesTo": [],
            "rateCode": code,
            "beginRange": begin,
            "pricePerUnit": {"USD": usd},
        }
    attributes = {
        "regionCode": region,
        "servicecode": service,
        "usagetype": usage_type,
        "locationType": "AWS Region",
        "location": region,
        "operation": operation,
    }
    return {
        "product": {"productFamily": family or "Storage", "attributes": attributes, "sku": sku},
        "serviceCode": service,
        "terms": {
            "OnDemand": {
                f"{sku}.{OFFER_TERM}": {
                    "priceDimensions": dimensions,
                    "sku": sku,
                    "effectiveDate": published,
                    "offerTermCode": OFFER_TERM,
                    "termAttributes": {},
                }
            }
        },
        "version": published.replace("-", "").replace(":", "")[:15],
        "publicationDate": published,
    }


@dataclass
class Entry:
    service: str
    text: str
    attributes: dict[str, str]


@dataclass
class FakePricing:
    """The server's state: entries per service code, paging, and misbehaviours a test switches on."""

    page_size: int = 3
    deny: bool = False
    # "huge-page": a page of more entries than MaxResults; "stuck-token": the same NextToken forever.
    hostile: str | None = None
    throttle: int = 0  # answer this many requests with ThrottlingException first (botocore retries them)
    entries: list[Entry] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _server: http.server.ThreadingHTTPServer | None = None

    def add(self, entry: dict[str, Any] | str, *, service: str | None = None) -> None:
        if isinstance(entry, str):
            self.entries.append(Entry(service or "AmazonS3", entry, {}))
            return
        attributes = entry["product"]["attributes"]
        self.entries.append(Entry(service or entry["serviceCode"], json.dumps(entry), attributes))

    def matching(self, request: dict[str, Any]) -> list[str]:
        found = []
        for entry in self.entries:
            if entry.service != request.get("ServiceCode"):
                continue
            keep = True
            for f in request.get("Filters", []):
                value = entry.attributes.get(f["Field"], "")
                if f["Type"] in ("TERM_MATCH", "EQUALS"):
                    keep = keep and value == f["Value"]
                elif f["Type"] == "CONTAINS":
                    keep = keep and f["Value"] in value
            if keep:
                found.append(entry.text)
        return found

    def answer(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.requests.append(request)
        if self.deny:
            return 400, {
                "__type": "AccessDeniedException",
                "Message": "User: arn:aws:iam::123456789012:user/reader is not authorized to perform: "
                "pricing:GetProducts",
            }
        if self.throttle > 0:
            self.throttle -= 1
            return 400, {"__type": "ThrottlingException", "Message": "Rate exceeded"}
        found = self.matching(request)
        limit = int(request.get("MaxResults", 100))
        if self.hostile == "huge-page":
            return 200, {"FormatVersion": "aws_v1", "PriceList": (found * (limit + 1))[: limit + 1]}
        token = request.get("NextToken")
        start = int(base64.b64decode(token)) if token else 0
        size = min(self.page_size, limit)
        page: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": found[start : start + size]}
        if start + size < len(found):
            page["NextToken"] = base64.b64encode(str(start + size).encode()).decode()
        if self.hostile == "stuck-token":
            page["NextToken"] = base64.b64encode(b"0").decode()
        return 200, page

    def start(self) -> FakePricing:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes: no delayed-ACK stall

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.headers.get("X-Amz-Target") != TARGET:
                    status, answer = 400, {"__type": "UnknownOperationException", "Message": "not GetProducts"}
                else:
                    status, answer = fake.answer(body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", "fakepricing")
                self.end_headers()
                self.wfile.write(data)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
