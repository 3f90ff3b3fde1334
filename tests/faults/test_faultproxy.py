"""The fault proxy itself: transparent when idle, and its errors parse as AWS errors in every protocol."""

from __future__ import annotations

import http.client
import urllib.parse
from typing import Any

import boto3
import botocore.exceptions as bex
import pytest
from botocore.config import Config
from botocore.parsers import create_parser

from support.faultproxy import FaultProxy, Request, Rule, describe, error_response


def s3_via(url: str, **config: Any) -> Any:
    return boto3.client("s3", region_name="us-east-1", endpoint_url=url, config=Config(**config))


def test_forwards_bodies_heads_and_status(aws_url: str, fault_proxy: FaultProxy) -> None:
    s3 = s3_via(fault_proxy.url)
    s3.create_bucket(Bucket="through")
    body = bytes(range(256)) * 1000
    s3.put_object(Bucket="through", Key="dir/a b.bin", Body=body, StorageClass="STANDARD_IA")
    assert s3.get_object(Bucket="through", Key="dir/a b.bin")["Body"].read() == body
    head = s3.head_object(Bucket="through", Key="dir/a b.bin")
    assert head["ContentLength"] == len(body)  # HEAD keeps the upstream Content-Length
    assert head["StorageClass"] == "STANDARD_IA"
    with pytest.raises(bex.ClientError) as info:
        s3.head_object(Bucket="through", Key="missing")
    assert info.value.response["Error"]["Code"] == "404"
    # What the proxy saw: operations, bucket and the SigV4 scope.
    assert fault_proxy.count("CreateBucket", bucket="through") == 1
    assert fault_proxy.count("PutObject", bucket="through") == 1
    assert fault_proxy.count("HeadObject") == 2
    assert {(r.service, r.region) for r in fault_proxy.requests} == {("s3", "us-east-1")}
    # And moto really has it.
    assert s3_via(aws_url).get_object(Bucket="through", Key="dir/a b.bin")["ContentLength"] == len(body)


def test_forwards_chunked_request_bodies(aws_url: str, fault_proxy: FaultProxy) -> None:
    s3_via(aws_url).create_bucket(Bucket="chunky")
    port = urllib.parse.urlsplit(fault_proxy.url).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("PUT", "/chunky/key")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    for chunk in (b"hello ", b"chunked ", b"world"):
        conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    conn.send(b"0\r\n\r\n")
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 200
    assert s3_via(aws_url).get_object(Bucket="chunky", Key="key")["Body"].read() == b"hello chunked world"


def test_rules_match_in_order_and_stop_after_times(aws_url: str, fault_proxy: FaultProxy) -> None:
    s3 = s3_via(fault_proxy.url, retries={"total_max_attempts": 1})
    s3.create_bucket(Bucket="ruled")
    first = fault_proxy.add(operation="ListObjectsV2", bucket="ruled", status=503, code="SlowDown", times=2)
    second = fault_proxy.add(Rule(method="GET", path="/ruled", code="AccessDenied"))
    codes = []
    for _ in range(4):
        try:
            s3.list_objects_v2(Bucket="ruled")
            codes.append("ok")
        except bex.ClientError as exc:
            codes.append(exc.response["Error"]["Code"])
    assert codes == ["SlowDown", "SlowDown", "AccessDenied", "AccessDenied"]
    assert (first.hits, second.hits) == (2, 2)
    second.times = second.hits  # spent: requests flow again
    assert s3.list_objects_v2(Bucket="ruled")["KeyCount"] == 0


def test_reset_drops_the_connection(aws_url: str, fault_proxy: FaultProxy) -> None:
    s3_via(aws_url).create_bucket(Bucket="flaky")
    rule = fault_proxy.add(operation="ListObjectsV2", action="reset")
    s3 = s3_via(fault_proxy.url, retries={"total_max_attempts": 2})
    with pytest.raises((bex.ConnectionClosedError, bex.EndpointConnectionError)):
        s3.list_objects_v2(Bucket="flaky")
    assert rule.hits == 2


