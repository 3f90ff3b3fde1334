"""The one boundary to AWS: sessions, clients, retries, endpoints, error translation.

Everything that talks to botocore goes through ``Aws``; everything botocore
raises is turned into an ``AnalyserError`` here, with its cause kept.

botocore is imported where it is first needed, not with this module: the CLI's flags, ``--help`` and
``--version`` use the checks and options here and should not wait for it. Sessions are botocore's own,
made as boto3's would be (``_session``) but without importing boto3, which loads s3transfer eagerly.
"""

from __future__ import annotations

import functools
import html
import os
import re
import threading
import urllib.parse
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

from .errors import (
    AccessDeniedError,
    AnalyserError,
    AwsError,
    BucketNotFoundError,
    CredentialsError,
    EndpointUnreachableError,
    ObjectNotFoundError,
    UploadNotFoundError,
    UsageError,
)
from .safetext import printable

if TYPE_CHECKING:  # the boto3 stubs are a dev dependency only
    import botocore.exceptions as bex
    from botocore.credentials import RefreshableCredentials
    from botocore.session import Session
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_s3 import S3Client

DEFAULT_REGION = "us-east-1"
SERVICES = ("s3", "cloudwatch")  # the services the tool calls; each may have its own configured endpoint

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


_ENDPOINT_EXAMPLE = "e.g. http://127.0.0.1:9000 or https://s3.example.com"
# What botocore itself accepts as a region (one DNS label): the most an S3-compatible server's name can be.
_HOST_LABEL = re.compile(r"^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$")
# AWS's documented shape: area, optional partition words, direction, number
# (us-east-1, us-gov-west-1, cn-northwest-1, eusc-de-east-1).
# FIPS pseudo-regions (fips-us-east-1, us-east-1-fips) are the same with a prefix or suffix.
_AWS_REGION = re.compile(r"^(fips-)?[a-z]{2,4}(-[a-z]+)+-[0-9]+(-fips)?$")
_REGION_SHAPE_HINT = (
    "AWS regions look like us-east-1, eu-west-2 or us-gov-west-1. An S3-compatible server may use other "
    "names (garage, minio, default): give its --endpoint-url (or AWS_ENDPOINT_URL) too, and the name is "
    "passed through as it is."
)


def check_endpoint_url(raw: str, source: str = "--endpoint-url") -> str:
    """``raw`` when botocore can use it as an endpoint; otherwise a usage error that says what is wrong.

    botocore reports a missing scheme or a bad port only at the first call, as an internal error,
    and sends a pasted trailing space to the network: refuse all of those up front."""
    shape = f"Give scheme://host[:port], {_ENDPOINT_EXAMPLE}."
    if not raw.strip():
        raise UsageError(f"{source} is empty.", hint=f"{shape} Leave it unset to use AWS.")
    if any(ch.isspace() or not ch.isprintable() for ch in raw):
        raise UsageError(
            f"{source} {printable(raw)!r} contains a space or a control character.",
            hint="Remove it (a space pasted at either end is a common cause).",
        )
    if "://" not in raw:
        raise UsageError(f"{source} {raw!r} has no scheme.", hint=f"Write it as http://{raw} or https://{raw}.")
    try:
        parts = urllib.parse.urlsplit(raw)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise UsageError(f"{source} {raw!r} is not a URL ({exc}).", hint=shape) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UsageError(
            f"{source} {raw!r} has the scheme {parts.scheme!r}.", hint=f"Use http:// or https://, {_ENDPOINT_EXAMPLE}."
        )
    if "@" in parts.netloc:
        raise UsageError(
            f"{source} carries a user name or password ({parts.scheme}://...@{parts.hostname}).",
            hint="Give credentials through the environment or a profile, never in the URL.",
        )
    if not parts.hostname:
        raise UsageError(f"{source} {raw!r} has no host.", hint=shape)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise UsageError(f"{source} {raw!r} has a port that is not a number from 1 to 65535.", hint=shape)
    if parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise UsageError(f"{source} {raw!r} has a query or fragment.", hint=f"An endpoint has none: {shape}")
    return raw


