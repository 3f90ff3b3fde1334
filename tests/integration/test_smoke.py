from __future__ import annotations

import json

from support.aws import make_bucket


def test_report_json_against_moto(aws_url: str, cli) -> None:  # type: ignore[no-untyped-def]
    s3 = make_bucket(aws_url, "alpha", "eu-west-1")
    s3.put_object(Bucket="alpha", Key="a", Body=b"x" * 100)
    make_bucket(aws_url, "empty")
    result = cli("--endpoint-url", aws_url, "--fmt", "json")
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    by_name = {b["Bucket"]: b for b in data["Buckets"]}
    assert by_name["alpha"]["Bytes"] == 100
    assert by_name["alpha"]["Region"] == "eu-west-1"
    assert by_name["empty"]["Bytes"] == 0
