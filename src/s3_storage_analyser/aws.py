"""The one boundary to AWS: sessions, clients, retries, endpoints, error translation.

Everything that talks to botocore goes through ``Aws``; everything botocore
raises is turned into an ``AnalyserError`` here, with its cause kept.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import boto3
import botocore.exceptions as bex
from botocore.config import Config

from .errors import (
    AccessDeniedError,
    AnalyserError,
    AwsError,
    BucketNotFoundError,
    CredentialsError,
    EndpointUnreachableError,
    UsageError,
)

DEFAULT_REGION = "us-east-1"

_CREDENTIAL_CHAIN = (
    "botocore looked in: the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), "
    "the shared files (~/.aws/credentials, ~/.aws/config), SSO, web identity, "
    "the container and the instance metadata service"
)
_ACCESS_CODES = {"AccessDenied", "AccessDeniedException", "AllAccessDisabled", "403", "Forbidden"}
_BAD_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidToken",
}

T = TypeVar("T")


def _env_int(name: str, default: int) -> int:
    """botocore's own AWS_MAX_ATTEMPTS, honoured although the tool sets its retry config itself."""
    raw = os.environ.get(name, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


@dataclass(frozen=True)
class AwsOptions:
    """Where and as whom to connect; all optional, botocore fills the rest."""

    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None
    max_pool_connections: int = 10
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_attempts: int = field(default_factory=lambda: _env_int("AWS_MAX_ATTEMPTS", 5))


class Aws:
    """A thread-safe factory of botocore clients, one per (service, region)."""

    def __init__(self, options: AwsOptions, session: boto3.Session | None = None) -> None:
        self.options = options
        try:
            self._session = session or boto3.Session(profile_name=options.profile, region_name=options.region)
        except bex.ProfileNotFound as exc:
            # The profile may come from AWS_PROFILE rather than --profile: name the one botocore looked for.
            profile = options.profile or exc.kwargs.get("profile")
            source = "" if options.profile else " (from AWS_PROFILE)"
            raise UsageError(
                f"The AWS profile {profile!r}{source} does not exist.",
                hint="List profiles with `aws configure list-profiles`, or drop --profile / AWS_PROFILE.",
            ) from exc
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._config = Config(
            # botocore's "max_attempts" counts retries after the first call; "total_max_attempts" counts calls.
            retries={"mode": "standard", "total_max_attempts": options.max_attempts},
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            max_pool_connections=options.max_pool_connections,
        )
        self.event_hooks: list[tuple[str, Callable[..., Any]]] = []

    @classmethod
    def with_credentials(cls, options: AwsOptions, credentials: tuple[str, str, str | None] | None) -> Aws:
        """A client factory in another process, from credentials resolved by the parent."""
        if credentials is None:
            return cls(options)
        key, secret, token = credentials
        session = boto3.Session(
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            region_name=options.region,
        )
        return cls(options, session)

    def frozen_credentials(self) -> tuple[str, str, str | None]:
        """Resolve the credential chain once, for worker processes to sign with."""
        try:
            creds = self._session.get_credentials()
            frozen = creds.get_frozen_credentials() if creds is not None else None
        except (bex.BotoCoreError, bex.ClientError) as exc:
            raise translate(exc, what="credential resolution", endpoint=self.endpoint_url) from exc
        if frozen is None or not frozen.access_key:
            raise translate(bex.NoCredentialsError(), what="credential resolution")
        return (frozen.access_key, frozen.secret_key or "", frozen.token)

    @property
    def default_region(self) -> str:
        return self.options.region or self._session.region_name or DEFAULT_REGION

    @property
    def endpoint_url(self) -> str | None:
        return self.options.endpoint_url

    def client(self, service: str, region: str | None = None) -> Any:
        region_name = region or self.default_region
        key = (service, region_name)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.client(
                    service,  # type: ignore[call-overload]
                    region_name=region_name,
                    endpoint_url=self.options.endpoint_url,
                    config=self._config,
                )
                for event, handler in self.event_hooks:
                    client.meta.events.register(event, handler)
                self._clients[key] = client
        return client

    def call(self, what: str, fn: Callable[..., T], /, *, bucket: str | None = None, **kwargs: Any) -> T:
        """Run one AWS call ``fn(**kwargs)``, translating botocore's errors into ours."""
        try:
            return fn(**kwargs)
        except (bex.BotoCoreError, bex.ClientError) as exc:
            raise translate(exc, what=what, bucket=bucket, endpoint=self.endpoint_url) from exc


def error_code(exc: bex.ClientError) -> str:
    err = exc.response.get("Error", {})
    return str(err.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def translate(exc: Exception, *, what: str, bucket: str | None = None, endpoint: str | None = None) -> AnalyserError:
    """Turn a botocore exception into the matching ``AnalyserError``."""
    where = f" on bucket {bucket!r}" if bucket else ""
    if isinstance(exc, bex.NoCredentialsError | bex.PartialCredentialsError):
        return CredentialsError(
            f"No AWS credentials were found ({_CREDENTIAL_CHAIN}).",
            hint="Configure credentials (e.g. `aws configure`), export AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or pass --profile NAME.",
        )
    if isinstance(exc, bex.ProfileNotFound):
        return UsageError(str(exc), hint="List profiles with `aws configure list-profiles`.")
    if isinstance(exc, bex.EndpointConnectionError | bex.ConnectTimeoutError):
        url = getattr(exc, "kwargs", {}).get("endpoint_url") or endpoint or "the AWS endpoint"
        return EndpointUnreachableError(
            f"Could not connect to {url} while calling {what}.",
            hint="Check --endpoint-url / AWS_ENDPOINT_URL, the region, and the network or proxy.",
        )
    if isinstance(exc, bex.ReadTimeoutError):
        return EndpointUnreachableError(
            f"The endpoint stopped answering while calling {what}{where}.",
            hint="Retry later, or lower --conc if the endpoint is overloaded.",
        )
    if isinstance(exc, bex.ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message") or code
        if code in _ACCESS_CODES:
            return AccessDeniedError(
                f"Access denied calling {what}{where}: {message}",
                hint="Grant the permission shown in README's IAM policy for this strategy.",
            )
        if code in _BAD_CREDENTIAL_CODES:
            return CredentialsError(
                f"The endpoint rejected the credentials ({code}) calling {what}: {message}",
                hint="Check the access key, secret, session token and --profile.",
            )
        if code in {"NoSuchBucket", "404", "NotFound"}:
            return BucketNotFoundError(f"Bucket {bucket or '?'} does not exist ({what}).")
        return AwsError(f"AWS answered {code} calling {what}{where}: {message}", code=code)
    return AwsError(f"{type(exc).__name__} calling {what}{where}: {exc}")
