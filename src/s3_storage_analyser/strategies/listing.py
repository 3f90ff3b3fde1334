"""The listing strategy: exact, live figures from ListObjectsV2 (and versions, uploads)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from ..aggregate import BreakdownSpec
from ..aws import Aws, RoleRequest
from ..listing.engine import ListingEngine, Target
from ..model import Bucket, BucketReport, Failure, Progress

if TYPE_CHECKING:
    from ..executors.dask import DaskCluster


class ListingStrategy:
    """Lists every object (optionally every version and unfinished upload) of each bucket."""

    name = "list"

    def __init__(
        self,
        aws: Aws,
        *,
        concurrency: int,
        processes: int | None = None,
        spec: BreakdownSpec | None = None,
        versions: bool = False,
        uploads: bool = False,
        scopes: Mapping[str, Sequence[str]] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        cluster: DaskCluster | None = None,
        role: RoleRequest | None = None,
    ) -> None:
        """``cluster``: list on that Dask cluster (``--executor dask``); ``role``: the role ``aws`` signs as."""
        self.engine = ListingEngine(
            aws,
            concurrency=concurrency,
            processes=processes,
            spec=spec,
            versions=versions,
            uploads=uploads,
            on_progress=on_progress,
            cluster=cluster,
            role=role,
        )
        self.scopes = scopes or {}

    def collect(self, buckets: Sequence[Bucket]) -> Iterator[BucketReport | Failure]:
        targets = [Target(b, prefix) for b in buckets for prefix in (self.scopes.get(b.name) or ("",))]
        for _target, result in self.engine.run(targets):
            yield result
