"""deploy/cloudformation/member-role.yaml gives each strategy exactly the policy docs/iam.md documents.

The template is read as CloudFormation reads it (its short-form tags ``!Ref``, ``!If``, ``!Sub``... become
the long forms) and evaluated for each value of its ``Strategy`` and ``Advise`` parameters: conditions,
``Fn::If`` and ``AWS::NoValue``, ``Fn::Sub``. The (action, resource) pairs each evaluation grants must
equal those of the JSON policy blocks in the matching section of docs/iam.md; the trust policy must equal
the docs' (with and without an external id). A call the source makes without a documented action, an
action that writes or a wildcard action, a trust principal that is not a parameter: each fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from s3_storage_analyser.accounts import DEFAULT_ROLE_NAME
from support.member_role import (
    DOC_EXTERNAL_ID,
    DOC_PARAMETERS,
    IAM_DOC,
    ROOT,
    TEMPLATE,
    Evaluation,
    doc_section,
    documented,
    grants,
    json_blocks,
    load_template,
)

SRC = ROOT / "src" / "s3_storage_analyser"

# Every AWS operation the package names (``service:Operation`` in aws.call/translating, and the listing
# engine's raw operations) -> the IAM action it needs; None: it needs no permission.
OPERATION_ACTIONS: dict[str, str | None] = {
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:GetBucketLocation": "s3:GetBucketLocation",
    "s3:HeadBucket": "s3:ListBucket",  # the fallback when GetBucketLocation is refused
    "s3:ListBucket": "s3:ListBucket",  # the inventory destination's folders (ListObjectsV2)
    "s3:ListBucketInventoryConfigurations": "s3:GetInventoryConfiguration",
    "s3:GetObject": "s3:GetObject",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:ListObjectVersions": "s3:ListBucketVersions",
    "s3:ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "s3:ListParts": "s3:ListMultipartUploadParts",
    "cloudwatch:GetMetricData": "cloudwatch:GetMetricData",
    "cloudwatch:ListMetrics": "cloudwatch:ListMetrics",
    "pricing:GetProducts": "pricing:GetProducts",
    "sts:AssumeRole": "sts:AssumeRole",
    "sts:GetCallerIdentity": None,  # answers every caller: no policy can deny it
    "organizations:ListAccounts": "organizations:ListAccounts",
}
# The listing engine names its operations without a service (listing/worker.py, listing/rawclient.py).
LISTING_OPERATIONS = ("ListObjectsV2", "ListObjectVersions", "ListMultipartUploads", "ListParts")
READ_ONLY_ACTION = re.compile(r"^(s3|cloudwatch):(List|Get)[A-Za-z]+$")


# --- The tests ------------------------------------------------------------------------------------

TEMPLATE_DOC = load_template()
CASES = [(s, a) for s in ("cloudwatch", "list", "inventory", "all") for a in (False, True)]


def evaluate(**parameters: str) -> Evaluation:
    return Evaluation(TEMPLATE_DOC, DOC_PARAMETERS | parameters)


def test_strategy_values_are_the_ones_tested() -> None:
    assert TEMPLATE_DOC["Parameters"]["Strategy"]["AllowedValues"] == ["cloudwatch", "list", "inventory", "all"]
    assert TEMPLATE_DOC["Parameters"]["Strategy"]["Default"] == "cloudwatch"  # the tool's default strategy
    assert TEMPLATE_DOC["Parameters"]["Advise"]["Default"] == "false"  # least privilege unless asked


@pytest.mark.parametrize(("strategy", "advise"), CASES)
def test_each_strategy_grants_exactly_what_the_docs_list(strategy: str, advise: bool) -> None:
    evaluation = evaluate(Strategy=strategy, Advise="true" if advise else "false")
    granted = grants(evaluation.statements())
    expected = documented(strategy, advise)
    assert granted == expected, (
        f"Strategy={strategy} Advise={advise}: the template grants {sorted(granted - expected)} beyond "
        f"docs/iam.md and lacks {sorted(expected - granted)}"
    )


def test_the_strategies_differ() -> None:
    # Guards the test above against a template and docs that agree by granting the same thing everywhere.
    actions = {
        s: {a for a, _ in grants(evaluate(Strategy=s).statements())} for s in ("cloudwatch", "list", "inventory")
    }
    assert "cloudwatch:GetMetricData" in actions["cloudwatch"] - actions["list"] - actions["inventory"]
    assert "s3:ListBucketVersions" in actions["list"] - actions["cloudwatch"] - actions["inventory"]
    assert "s3:GetObject" in actions["inventory"] - actions["cloudwatch"] - actions["list"]
    assert "s3:GetLifecycleConfiguration" not in set().union(*actions.values())


@pytest.mark.parametrize(("strategy", "advise"), CASES)
def test_every_action_reads_and_names_itself(strategy: str, advise: bool) -> None:
    for action, resource in grants(evaluate(Strategy=strategy, Advise=str(advise).lower()).statements()):
        assert READ_ONLY_ACTION.match(action), f"{action} is not a named read-only action (List*/Get*)"
        assert not re.search(r"Put|Delete|Create|Update|Restore|Replicate|Tag", action), action
        assert resource == "*" or resource.startswith("arn:aws:s3:::"), resource


def test_objects_are_read_only_in_the_inventory_destination() -> None:
    for strategy in ("cloudwatch", "list"):
        assert not any(a == "s3:GetObject" for a, _ in grants(evaluate(Strategy=strategy).statements()))
    narrowed = evaluate(Strategy="inventory", InventoryBucket="acme-inventory", InventoryPrefix="inventory/")
    reads = {r for a, r in grants(narrowed.statements()) if a == "s3:GetObject"}
    assert reads == {"arn:aws:s3:::acme-inventory/inventory/*"}


def test_bucket_pattern_narrows_every_bucket_resource() -> None:
    evaluation = evaluate(Strategy="all", Advise="true", BucketNamePattern="acme-*", InventoryBucket="acme-inv")
    for action, resource in grants(evaluation.statements()):
        if resource == "*":
            assert action in {"s3:ListAllMyBuckets", "cloudwatch:ListMetrics", "cloudwatch:GetMetricData"}, action
        else:
            assert resource.startswith(("arn:aws:s3:::acme-*", "arn:aws:s3:::acme-inv")), (action, resource)


def test_inventory_without_its_bucket_is_refused() -> None:
    assert not Evaluation(TEMPLATE_DOC, {"TrustedPrincipal": "111122223333", "Strategy": "inventory"}).rules_pass()
    assert not Evaluation(TEMPLATE_DOC, {"TrustedPrincipal": "111122223333", "Strategy": "all"}).rules_pass()
    assert Evaluation(TEMPLATE_DOC, {"TrustedPrincipal": "111122223333", "Strategy": "list"}).rules_pass()
    assert evaluate(Strategy="inventory").rules_pass()


def test_role_name_default_is_the_tools() -> None:
    assert TEMPLATE_DOC["Parameters"]["RoleName"]["Default"] == DEFAULT_ROLE_NAME
    assert evaluate().role()["RoleName"] == DEFAULT_ROLE_NAME
    assert evaluate(RoleName="team-reader").role()["RoleName"] == "team-reader"
    assert re.fullmatch(TEMPLATE_DOC["Parameters"]["RoleName"]["AllowedPattern"], DEFAULT_ROLE_NAME)
    outputs = TEMPLATE_DOC["Outputs"]
    assert outputs["RoleArn"]["Value"] == {"Fn::GetAtt": ["ReaderRole", "Arn"]}


def _trust(evaluation: Evaluation) -> dict[str, Any]:
    (statement,) = evaluation.role()["AssumeRolePolicyDocument"]["Statement"]
    assert isinstance(statement, dict)
    return statement


def test_trust_principal_is_the_parameter() -> None:
    raw = TEMPLATE_DOC["Resources"]["ReaderRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in raw] == [{"AWS": {"Ref": "TrustedPrincipal"}}]
    spec = TEMPLATE_DOC["Parameters"]["TrustedPrincipal"]
    assert "Default" not in spec  # nobody is trusted by default
    pattern = spec["AllowedPattern"]
    for good in ("111122223333", "arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/platform-reports"):
        assert re.fullmatch(pattern, good), good
    for bad in ("*", "arn:aws:iam::*:root", "arn:aws:iam::111122223333:user/x", "1111", "111122223333 ", ""):
        assert not re.fullmatch(pattern, bad), bad
    assert _trust(evaluate(TrustedPrincipal="111122223333"))["Principal"] == {"AWS": "111122223333"}


def test_external_id_condition_is_conditional() -> None:
    raw = TEMPLATE_DOC["Resources"]["ReaderRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert raw["Condition"]["Fn::If"][0] == "HasExternalId"
    assert raw["Condition"]["Fn::If"][2] == {"Ref": "AWS::NoValue"}
    assert TEMPLATE_DOC["Parameters"]["ExternalId"]["Default"] == ""
    assert "Condition" not in _trust(evaluate())
    assert _trust(evaluate(ExternalId="abc-123"))["Condition"] == {"StringEquals": {"sts:ExternalId": "abc-123"}}


def test_trust_policies_equal_the_docs() -> None:
    without, with_id = json_blocks(doc_section("The member role"))[:2]
    assert [_trust(evaluate())] == without["Statement"]
    assert [_trust(evaluate(ExternalId=DOC_EXTERNAL_ID))] == with_id["Statement"]
    assert with_id["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": DOC_EXTERNAL_ID}}


def test_external_ids_the_tool_accepts_the_template_accepts() -> None:
    pattern = TEMPLATE_DOC["Parameters"]["ExternalId"]["AllowedPattern"]
    for good in ("", "s3sa-3f9c1e", "a:b/c@d=e,f.g_h+i", "x" * 1224):
        assert re.fullmatch(pattern, good), good
    for bad in ("x", "x" * 1225, "has space", "semi;colon"):
        assert not re.fullmatch(pattern, bad), bad


def test_session_duration_is_bounded_like_sts() -> None:
    spec = TEMPLATE_DOC["Parameters"]["MaxSessionDuration"]
    assert (spec["MinValue"], spec["Default"], spec["MaxValue"]) == (3600, 3600, 43200)
    assert evaluate(MaxSessionDuration="7200").role()["MaxSessionDuration"] == "7200"


def test_the_caller_policy_covers_the_calls_the_tool_makes_as_caller() -> None:
    (caller,) = json_blocks(doc_section("The caller"))
    allowed = grants(caller["Statement"])
    assert allowed == {
        ("sts:AssumeRole", f"arn:aws:iam::*:role/{DEFAULT_ROLE_NAME}"),
        ("organizations:ListAccounts", "*"),
    }
    needed = {
        OPERATION_ACTIONS[op]
        for op in source_operations()
        if op.startswith(("sts:", "organizations:")) and OPERATION_ACTIONS[op] is not None
    }
    assert needed == {a for a, _ in allowed}, f"the source calls {needed}; the caller's policy allows {allowed}"


def source_operations() -> set[str]:
    """Every ``service:Operation`` the package names, and the listing engine's operations."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        if "demo" in path.relative_to(SRC).parts:  # the demo seeds its own endpoint; it is not a scan
            continue
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"[\"']((?:s3|cloudwatch|sts|organizations|pricing):[A-Z][A-Za-z0-9]+)", text))
        found |= {f"s3:{op}" for op in LISTING_OPERATIONS if re.search(rf"[\"']{op}[\"']", text)}
    return found


def test_every_call_the_source_makes_is_known_here() -> None:
    operations = source_operations()
    assert {"s3:ListBuckets", "cloudwatch:GetMetricData", "s3:ListObjectsV2", "sts:AssumeRole"} <= operations
    unknown = sorted(operations - set(OPERATION_ACTIONS))
    assert not unknown, f"AWS calls without an IAM action in this test (and maybe docs/iam.md): {unknown}"


def test_every_action_the_source_needs_is_documented() -> None:
    text = IAM_DOC.read_text(encoding="utf-8")
    needed = {OPERATION_ACTIONS[op] for op in source_operations()} - {None}
    missing = sorted(str(a) for a in needed if f'"{a}"' not in text)
    assert not missing, f"docs/iam.md has no policy granting {missing}"


@pytest.mark.slow  # cfn-lint loads its resource schemas: about 5 s
def test_the_template_is_what_cfn_lint_accepts() -> None:
    api = pytest.importorskip("cfnlint.api")  # comes with moto's server extra; not a dependency of its own
    matches = api.lint_file(TEMPLATE, api.ManualArgs(regions=["us-east-1"]))
    assert not matches, "\n".join(str(m) for m in matches)
