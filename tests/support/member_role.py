"""The member-role template (deploy/cloudformation/member-role.yaml) read and evaluated as CloudFormation
would create it, and the policies docs/iam.md documents: what the template's tests compare."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "cloudformation" / "member-role.yaml"
IAM_DOC = ROOT / "docs" / "iam.md"

yaml = importlib.import_module("yaml")  # PyYAML comes with MkDocs; it ships no type stubs

NO_VALUE = object()  # what ``!Ref AWS::NoValue`` evaluates to: the property or list item is dropped
PARTITION = "aws"

# docs/iam.md's section for each strategy (its headings), and the template's Strategy values.
STRATEGY_SECTIONS = {"cloudwatch": "CloudWatch strategy", "list": "Listing strategy", "inventory": "Inventory strategy"}
ADVISE_SECTION = "advise"
# The values docs/iam.md's examples use, so that the template's resources can equal the docs' exactly.
DOC_PARAMETERS = {
    "TrustedPrincipal": "arn:aws:iam::111122223333:role/platform-reports",
    "BucketNamePattern": "*",
    "InventoryBucket": "acme-inventory",
    "InventoryPrefix": "",
}
DOC_EXTERNAL_ID = "s3sa-3f9c1e"

# --- Reading the template -------------------------------------------------------------------------


def _short_form(loader: Any, suffix: str, node: Any) -> dict[str, Any]:
    """``!Ref X`` -> ``{"Ref": X}``, ``!GetAtt A.B`` -> ``{"Fn::GetAtt": [A, B]}``, ``!F ...`` -> ``{"Fn::F": ...}``."""
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    loader: Any = type("CloudFormationLoader", (yaml.SafeLoader,), {})  # SafeLoader with the tags added
    loader.add_multi_constructor("!", _short_form)
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    assert isinstance(document, dict)
    return document


class Evaluation:
    """The template as CloudFormation would create it with ``parameters`` (defaults for the others)."""

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, str]) -> None:
        self.template = template
        declared = template["Parameters"]
        unknown = set(parameters) - set(declared)
        assert not unknown, f"not parameters of the template: {unknown}"
        self.parameters = {name: str(spec["Default"]) for name, spec in declared.items() if "Default" in spec}
        self.parameters |= parameters
        missing = set(declared) - set(self.parameters)
        assert not missing, f"required parameters not given: {missing}"
        self.conditions = {name: self.value(body) for name, body in template.get("Conditions", {}).items()}

    def value(self, node: Any) -> Any:
        """``node`` with every intrinsic function resolved (``NO_VALUE`` items dropped from lists and maps)."""
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Condition" and isinstance(arg, str) and arg in self.template.get("Conditions", {}):
                return self.conditions[arg]
            if key.startswith("Fn::"):
                return self._function(key[4:], arg)
        resolved = {k: self.value(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::Partition":
            return PARTITION
        if name in self.parameters:
            return self.parameters[name]
        assert name in self.template["Resources"], f"!Ref {name}: no such parameter or resource"
        return f"<{name}>"

    def _function(self, name: str, arg: Any) -> Any:
        if name == "If":
            condition, yes, no = arg
            return self.value(yes if self.conditions[condition] else no)
        if name == "Equals":
            left, right = (self.value(a) for a in arg)
            return left == right
        if name == "Not":
            return not self.value(arg[0])
        if name == "Or":
            return any(self.value(a) for a in arg)
        if name == "And":
            return all(self.value(a) for a in arg)
        if name == "Sub":
            assert isinstance(arg, str), "Fn::Sub with a variable map is not used here"
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(self._ref(m.group(1))), arg)
        if name == "GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        raise AssertionError(f"Fn::{name} is not evaluated by this test")

    def created(self) -> dict[str, dict[str, Any]]:
        """The resources created (their Condition true), properties evaluated."""
        return {
            name: self.value(body.get("Properties", {}))
            for name, body in self.template["Resources"].items()
            if "Condition" not in body or self.conditions[body["Condition"]]
        }

    def rules_pass(self) -> bool:
        """Every rule's assertions, where its RuleCondition holds (CloudFormation refuses the stack otherwise)."""
        for rule in self.template.get("Rules", {}).values():
            if "RuleCondition" in rule and not self.value(rule["RuleCondition"]):
                continue
            if not all(self.value(a["Assert"]) for a in rule["Assertions"]):
                return False
        return True

    def role(self) -> dict[str, Any]:
        roles = [p for n, p in self.created().items() if self.template["Resources"][n]["Type"] == "AWS::IAM::Role"]
        assert len(roles) == 1, roles
        return roles[0]

    def statements(self) -> list[dict[str, Any]]:
        """Every statement of every policy attached to the role (inline, or AWS::IAM::Policy naming it)."""
        found = [s for p in self.role().get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
        for name, props in self.created().items():
            if self.template["Resources"][name]["Type"] in ("AWS::IAM::Policy", "AWS::IAM::RolePolicy"):
                assert props.get("Roles", [props.get("RoleName")]) == ["<ReaderRole>"], name
                found += props["PolicyDocument"]["Statement"]
        return found


def grants(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(action, resource) for every Allow statement; a Deny, a NotAction or a NotResource fails."""
    pairs: set[tuple[str, str]] = set()
    for statement in statements:
        assert statement["Effect"] == "Allow", statement
        assert "NotAction" not in statement and "NotResource" not in statement, statement
        actions, resources = statement["Action"], statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                pairs.add((action, resource))
    return pairs


# --- Reading the docs -----------------------------------------------------------------------------


def doc_section(title: str, text: str | None = None) -> str:
    """The raw Markdown (code blocks kept) of the section whose heading is ``title``, to the next heading
    of its level or above."""
    text = IAM_DOC.read_text(encoding="utf-8") if text is None else text
    outside_code = re.sub(r"^```.*?^```", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.M | re.S)
    match = re.search(rf"^(#+) {re.escape(title)}\s*$", outside_code, flags=re.M)
    assert match is not None, f"docs/iam.md has no section {title!r}"
    level = len(match.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", flags=re.M).search(outside_code, match.end())
    return text[match.end() : end.start() if end else len(text)]


def json_blocks(markdown: str) -> list[dict[str, Any]]:
    blocks = [json.loads(b) for b in re.findall(r"^\s*```json\n(.*?)^\s*```", markdown, flags=re.M | re.S)]
    assert blocks, "the section has no JSON policy"
    return blocks


def doc_statements(title: str) -> list[dict[str, Any]]:
    """Every statement of the section's JSON blocks (a block is a whole policy or one statement)."""
    found: list[dict[str, Any]] = []
    for block in json_blocks(doc_section(title)):
        found += block.get("Statement", [block])
    return found


def documented(strategy: str, advise: bool) -> set[tuple[str, str]]:
    sections = list(STRATEGY_SECTIONS.values()) if strategy == "all" else [STRATEGY_SECTIONS[strategy]]
    pairs = set().union(*(grants(doc_statements(s)) for s in sections))
    return pairs | (grants(doc_statements(ADVISE_SECTION)) if advise else set())
