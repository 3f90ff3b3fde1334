"""The protocol every executor keeps, and the options that choose one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..errors import UsageError

if TYPE_CHECKING:
    from ..listing.ranges import KeyRange
    from ..listing.worker import Credentials, Signing, SliceResult

EXECUTORS: tuple[str, ...] = ("local", "dask")


class Executor(Protocol):
    """Runs slices somewhere and returns each result once, in the order they finish.

    ``capacity`` is how many slices the engine keeps in flight; ``maybe_grow`` lets an executor add
    workers (local processes once parsing saturates this one) or notice new ones (a Dask cluster that
    scaled up) between results."""

    capacity: int

    def maybe_grow(self) -> None: ...

    def submit(self, task_id: int, task: KeyRange, max_pages: int, signing: Signing) -> None: ...

    def next_result(self) -> tuple[int, SliceResult]: ...

    def close(self, *, abandon: bool = False) -> None: ...


@dataclass(frozen=True)
class ExecutorOptions:
    """``--executor``, ``--scheduler`` and ``--forward-credentials``, as given (checked in ``config``)."""

    kind: str = "local"
    scheduler: str | None = None  # None: Dask's own configuration (scheduler-address, DASK_SCHEDULER_ADDRESS)
    forward_credentials: bool = False

    @property
    def dask(self) -> bool:
        return self.kind == "dask"


def check_forwardable(credentials: Credentials) -> None:
    """``--forward-credentials`` sends STS session credentials only (they expire within hours): long-term
    access keys, which work until someone revokes them, never leave this process."""
    if not credentials[2]:
        raise UsageError(
            "--forward-credentials sends only short-lived STS session credentials to the Dask workers, and these "
            "are long-term access keys (no session token): whoever can read the cluster's traffic or memory "
            "could use them until they are revoked.",
            hint="Drop --forward-credentials (workers sign with their own role), or sign with a role "
            "(a profile's role_arn, --role-arn) or `aws sts get-session-token` credentials.",
        )