@functools.lru_cache(maxsize=1)
def _known_regions() -> frozenset[str]:
    """Every region name botocore's endpoint data knows, special forms included (aws-global, fips-...)."""
    from botocore.loaders import create_loader

    data = create_loader().load_data("endpoints")
    names: set[str] = set()
    for partition in data.get("partitions", []):
        names.update(partition.get("regions", {}))
        for service in ("s3", "monitoring"):
            names.update(partition.get("services", {}).get(service, {}).get("endpoints", {}))
    return frozenset(names)


def check_region(raw: str, source: str = "--region", *, custom_endpoint: bool = False) -> str:
    """``raw`` when it can name a region: AWS's shape (or a name botocore knows) for AWS; for an
    S3-compatible endpoint, any name botocore can sign with, as such servers pick their own."""
    if not raw.strip():
        raise UsageError(
            f"{source} is empty.", hint="Give a region such as us-east-1, or leave it out for the default."
        )
    if custom_endpoint:
        if _HOST_LABEL.match(raw):
            return raw
        raise UsageError(
            f"{source} {printable(raw)!r} is not a region name: botocore signs with one DNS label.",
            hint="Use letters, digits and '-' only, e.g. us-east-1 or the name the server documents (garage).",
        )
    if _AWS_REGION.match(raw) or raw in _known_regions():
        return raw
    raise UsageError(f"{source} {printable(raw)!r} is not an AWS region name.", hint=_REGION_SHAPE_HINT)


def check_ca_bundle(raw: str, source: str = "--ca-bundle") -> str:
    """``raw`` when it is a readable file (botocore would only fail at the first call, as an internal error)."""
    path = os.path.expanduser(raw)
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        what = "is a directory" if os.path.isdir(path) else "is not a readable file"
        raise UsageError(
            f"{source} {printable(raw)!r} {what}.",
            hint="Give the PEM file of the certificate (or CA) the endpoint's TLS certificate is signed with, "
            "or --no-verify-ssl for a test endpoint.",
        )
    return path


def _region_source(options_region: str | None, value: str) -> str:
    """Where the region came from, for messages: the flag, an environment variable, or the profile."""
    if options_region:
        return "--region"
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(name) == value:
            return name
    return "the profile's region"


def _endpoint_source(service: str, url: str, environ: Mapping[str, str]) -> str:
    for name in (f"AWS_ENDPOINT_URL_{service.upper()}", "AWS_ENDPOINT_URL"):
        if environ.get(name) == url:
            return name
    return f"endpoint_url for {service} in the AWS config file"


