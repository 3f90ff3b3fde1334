"""Property: a listing whose pages were tampered with gives the exact figures or a named failure, never a
wrong number.

Real ListObjectsV2 pages (FakeS3's) are mutated on the wire, one page per example: entries swapped,
reversed, duplicated, dropped, the previous page's last key repeated, the body cut short, character
references and bad sizes injected, the token removed, the page emptied. The whole listing then runs
through the engine over HTTP. "Exact" is what the server said: the keys it listed, so a dropped entry
may be missing (no client can know it existed), but nothing may be counted twice or made up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3_storage_analyser.aws import Aws, AwsOptions
from s3_storage_analyser.listing.engine import ListingEngine, Target
from s3_storage_analyser.model import Bucket, BucketReport, Failure
from support.fakes3 import FakeS3, FlatHexKeys, KeySource, contents_element, url_text
from support.keys import tricky_keys, truth

NAMED = {"ListingOutOfOrder", "ListingStuck", "InvalidPage", "IncompletePage"}
PAGE = 1000
# 2,100 keys: three pages (1,000, 1,000, 100), so every page a Plan picks exists and the last one has room for
# positions; more keys only add parsing per example.
SOURCES: dict[str, KeySource] = {"flat": FlatHexKeys(2100, seed=7), "tricky": tricky_keys(2100)}
MUTATIONS = ("swap", "reverse", "duplicate", "overlap", "drop", "truncate", "entity", "size", "empty", "no-token")
ENTITIES = ("&#1114112;", "&#xD800;", "&#xDFFF;", "&#99999999999;", "&#x41;", "&amp;", "&#x1;", "&lt;")
SIZES = ("-1", str(1 << 63), str(1 << 64), "1e3", "", "0x10", "１")
_CONTENTS = re.compile(r"<Contents>.*?</Contents>", re.S)
_SIZE_CLASS = re.compile(r"<Size>(\d+)</Size><StorageClass>([^<]*)</StorageClass>")


@dataclass
class Plan:
    """Which page to tamper with, how, and where; ``removed`` collects the entries taken out."""

    page: int
    mutation: str
    position: int
    other: int
    entity: str
    size: str
    removed: list[str] = field(default_factory=list)


class TamperingFakeS3(FakeS3):
    """FakeS3 whose one chosen ListObjectsV2 page (every time it is asked for) is mutated by a Plan."""

    def __init__(self, source: KeySource, plan: Plan) -> None:
        super().__init__()
        self.source, self.plan = source, plan
        self.add_bucket("b", source)

    def respond(self, request: Any, request_id: str) -> Any:
        response = super().respond(request, request_id)
        page = self.plan.page
        start = self.source.key(page * PAGE - 1) if page else ""
        if request.op != "ListObjectsV2" or request.query.get("delimiter") or response.status != 200:
            return response
        if request.query.get("start-after", "") != start or request.query.get("continuation-token"):
            return response
        return replace(response, body=self._mutate(response.body.decode()).encode())

    def _mutate(self, body: str) -> str:
        plan = self.plan
        entries = _CONTENTS.findall(body)
        head, tail = body[: body.find("<Contents>")], body[body.rfind("</Contents>") + len("</Contents>") :]
        if not entries or plan.mutation == "truncate":
            return body[: plan.position % max(1, len(body))]
        i, j = plan.position % len(entries), plan.other % len(entries)
        if plan.mutation == "swap" and i != j:
            entries[i], entries[j] = entries[j], entries[i]
        elif plan.mutation == "reverse":
            entries.reverse()
        elif plan.mutation == "duplicate":
            entries.insert(i, entries[i])
        elif plan.mutation == "overlap" and plan.page:
            entries.insert(0, contents_element(self.source.obj(plan.page * PAGE - 1), url_text))
        elif plan.mutation == "drop":
            plan.removed = [entries.pop(i)]
        elif plan.mutation == "empty":
            plan.removed, entries = entries, []
        elif plan.mutation == "entity":
            entries[i] = entries[i].replace("</Key>", plan.entity + "</Key>", 1)
        elif plan.mutation == "size":
            entries[i] = re.sub(r"<Size>\d+</Size>", f"<Size>{plan.size}</Size>", entries[i])
        elif plan.mutation == "no-token":
            head = re.sub(r"<NextContinuationToken>[^<]*</NextContinuationToken>", "", head)
        return head + "".join(entries) + tail


plans = st.builds(
    Plan,
    page=st.integers(0, 2),
    mutation=st.sampled_from(MUTATIONS),
    position=st.integers(0, 10**6),
    other=st.integers(0, 10**6),
    entity=st.sampled_from(ENTITIES),
    size=st.sampled_from(SIZES),
)


def without(counts: dict[str, int], sizes: dict[str, int], removed: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    objects, volume = dict(counts), dict(sizes)
    for entry in removed:
        found = _SIZE_CLASS.search(entry)
        assert found is not None
        objects[found.group(2)] -= 1
        volume[found.group(2)] -= int(found.group(1))
    return {k: v for k, v in objects.items() if v}, {k: v for k, v in volume.items() if v or k in objects}


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source_name=st.sampled_from(sorted(SOURCES)), plan=plans)
def test_tampered_pages_give_the_exact_figures_or_a_named_failure(source_name: str, plan: Plan) -> None:
    source = SOURCES[source_name]
    with TamperingFakeS3(source, plan) as fake:
        aws = Aws(AwsOptions(endpoint_url=fake.url, max_attempts=1))
        engine = ListingEngine(aws, concurrency=1, processes=0)
        [(_, result)] = list(engine.run([Target(Bucket("b", "us-east-1", None))]))
        assert fake.errors == []

    if isinstance(result, Failure):
        assert result.error in NAMED, result
        assert result.message.startswith("ListObjectsV2"), result.message
        return
    assert isinstance(result, BucketReport)
    objects, sizes = truth(source)
    got = (dict(result.usage.objects_by_class), dict(result.usage.bytes_by_class))
    assert got in ((objects, sizes), without(objects, sizes, plan.removed)), plan
