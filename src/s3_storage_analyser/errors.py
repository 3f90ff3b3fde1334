"""The exception tree: every error the tool raises on purpose is an ``AnalyserError``.

Each class carries the process exit code and the HTTP status it maps to, so the
CLI (``cli.entry``) and the server (``server.app``) translate errors in one place
each. ``code`` is the short name shown in a bucket's failure and the API's
``Error.Code``. Foreign errors are translated at their boundary only: botocore's in
``aws`` (``translate``, ``translating``), DuckDB's in ``inventory.analyse``.

::

    class                             exit  HTTP  code
    AnalyserError                        1   500  Error              anything the tool raises on purpose
    ├── UsageError                       2   400  UsageError         the command line can fix it
    │   ├── MissingExtraError            2   400  MissingExtra       an optional dependency is absent (extras)
    │   ├── NothingSelectedError         2   400  UsageError         the selection matched no bucket
    │   ├── TooFewSnapshotsError         2   400  BadRequest         diff without two snapshots
    │   └── HistoryUnavailableError *    2   400  HistoryError       --db cannot be opened / is newer
    │       └── HistoryMissingError      2   400  HistoryError       readers never create one
    ├── StoreError                       1   500  HistoryError       the history cannot be used
    │   ├── HistoryUnavailableError *    (above: also a UsageError)
    │   └── HistoryWriteError            1   500  HistoryError       a snapshot could not be written
    ├── SnapshotNotFoundError            2   404  SnapshotNotFound
    ├── OutputFailedError                4   500  OutputFailed       printed, but not also stored/written/pushed
    │   ├── SaveFailedError              4   500  SaveFailed
    │   ├── WriteFailedError             4   500  WriteFailed
    │   └── PushFailedError              4   500  PushFailed
    ├── CredentialsError                 1   502  CredentialsError   none found, or rejected
    ├── EndpointUnreachableError         1   502  EndpointUnreachable
    ├── AccessDeniedError                1   502  AccessDenied
    ├── BucketNotFoundError              1   404  NoSuchBucket
    ├── CloudWatchUnavailableError       1   502  CloudWatchUnavailable
    ├── AwsError                         1   502  (AWS's own code)  any other answer from the endpoint
    │   ├── ObjectNotFoundError          1   502  NoSuchKey
    │   └── UploadNotFoundError          1   502  NoSuchUpload
    ├── InventoryError                   1   500  InventoryError     a report missing, stale, corrupt
    ├── BindError                        1   500  BindError          serve cannot listen there
    ├── UnauthorizedError                1   401  Unauthorized
    ├── ForbiddenError                   1   403  Forbidden          a cross-site or CSRF-less browser request
    ├── NoSnapshotError                  1   503  NoSnapshotYet      the service has nothing yet
    └── NotFoundError                    1   404  NotFound           no such API path

    * HistoryUnavailableError is both a StoreError and a UsageError.

The listing's page checks raise their own signals (``listing.pages.PageError``:
``InvalidPage``, ``IncompletePage``, ``ListingOutOfOrder``, ``ListingStuck``;
``listing.rawclient``'s ``RequestDeadline``), which never leave the listing: each
becomes that bucket's failure, named by its code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
# The report was printed, but --save, --output or --pushgateway failed: it is not where it was also asked to go.
EXIT_OUTPUT_FAILED = 4


class AnalyserError(Exception):
    """Base class; ``str(err)`` is a complete, user-facing sentence."""

    exit_code: int = EXIT_FAILURE
    http_status: int = 500
    code: str = "Error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(AnalyserError):
    """Bad flags or arguments: the user can fix the command line."""

    exit_code = EXIT_USAGE
    http_status = 400
    code = "UsageError"


class OutputFailedError(AnalyserError):
    """A finished report could not be saved, written to --output or pushed; it was printed all the same."""

    exit_code = EXIT_OUTPUT_FAILED
    code = "OutputFailed"


class NothingSelectedError(UsageError):
    """The bucket selection matched no bucket."""


class CredentialsError(AnalyserError):
    """No credentials, or credentials the endpoint rejects."""

    http_status = 502
    code = "CredentialsError"


class EndpointUnreachableError(AnalyserError):
    """A TCP connection to the endpoint could not be made or timed out."""

    http_status = 502
    code = "EndpointUnreachable"


class AccessDeniedError(AnalyserError):
    """The caller's identity may not do what was asked."""

    http_status = 502
    code = "AccessDenied"


class BucketNotFoundError(AnalyserError):
    """The named bucket does not exist (or is not visible)."""

    http_status = 404
    code = "NoSuchBucket"


class CloudWatchUnavailableError(AnalyserError):
    """The endpoint serves S3 but not CloudWatch (any S3-compatible server): a per-bucket failure."""

    http_status = 502
    code = "CloudWatchUnavailable"


class AwsError(AnalyserError):
    """Any other error answered by AWS, with its error code."""

    http_status = 502
    code = "AwsError"

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        if code:
            self.code = code


class ObjectNotFoundError(AwsError):
    """The object asked for does not exist (the bucket does)."""

    code = "NoSuchKey"


class UploadNotFoundError(AwsError):
    """The multipart upload asked about was completed or aborted meanwhile."""

    code = "NoSuchUpload"


class StoreError(AnalyserError):
    """The history database cannot be used; ``cause`` says why in a few words, for callers that add context."""

    code = "HistoryError"

    def __init__(self, message: str, *, path: Path, cause: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.cause = cause


class HistoryUnavailableError(StoreError, UsageError):
    """The database cannot be opened (or is newer than this tool): ``--db`` can fix it, so exit 2."""


class HistoryMissingError(HistoryUnavailableError):
    """A reader was pointed at a database that does not exist; readers never create one."""


class HistoryWriteError(StoreError):
    """A snapshot could not be written (disk full, read-only file, lock held too long)."""


class SnapshotNotFoundError(AnalyserError):
    """No snapshot with that id in the history database."""

    exit_code = EXIT_USAGE
    http_status = 404
    code = "SnapshotNotFound"


class TooFewSnapshotsError(UsageError):
    """A diff was asked for without naming two snapshots, and the history has fewer."""

    code = "BadRequest"


class SaveFailedError(OutputFailedError):
    """The snapshot could not be stored in the history database."""

    code = "SaveFailed"


class WriteFailedError(OutputFailedError):
    """The ``--output`` file could not be written."""

    code = "WriteFailed"


class PushFailedError(OutputFailedError):
    """The Pushgateway could not be reached or refused the metrics."""

    code = "PushFailed"


class InventoryError(AnalyserError):
    """A report that cannot be used: missing, stale beyond use, corrupt, unreadable."""

    code = "InventoryError"


class BindError(AnalyserError):
    """The address to listen on cannot be had: port in use, address not on this machine, unknown host."""

    code = "BindError"


class UnauthorizedError(AnalyserError):
    """Missing or wrong token."""

    http_status = 401
    code = "Unauthorized"


class ForbiddenError(AnalyserError):
    """A browser request the service refuses: from another site, or signed in but without its CSRF token."""

    http_status = 403
    code = "Forbidden"


class NoSnapshotError(AnalyserError):
    """Nothing has been scanned yet."""

    http_status = 503
    code = "NoSnapshotYet"


class NotFoundError(AnalyserError):
    """No such API path."""

    http_status = 404
    code = "NotFound"
