"""Delivery: the generated diagram and tables are current, the graph follows real dependencies, and the
GitHub workflows keep their hardening (pinned actions, least privilege, OIDC roles, policy pack)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline import Capture, graph, run, stacks
from offline import docs as docs_tables
from offline.engine import Resource
from offline.stack_config import ROOT, load_stack_config
from tests.conftest import capture_for

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


# --------------------------------------------------------------------------------------------------
# Generated documentation is current
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", graph.TARGETS)
def test_committed_diagram_is_current(target: str) -> None:
    path = ROOT / target
    if not path.exists():
        pytest.skip(f"{target} does not exist")
    text = path.read_text()
    stack = graph.embedded_stack(text)
    # prod, because it has every component (dev has no account baseline or CI roles)
    assert stack == "prod", f"{target}: the diagram must show prod; run `python -m offline graph --stack prod --write`"
    assert graph.block(capture_for(stack)) in text, (
        f"{target}: the diagram is stale; run `python -m offline graph --stack {stack} --write`"
    )


def _outputs() -> dict[str, dict[str, Any]]:
    return {stack: capture_for(stack).outputs for stack in stacks()}


def test_generated_tables_are_current() -> None:
    text = (ROOT / docs_tables.DOC).read_text()
    assert docs_tables.update(text, docs_tables.render(outputs=_outputs())) == text, "run `python -m offline docs --write`"


def test_config_table_lists_every_key_with_per_stack_values() -> None:
    from components.settings import SECTIONS, TOP_LEVEL

    table = docs_tables.config_table()
    rows = {line.split(" | ")[0].strip("| `"): line for line in table.splitlines()[2:]}
    expected = {"aws:region", *(k.name for k in TOP_LEVEL), *(f"{s.name}.{k.name}" for s in SECTIONS for k in s.keys)}
    assert set(rows) == expected
    # per-stack values come from the stack files: dev and prod differ where the files differ
    assert "| `single` | `per_az` |" in rows["network.natGateways"]
    assert "| `\"\"` | `vitality-example/vitality-platform` |" in rows["ci.githubRepository"]
    assert rows["network.availabilityZones"].split(" | ")[2] == "required"


def test_outputs_table_lists_every_output_of_every_stack(dev: Capture, prod: Capture) -> None:
    table = docs_tables.outputs_table(outputs=_outputs())
    listed = set(re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE))
    assert listed == set().union(*(capture_for(stack).outputs for stack in stacks()))
    assert "| `ciDeployRoleArn` | — | string |" in table


# --------------------------------------------------------------------------------------------------
# The graph comes from the program
# --------------------------------------------------------------------------------------------------


def _nodes_and_edges(text: str) -> tuple[set[str], set[tuple[str, str]], set[tuple[str, str]]]:
    nodes = set(re.findall(r"^\s+(\w+)\[", text, re.MULTILINE))
    solid = set(re.findall(r"^\s+(\w+) --> (\w+)$", text, re.MULTILINE))
    dotted = set(re.findall(r"^\s+(\w+) -\.-> (\w+)$", text, re.MULTILINE))
    return nodes, solid, dotted


def test_one_subgraph_per_component(capture: Capture) -> None:
    text = graph.render(capture)
    components = [r.name for r in capture.resources if r.type.startswith("vitality:platform:")]
    subgraphs = re.findall(r'subgraph (\w+)\["(\w+) · ([\w-]+)"\]', text)
    assert sorted(name for _, _, name in subgraphs) == sorted(components)
    # data-flow order: a component is drawn after every component it depends on (a pair that references each
    # other, e.g. a key policy naming a later trail, has no order)
    position = {ident: i for i, (ident, _, _) in enumerate(subgraphs)}
    dotted = set(re.findall(r"^\s+(\w+) -\.-> (\w+)$", text, re.MULTILINE))
    for a, b in dotted - {(b, a) for a, b in dotted}:
        assert position[b] < position[a], (a, b)
    assert ("Ci" in {kind for _, kind, _ in subgraphs}) == (capture.stack == "prod")


def test_edges_follow_dependencies(prod: Capture) -> None:
    nodes, solid, dotted = _nodes_and_edges(graph.render(prod))
    net = "vitality_prod_net"
    assert (f"{net}__ec2_Subnet", f"{net}__ec2_Vpc") in solid
    assert (f"{net}__ec2_Vpc", f"{net}__ec2_Subnet") not in solid
    # a satellite's reference counts for its owner: the flow-log role's inline policy names the log group
    assert (f"{net}__iam_Role", f"{net}__cloudwatch_LogGroup") in solid
    # the CI roles trust the OIDC provider (its ARN is in their trust policies)
    assert ("vitality_prod_ci__iam_Role", "vitality_prod_ci__iam_OpenIdConnectProvider") in solid
    # SNS topics and the flow-log group are encrypted with Encryption's keys
    assert ("vitality_prod_alerts", "vitality_prod_kms") in dotted
    assert (f"{net}", "vitality_prod_kms") in dotted
    assert ("vitality_prod_kms", "vitality_prod_alerts") not in dotted
    for a, b in solid:
        assert a in nodes and b in nodes


def test_satellites_are_not_drawn(prod: Capture) -> None:
    text = graph.render(prod)
    for kind in ("RouteTableAssociation", "RolePolicy", "RolePolicyAttachment", "TopicPolicy", "TopicSubscription",
                 "SecurityGroupIngressRule", "Alias", "Route\\b"):
        assert not re.search(rf"\b\w+ {kind}", text), kind
    assert "ec2 Subnet ×9" in text and "ec2 RouteTable ×5" in text


def test_references_by_id_inside_json_policies_make_edges() -> None:
    def res(urn: str, typ: str, parent: str, custom: bool = True, inputs: Any = None, id_: str = "") -> Resource:
        return Resource(urn, typ, urn.rsplit("::", 1)[-1], custom, parent, "", False, False, False, [], {}, [], [],
                        inputs or {}, {"arn": f"arn:aws:x:::{id_}"} if id_ else {}, id_)

    stack = "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t"
    key = res("urn:a::key", "aws:kms/key:Key", "urn:a::A", id_="key-1")
    doc = json.dumps({"Statement": [{"Resource": "arn:aws:x:::key-1"}]})
    role = res("urn:b::role", "aws:iam/role:Role", "urn:b::B")
    inline = res("urn:b::policy", "aws:iam/rolePolicy:RolePolicy", "urn:b::role", inputs={"policy": doc})
    capture = Capture(
        stack="t", preview=False, config=None,  # type: ignore[arg-type]
        resources=[
            Resource(stack, "pulumi:pulumi:Stack", "p-t", False, None, "", False, False, False, [], {}, [], [], {}),
            res("urn:a::A", "vitality:platform:Alpha", stack, custom=False),
            res("urn:b::B", "vitality:platform:Beta", stack, custom=False),
            key, role, inline,
        ],
        outputs={},
    )
    nodes, _, dotted = _nodes_and_edges(graph.render(capture))
    assert dotted == {("B", "A")}
    assert nodes == {"A__kms_Key", "B__iam_Role"}


def test_render_is_deterministic() -> None:
    assert graph.render(run("prod")) == graph.render(capture_for("prod"))


def test_readme_is_never_created(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "architecture.md").write_text(f"x\n{graph.START}\n{graph.END}\n")
    assert graph.targets(tmp_path) == [tmp_path / "docs" / "architecture.md"]
    assert graph.replace_block("no markers here", "B") is None
    assert graph.replace_block(f"a {graph.START} old {graph.END} z", "NEW") == "a NEW z"


# --------------------------------------------------------------------------------------------------
# Workflows
# --------------------------------------------------------------------------------------------------


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def test_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "drift.yml", "pull-request.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_commits_with_versions(path: Path) -> None:
    uses = re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", path.read_text(), re.MULTILINE)
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r"\s*# v\d+(\.\d+){0,2}", comment), f"{ref}: version comment missing"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_no_injection(path: Path) -> None:
    doc = _load(path)
    assert doc["permissions"] == {}
    for name, job in doc["jobs"].items():
        granted = job["permissions"]
        assert set(granted.values()) <= {"read", "write"} and granted.get("contents") == "read", name
        assert ("id-token" in granted) == any("configure-aws-credentials" in s.get("uses", "") for s in job["steps"])
        assert ("pull-requests" in granted) == any(s.get("with", {}).get("comment-on-pr") for s in job["steps"])
    for step in _steps(doc):
        assert "${{" not in step.get("run", ""), step
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_pull_requests_preview_every_stack_with_the_policy_pack() -> None:
    doc = _load(ROOT / ".github/workflows/pull-request.yml")
    assert list(doc["on"]) == ["pull_request"]
    test_job, preview = doc["jobs"]["test"], doc["jobs"]["preview"]
    runs = "\n".join(s.get("run", "") for s in test_job["steps"])
    assert "python -m pytest" in runs and "make lint" in runs and "-m offline check --stack" in runs
    assert preview["needs"] == "test"
    assert preview["strategy"]["matrix"]["stack"] == stacks()
    assert "${{ matrix.stack }}" in preview["concurrency"]["group"]
    creds = next(s for s in preview["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    # each stack's own account role in organization mode, the one account's role otherwise
    assert creds["with"]["role-to-assume"] == "${{ vars[matrix.role] || vars.AWS_PREVIEW_ROLE_ARN }}"
    roles = {entry["stack"]: entry["role"] for entry in preview["strategy"]["matrix"]["include"]}
    assert roles == {stack: f"AWS_PREVIEW_ROLE_ARN_{stack.upper()}" for stack in stacks()}
    # the security stack has no account in the single-account topology: its steps wait for its variable
    gated = [s for s in preview["steps"] if "AWS_PREVIEW_ROLE_ARN_SECURITY" in s.get("if", "")]
    assert len(gated) == len(preview["steps"])
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(creds["with"])
    pulumi = next(s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["stack-name"] == "${{ matrix.stack }}"


def test_main_deploys_security_then_dev_then_prod_through_the_protected_environments() -> None:
    doc = _load(ROOT / ".github/workflows/deploy.yml")
    ci = load_stack_config("prod").values["vitality:ci"]
    assert doc["on"]["push"] == {"branches": ["main"]}
    # a manual run may deploy an API image; nothing else triggers a deploy
    assert set(doc["on"]) == {"push", "workflow_dispatch"}
    assert set(doc["on"]["workflow_dispatch"]["inputs"]) == {"api_image"}
    security, dev, prod = doc["jobs"]["deploy-security"], doc["jobs"]["deploy-dev"], doc["jobs"]["deploy-prod"]
    # organization mode: the security-tooling stack first, only where its account exists
    assert security["needs"] == "test" and security["if"] == "vars.AWS_DEPLOY_ROLE_ARN_SECURITY != ''"
    assert security["environment"] == load_stack_config("security").values["vitality:ci"]["prodEnvironment"]
    # a skipped security deploy (one account) does not block dev; a failed one does
    assert dev["needs"] == ["test", "deploy-security"] and "needs.deploy-security.result != 'failure'" in dev["if"]
    assert prod["needs"] == "deploy-dev"
    # the deploy roles trust environment subjects only (components/ci.py), so every deploy job names its environment
    assert dev["environment"] == ci.get("devEnvironment", "dev")
    assert prod["environment"] == ci.get("prodEnvironment", "prod")
    roles = {"security": "${{ vars.AWS_DEPLOY_ROLE_ARN_SECURITY }}",
             "dev": "${{ vars.AWS_DEPLOY_ROLE_ARN_DEV || vars.AWS_DEV_DEPLOY_ROLE_ARN }}",
             "prod": "${{ vars.AWS_DEPLOY_ROLE_ARN_PROD || vars.AWS_DEPLOY_ROLE_ARN }}"}
    for job, stack in ((security, "security"), (dev, "dev"), (prod, "prod")):
        assert job["concurrency"] == {"group": f"deploy-{stack}", "cancel-in-progress": False}
        creds = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
        assert creds["with"]["role-to-assume"] == roles[stack]
        pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@") and "command" in s["with"])
        assert pulumi["with"]["command"] == "up" and pulumi["with"]["stack-name"] == stack
        assert pulumi["with"]["policyPacks"] == "policy"
        if stack == "security":
            continue  # no API in the security-tooling account
        names = [s.get("name", "") for s in job["steps"]]
        image = job["steps"][names.index("Set the API image (manual runs with api_image)")]
        assert image["if"] == "${{ inputs.api_image != '' }}" and image["env"]["API_IMAGE"] == "${{ inputs.api_image }}"
        assert image["run"] == f'pulumi config set --path api.image "$API_IMAGE" --stack {stack}'  # no ${{ }} in run
        wait = job["steps"][names.index("Wait until the API service is stable (api.platform ecs)")]
        assert "aws ecs wait services-stable" in wait["run"] and f"--stack {stack}" in wait["run"]
        assert names.index("Set the API image (manual runs with api_image)") < job["steps"].index(pulumi) < names.index(
            "Wait until the API service is stable (api.platform ecs)")


def test_ci_entry_point_lints_before_testing() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert script.index("make lint") < script.index("make test")
    makefile = (ROOT / "Makefile").read_text()
    lint = makefile[makefile.index("\nlint:"):].split("\n\n")[0]
    for tool in ("check-jsonschema --builtin-schema vendor.github-workflows", "zizmor --offline", "ruff check", "mypy"):
        assert tool in lint, tool
    assert "--min-severity medium" in lint
