"""The exception tree: every error the tool raises on purpose is an ``AnalyserError``.

Each class carries the process exit code and the HTTP status it maps to, so the
CLI and the server translate errors in one place each.
"""

from __future__ import annotations

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

    def __init__(self, message: str, *, code: str = "AwsError", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code