def test_respond_action(aws_url: str, fault_proxy: FaultProxy) -> None:
    def teapot(req: Request) -> tuple[int, dict[str, str], bytes]:
        xml = f"<Error><Code>Teapot</Code><Message>{req.operation} on {req.bucket}</Message></Error>"
        return 418, {"Content-Type": "application/xml"}, xml.encode()

    fault_proxy.add(operation="GetBucketLocation", action="respond", responder=teapot)
    s3 = s3_via(fault_proxy.url, retries={"total_max_attempts": 1})
    s3_via(aws_url).create_bucket(Bucket="pot")
    with pytest.raises(bex.ClientError) as info:
        s3.get_bucket_location(Bucket="pot")
    assert info.value.response["Error"] == {"Code": "Teapot", "Message": "GetBucketLocation on pot"}


def test_cloudwatch_errors_in_the_protocol_botocore_speaks(aws_url: str, fault_proxy: FaultProxy) -> None:
    rule = fault_proxy.add(service="monitoring", operation="ListMetrics", region="ap-south-1", code="AccessDenied")
    denied = boto3.client("cloudwatch", region_name="ap-south-1", endpoint_url=fault_proxy.url)
    allowed = boto3.client("cloudwatch", region_name="eu-north-1", endpoint_url=fault_proxy.url)
    with pytest.raises(bex.ClientError) as info:
        denied.list_metrics(Namespace="AWS/S3")
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert allowed.list_metrics(Namespace="AWS/S3")["Metrics"] == []
    assert rule.hits == 1
    assert fault_proxy.count("ListMetrics", service="monitoring") == 2


def sigv4(region: str, service: str) -> str:
    return f"AWS4-HMAC-SHA256 Credential=AKID/20240101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"


@pytest.mark.parametrize(
    ("protocol", "headers", "path", "body"),
    [
        (
            "smithy-rpc-v2-cbor",
            {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"},
            "/service/GraniteServiceVersion20100801/operation/GetMetricData",
            b"",
        ),
        (
            "json",
            {"x-amz-target": "GraniteServiceVersion20100801.GetMetricData"},
            "/",
            b"{}",
        ),
        (
            "query",
            {"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
            "/",
            b"Action=GetMetricData&Version=2010-08-01",
        ),
    ],
)
def test_error_bodies_parse_in_every_cloudwatch_protocol(
    protocol: str, headers: dict[str, str], path: str, body: bytes
) -> None:
    req = describe("POST", path, {**headers, "authorization": sigv4("eu-west-1", "monitoring")}, body)
    assert (req.operation, req.service, req.region) == ("GetMetricData", "monitoring", "eu-west-1")
    out_headers, out_body = error_response(req, 403, "AccessDenied", "No way")
    try:
        parser = create_parser(protocol)
    except Exception:  # an older botocore without this protocol
        pytest.skip(f"botocore has no {protocol} parser")
    no_shape: Any = None  # an error response is parsed without the operation's output shape
    parsed = parser.parse(
        {"status_code": 403, "headers": {k.lower(): v for k, v in out_headers.items()}, "body": out_body}, no_shape
    )
    assert parsed["Error"]["Code"] == "AccessDenied"
    assert parsed["Error"]["Message"] == "No way"


@pytest.mark.parametrize(
    ("method", "target", "operation", "bucket"),
    [
        ("GET", "/", "ListBuckets", None),
        ("GET", "/b?location", "GetBucketLocation", "b"),
        ("HEAD", "/b", "HeadBucket", "b"),
        ("GET", "/b?list-type=2&prefix=x", "ListObjectsV2", "b"),
        ("GET", "/b?versions&key-marker=k", "ListObjectVersions", "b"),
        ("GET", "/b?uploads", "ListMultipartUploads", "b"),
        ("GET", "/b/some/key", "GetObject", "b"),
        ("PUT", "/b/k?partNumber=1&uploadId=u", "UploadPart", "b"),
    ],
)
def test_s3_operations_are_recognised(method: str, target: str, operation: str, bucket: str | None) -> None:
    req = describe(method, target, {"authorization": sigv4("us-east-1", "s3")}, b"")
    assert (req.protocol, req.operation, req.bucket, req.service) == ("rest-xml", operation, bucket, "s3")


def test_only_loopback_upstreams() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        FaultProxy("http://example.com:80")