def refuse_markup(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """A botocore ``before-parse`` hook: an XML or HTML page where the protocol is CBOR or JSON.

    S3-compatible servers answer any path, often with 200 and an S3 XML body; botocore's CBOR
    parser would read that as an empty answer (no metrics: every bucket 0). Refuse it instead."""
    from botocore.parsers import ResponseParserError

    protocol = getattr(operation_model.service_model, "resolved_protocol", operation_model.service_model.protocol)
    if protocol not in ("smithy-rpc-v2-cbor", "json") or response_dict.get("status_code", 0) >= 300:
        return
    body = response_dict.get("body")
    if isinstance(body, bytes) and body.lstrip()[:1] == b"<":
        raise ResponseParserError(f"the answer to {operation_model.name} is an XML or HTML page, not {protocol}")


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
    # botocore's ``verify``: None = its default (AWS_CA_BUNDLE, the profile's ca_bundle, else certifi);
    # a path = trust the certificates in that PEM file; False = do not verify TLS certificates at all.
    verify: bool | str | None = None


MIN_ROLE_SECONDS = 900  # STS's shortest session
MAX_ROLE_SECONDS = 43200  # STS's longest (the role's own MaxSessionDuration may be shorter)


@dataclass(frozen=True)
class RoleRequest:
    """A role to assume: ARN, session name, external id, session length, and how long before the
    credentials expire they are replaced (``refresh_window``; None: a quarter of the session, at most 15
    minutes, as botocore's own assume-role provider refreshes 15 minutes ahead of an hour)."""

    arn: str
    session_name: str
    external_id: str | None = None
    duration: int = 3600
    refresh_window: int | None = None

    @property
    def window(self) -> int:
        if self.refresh_window is not None:
            return self.refresh_window
        return min(900, self.duration // 4)


def _given_credentials(credentials: RefreshableCredentials) -> Any:
    """The one credential provider of an assumed role's session: its refreshable credentials."""
    from botocore.credentials import CredentialProvider

    class GivenCredentials(CredentialProvider):
        METHOD = "assume-role"

        def load(self) -> RefreshableCredentials:
            return credentials

    return GivenCredentials()


_TRANSFER_METHODS = ("upload_file", "download_file", "copy", "upload_fileobj", "download_fileobj")


def _lazy_transfer_method(name: str) -> Callable[..., Any]:
    """boto3's S3 transfer method ``name`` (``client.download_file``...), imported at its first call."""

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        from boto3.s3 import inject

        return getattr(inject, name)(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method


def _inject_transfer_methods(**event: Any) -> None:
    """boto3's ``creating-client-class.s3`` hook, without importing s3transfer until a transfer is made."""
    for name in _TRANSFER_METHODS:
        event["class_attributes"].setdefault(name, _lazy_transfer_method(name))


@functools.lru_cache(maxsize=1)
def _boto3_version() -> str | None:
    """boto3's ``__version__``, read from its source (importing boto3 or importlib.metadata costs ~0.1 s)."""
    import importlib.util

    spec = importlib.util.find_spec("boto3")
    if spec is None or spec.origin is None:
        return None
    try:
        with open(spec.origin, encoding="utf-8") as source:
            found = re.search(r"^__version__ = ['\"]([0-9A-Za-z.+-]{1,40})['\"]", source.read(65536), re.M)
    except OSError:
        return None
    return found.group(1) if found else None


def _session(
    core: Session | None = None,
    *,
    profile: str | None = None,
    region: str | None = None,
    credentials: tuple[str, str, str | None] | None = None,
) -> Session:
    """A botocore session set up as ``boto3.Session(...)`` sets one up for clients: boto3's user agent,
    the profile, region and credentials given, and the S3 client's transfer methods (loaded lazily)."""
    import botocore.session

    session = core if core is not None else botocore.session.Session()
    version = _boto3_version()
    if session.user_agent_name == "Botocore" and version:
        botocore_info = f"Botocore/{session.user_agent_version}"
        session.user_agent_extra = (
            f"{session.user_agent_extra} {botocore_info}" if session.user_agent_extra else botocore_info
        )
        session.user_agent_name = "Boto3"
        session.user_agent_version = version
    if profile is not None:
        session.set_config_variable("profile", profile)
    if credentials is not None:
        session.set_credentials(*credentials)
    if region is not None:
        session.set_config_variable("region", region)
    session.register("creating-client-class.s3", _inject_transfer_methods)
    return session


def _role_credentials(answer: Mapping[str, Any], arn: str) -> dict[str, Any]:
    """AssumeRole's credentials in botocore's refresh shape, checked: an answer without them is an error."""
    given = answer.get("Credentials")
    fields = ("AccessKeyId", "SecretAccessKey", "SessionToken")
    if not isinstance(given, Mapping) or not all(isinstance(given.get(f), str) and given.get(f) for f in fields):
        raise AwsError(f"sts:AssumeRole answered no credentials for {printable(arn)}.", code="BadCredentials")
    expiry = given.get("Expiration")
    if not isinstance(expiry, datetime):
        raise AwsError(f"sts:AssumeRole answered no expiry time for {printable(arn)}.", code="BadCredentials")
    if expiry.tzinfo is None:
        expiry = expiry.replace(tzinfo=UTC)
    return {
        "access_key": given["AccessKeyId"],
        "secret_key": given["SecretAccessKey"],
        "token": given["SessionToken"],
        "expiry_time": expiry.isoformat(),
    }


class Aws:
    """A thread-safe factory of botocore clients, one per (service, region)."""

    def __init__(self, options: AwsOptions, session: Session | None = None) -> None:
        import botocore.exceptions as bex
        from botocore.config import Config
        from urllib3.exceptions import InsecureRequestWarning

        self.options = options
        try:
            self._session = session or _session(profile=options.profile, region=options.region)
            self._session.get_scoped_config()  # a profile that does not exist is said here (boto3 said it too)
            self._endpoints = self._configured_endpoints()
            check_region(
                self.default_region,
                _region_source(options.region, self.default_region),
                custom_endpoint=bool(options.endpoint_url or self._endpoints),
            )
        except bex.InvalidConfigError as exc:
            raise UsageError(f"The AWS config file is not valid: {exc}", hint="Fix ~/.aws/config.") from exc
        except bex.ProfileNotFound as exc:
            # The profile may come from AWS_PROFILE rather than --profile: name the one botocore looked for.
            profile = options.profile or exc.kwargs.get("profile")
            source = "" if options.profile else " (from AWS_PROFILE)"
            raise UsageError(
                f"The AWS profile {profile!r}{source} does not exist.",
                hint="List profiles with `aws configure list-profiles`, or drop --profile / AWS_PROFILE.",
            ) from exc
        if options.verify is False:  # asked for: one warning from the CLI, not one from urllib3 per request
            warnings.filterwarnings("ignore", category=InsecureRequestWarning)
        self._clients: dict[tuple[str, str], Any] = {}  # S3Client | CloudWatchClient
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
        return cls(options, _session(credentials=credentials, region=options.region))

    def assume_role(self, role: RoleRequest) -> Aws:
        """A client factory signing as ``role``: assumed now from this one's credentials (a refusal raises
        here, translated), and assumed again before those credentials expire, so a long scan never signs
        with expired ones. Everything else (endpoint, region, TLS, retries, profile's config) is this one's."""
        import botocore.session
        from botocore.credentials import CredentialResolver, RefreshableCredentials

        sts = self.client("sts")
        kwargs: dict[str, Any] = {
            "RoleArn": role.arn,
            "RoleSessionName": role.session_name,
            "DurationSeconds": role.duration,
        }
        if role.external_id:
            kwargs["ExternalId"] = role.external_id

        def fetch() -> dict[str, Any]:
            answer = self.call("sts:AssumeRole", sts.assume_role, **kwargs)
            return _role_credentials(answer, role.arn)

        window = role.window
        credentials = RefreshableCredentials.create_from_metadata(
            fetch(), fetch, "assume-role", advisory_timeout=window, mandatory_timeout=window * 2 // 3
        )
        core = botocore.session.Session(profile=self.options.profile)
        core.register_component("credential_provider", CredentialResolver([_given_credentials(credentials)]))
        aws = Aws(self.options, _session(core, region=self.options.region))
        aws.event_hooks = list(self.event_hooks)
        return aws

    def frozen_credentials(self) -> tuple[str, str, str | None]:
        """Resolve the credential chain once, for worker processes to sign with."""
        import botocore.exceptions as bex

        try:
            creds = self._session.get_credentials()
            frozen = creds.get_frozen_credentials() if creds is not None else None
        except (bex.BotoCoreError, bex.ClientError) as exc:
            raise translate(exc, what="credential resolution", endpoint=self.endpoint_url) from exc
        if frozen is None or not frozen.access_key:
            raise translate(bex.NoCredentialsError(), what="credential resolution")
        return (frozen.access_key, frozen.secret_key or "", frozen.token)

    def _configured_endpoints(self) -> dict[str, str]:
        """service -> the endpoint botocore would take from the environment or the config file, checked.

        ``--endpoint-url`` wins over all of them; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns them off."""
        if self.options.endpoint_url:
            return {}
        from botocore.configprovider import ConfiguredEndpointProvider

        core = self._session
        if core.get_config_variable("ignore_configured_endpoint_urls"):
            return {}
        found: dict[str, str] = {}
        for service in SERVICES:
            provider = ConfiguredEndpointProvider(
                full_config=core.full_config, scoped_config=core.get_scoped_config(), client_name=service
            )
            url = provider.provide()
            if url:
                found[service] = check_endpoint_url(url, _endpoint_source(service, url, os.environ))
        return found

    @property
    def default_region(self) -> str:
        """--region, else AWS_REGION (the SDKs' variable, which botocore does not read; it wins over
        AWS_DEFAULT_REGION as in aws-cli v2), else botocore's own (AWS_DEFAULT_REGION, the profile), else us-east-1."""
        return (
            self.options.region
            or os.environ.get("AWS_REGION")
            or self._session.get_config_variable("region")
            or DEFAULT_REGION
        )

    @property
    def endpoint_url(self) -> str | None:
        """The S3 endpoint when it is not AWS's (from the flag, the environment or the config file)."""
        return self.endpoint_for("s3")

    def endpoint_for(self, service: str) -> str | None:
        """The endpoint ``service`` is called at when it is not AWS's own, for messages."""
        return self.options.endpoint_url or self._endpoints.get(service)

    @overload
    def client(self, service: Literal["s3"], region: str | None = None) -> S3Client: ...

    @overload
    def client(self, service: Literal["cloudwatch"], region: str | None = None) -> CloudWatchClient: ...

    @overload
    def client(
        self, service: Literal["pricing", "sts", "organizations"], region: str | None = None
    ) -> Any: ...  # no stubs installed

    def client(
        self, service: Literal["s3", "cloudwatch", "pricing", "sts", "organizations"], region: str | None = None
    ) -> S3Client | CloudWatchClient:
        """The client of ``service`` in ``region`` (default: the account's), made once and shared by threads;
        typed by the boto3 stubs."""
        region_name = region or self.default_region
        key = (service, region_name)
        with self._lock:
            client: Any = self._clients.get(key)
            if client is None:
                client = self._session.create_client(
                    service,
                    region_name=region_name,
                    endpoint_url=self.options.endpoint_url,
                    config=self._config,
                    verify=self.options.verify,
                )
                client.meta.events.register("before-parse", refuse_markup)
                for event, handler in self.event_hooks:
                    client.meta.events.register(event, handler)
                self._clients[key] = client
        return cast("S3Client | CloudWatchClient", client)

    def call(self, what: str, fn: Callable[..., T], /, *, bucket: str | None = None, **kwargs: Any) -> T:
        """Run one AWS call ``fn(**kwargs)``, translating botocore's errors into ours."""
        with self.translating(what, bucket=bucket):
            return fn(**kwargs)

    @contextmanager
    def translating(self, what: str, *, bucket: str | None = None, key: str | None = None) -> Iterator[None]:
        """Around calls to AWS (``what`` is ``service:Operation``): botocore's errors come out as ours,
        cause kept, the endpoint named. The one place outside this module that needs no botocore import."""
        import botocore.exceptions as bex
        from botocore.parsers import ResponseParserError

        try:
            yield
        except (bex.BotoCoreError, bex.ClientError, ResponseParserError) as exc:
            endpoint = self.endpoint_for(what.partition(":")[0])
            raise translate(exc, what=what, bucket=bucket, key=key, endpoint=endpoint) from exc

    def locate_bucket(self, name: str) -> tuple[str, str | None]:
        """Where S3 says a bucket lives: ``("GetBucketLocation", LocationConstraint)``, or when that is
        refused, ``("HeadBucket", x-amz-bucket-region)`` (S3 sends the header with a 301 or 403 too).
        Raises GetBucketLocation's error, translated, when neither answers."""
        import botocore.exceptions as bex

        s3 = self.client("s3")
        try:
            return "GetBucketLocation", s3.get_bucket_location(Bucket=name).get("LocationConstraint")
        except bex.ClientError as first:
            try:
                head = s3.head_bucket(Bucket=name)
                region = head["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region")
            except bex.ClientError as second:
                region = second.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region")
            except bex.BotoCoreError as second:
                raise translate(second, what="s3:HeadBucket", bucket=name, endpoint=self.endpoint_url) from second
            if region:
                return "HeadBucket", region
            raise translate(first, what="s3:GetBucketLocation", bucket=name, endpoint=self.endpoint_url) from first
        except bex.BotoCoreError as exc:
            raise translate(exc, what="s3:GetBucketLocation", bucket=name, endpoint=self.endpoint_url) from exc

    def lifecycle_rules(self, bucket: str, region: str | None = None) -> list[dict[str, Any]] | None:
        """The bucket's lifecycle rules as S3 returns them, or None when it has no configuration
        (NoSuchLifecycleConfiguration). Refused, it raises AccessDeniedError, which the caller names for
        that bucket and goes on; any other error comes out translated too."""
        import botocore.exceptions as bex

        s3 = self.client("s3", region)
        with self.translating("s3:GetBucketLifecycleConfiguration", bucket=bucket):
            try:
                answer = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
            except bex.ClientError as exc:
                if error_code(exc) == "NoSuchLifecycleConfiguration":
                    return None
                raise
        return [dict(rule) for rule in answer.get("Rules", [])]


def error_code(exc: bex.ClientError) -> str:
    err = exc.response.get("Error", {})
    return str(err.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


_XML_CODE = re.compile(r"<Code>([^<]{1,200})</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]{0,2000})</Message>")
_MAX_MESSAGE = 300


def _shown(text: str, limit: int = _MAX_MESSAGE) -> str:
    """Server text made safe for a terminal and bounded in length."""
    text = printable(text.strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def server_error(exc: bex.ClientError) -> tuple[str, str]:
    """(code, message) of an error answer, safe to show.

    When botocore cannot parse the body (an S3-style XML error in answer to a CloudWatch
    call, an HTML page from a proxy) it gives the HTTP status as the code and the raw body as
    the message: take the code and message out of the body instead, never the body itself."""
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message") or "")
    if message.lstrip().startswith("<"):
        found_code, found_message = _XML_CODE.search(message), _XML_MESSAGE.search(message)
        if found_code and (code.isdigit() or not code):
            code = html.unescape(found_code.group(1))
        message = html.unescape(found_message.group(1)) if found_message else "(the answer is not an AWS error)"
    return _shown(code, 64) or "?", _shown(message) or _shown(code, 64)


def _who(endpoint: str | None) -> str:
    return f"The endpoint {printable(endpoint)}" if endpoint else "AWS"


def translate(
    exc: Exception, *, what: str, bucket: str | None = None, key: str | None = None, endpoint: str | None = None
) -> AnalyserError:
    """Turn a botocore exception into the matching ``AnalyserError``; server text passes through ``printable``.

    With ``key`` (a call about one object), a 404 means the object is missing, not the bucket."""
    import botocore.exceptions as bex

    where = f" on bucket {bucket!r}" if bucket else ""
    own = getattr(exc, "code", None)
    if isinstance(exc, bex.BotoCoreError) and isinstance(own, str):
        # the tool's own botocore errors (listing.rawclient: RequestDeadline, IncompletePage) name themselves
        return AwsError(str(exc), code=own)
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
            f"Could not connect to {printable(url)} while calling {what}.",
            hint="Check --endpoint-url / AWS_ENDPOINT_URL, the region, and the network or proxy.",
        )
    if isinstance(exc, bex.ReadTimeoutError):
        return EndpointUnreachableError(
            f"{_who(endpoint).replace('AWS', 'The AWS endpoint')} stopped answering while calling {what}{where}.",
            hint="Retry later, or lower --conc if the endpoint is overloaded.",
        )
    if isinstance(exc, bex.ClientError):
        code, message = server_error(exc)
        if code in _ACCESS_CODES:
            return AccessDeniedError(
                f"Access denied calling {what}{where}: {message}",
                hint="Grant the permission shown in the IAM policy for this strategy (docs/iam.md).",
            )
        if code in _BAD_CREDENTIAL_CODES:
            return CredentialsError(
                f"The endpoint rejected the credentials ({code}) calling {what}: {message}",
                hint="Check the access key, secret, session token and --profile.",
            )
        if code == "NoSuchKey" or (key and code in {"404", "NotFound"}):
            return ObjectNotFoundError(f"{_who(endpoint)} answered {code} calling {what}{where}: {message}")
        if code == "NoSuchUpload":
            return UploadNotFoundError(f"{_who(endpoint)} answered {code} calling {what}{where}: {message}")
        if code == "NoSuchBucket" or (bucket and code in {"404", "NotFound"}):
            return BucketNotFoundError(f"Bucket {bucket or '?'} does not exist ({what}).")
        return AwsError(f"{_who(endpoint)} answered {code} calling {what}{where}: {message}", code=code)
    at = f" (endpoint {printable(endpoint)})" if endpoint else ""
    return AwsError(f"{type(exc).__name__} calling {what}{where}{at}: {_shown(str(exc))}", code=type(exc).__name__)
