"""The policy pack on the real stacks: both pass with no mandatory violation outside policy/exceptions.yaml, the
generated SOC 2 control map is current, the pack is importable without starting CrossGuard, and
`python -m offline check` reports and exits as documented."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import pytest
import yaml
from pulumi_policy import EnforcementLevel, Policy, ResourceValidationPolicy, StackValidationPolicy

from offline import Capture, stacks
from offline.__main__ import main as offline_main
from policy import rules as R
from policy.controls import CONTROLS
from policy.docs import TSC_TITLES, render
from policy.evaluate import Evaluation, Finding, evaluate, unused_exceptions
from policy.framework import MANDATORY
from tests.conftest import capture_for

ROOT = Path(__file__).resolve().parent.parent


def _describe(findings: list[Finding]) -> list[str]:
    return [f"{f.rule.name} {f.resource}: {f.message}" for f in findings]


def test_stack_has_no_mandatory_violation(capture: Capture) -> None:
    result = evaluate(capture)
    assert result.environment == capture.config.values["vitality:environment"]
    assert _describe(result.mandatory) == []
    assert result.passed_count > 50


def test_stack_has_no_mandatory_violation_in_preview(stack: str) -> None:
    """`pulumi preview`: unknown values skip a rule, they never turn into a violation."""
    result = evaluate(capture_for(stack, preview=True))
    assert _describe(result.mandatory) == []


def test_stack_rules_examine_the_real_network(capture: Capture) -> None:
    """The cross-resource rules found their subjects (a rule that passes nothing proves nothing)."""
    result = evaluate(capture)
    vpc = capture.one(R.VPC).name
    for rule in ("vpc-flow-logs-enabled", "vpc-default-security-group-managed"):
        assert (R.VPC, vpc) in result.passed[rule]
    assert [n for _, n in result.passed["database-subnets-no-internet-route"]] == [capture.one(R.RDS_SUBNETS).name]
    keys = {r.name for r in capture.of_type(R.KMS_KEY)}
    assert {n for _, n in result.passed["kms-key-rotation"]} == keys


def test_prod_only_rules_apply_to_prod_alone(dev: Capture, prod: Capture) -> None:
    prod_only = {r.name for r in R.RULES if r.prod_only}
    assert prod_only >= {"rds-cluster-deletion-protection", "prod-stateful-resources-protected", "rds-cluster-multi-az"}
    assert {r.name for r in evaluate(dev).not_applicable} == prod_only
    result = evaluate(prod)
    assert result.not_applicable == []
    assert {n for _, n in result.passed["prod-stateful-resources-protected"]} >= {r.name for r in prod.of_type(R.KMS_KEY)}


def test_committed_exceptions_are_valid_and_each_one_is_used(dev: Capture, prod: Capture) -> None:
    data = yaml.safe_load((ROOT / "policy" / "exceptions.yaml").read_text())
    assert "exceptions" in data
    for exception in R.EXCEPTIONS:
        assert exception.rule in R.RULES_BY_NAME, exception
        assert exception.review > datetime.date(2026, 1, 1)
    assert unused_exceptions([evaluate(dev), evaluate(prod)]) == []


def test_compliance_doc_is_current() -> None:
    expected = render([evaluate(capture_for(stack)) for stack in stacks()])
    committed = (ROOT / "docs" / "compliance.md").read_text()
    assert committed == expected, "docs/compliance.md is stale: run `python -m offline check --write-docs`"


def test_compliance_doc_maps_every_rule_and_control() -> None:
    text = (ROOT / "docs" / "compliance.md").read_text()
    for rule in R.RULES:
        assert f"### {rule.name}" in text
    for control in {c for r in R.RULES for c in r.controls}:
        assert f"| {control} |" in text
    assert "What only the live account can prove" in text


# ------------------------------------------------------------------------------------------------
# The pack module
# ------------------------------------------------------------------------------------------------


def test_pack_module_imports_without_building_the_pack() -> None:
    assert "policy.__main__" not in sys.modules
    assert len(R.POLICIES) == len(R.RULES) == len(R.RULES_BY_NAME)
    assert all(isinstance(p, Policy) for p in R.POLICIES)
    main = (ROOT / "policy" / "__main__.py").read_text()
    assert "PolicyPack(" in main and "POLICIES" in main
    config = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert config["runtime"]["name"] == "python"
    requirements = (ROOT / "policy" / "requirements.txt").read_text()
    assert "pulumi-policy" in requirements


@pytest.mark.parametrize("rule", R.RULES, ids=lambda r: r.name)
def test_rule_metadata_is_complete(rule: R.Rule) -> None:
    assert rule.description and rule.remediation
    assert rule.tsc and all(t in TSC_TITLES for t in rule.tsc)
    assert all(c in CONTROLS for c in rule.controls), [c for c in rule.controls if c not in CONTROLS]
    assert rule.controls or rule.references
    assert rule.types
    policy = rule.policy
    assert isinstance(policy, ResourceValidationPolicy if rule.kind == "resource" else StackValidationPolicy)
    expected = EnforcementLevel.MANDATORY if rule.enforcement == MANDATORY else EnforcementLevel.ADVISORY
    assert policy.enforcement_level == expected
    assert policy.severity is not None and policy.remediation_steps == rule.remediation
    assert set(rule.controls) <= set(policy.tags or [])


# ------------------------------------------------------------------------------------------------
# python -m offline check
# ------------------------------------------------------------------------------------------------


def test_check_command_passes_prod(capsys: pytest.CaptureFixture[str]) -> None:
    assert offline_main(["check", "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert "Policy pack on stack prod (environment prod)" in out
    assert "0 mandatory violations" in out and " passed" in out


def test_check_command_fails_on_a_mandatory_violation(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import policy.evaluate

    rule = R.RULES_BY_NAME["vpc-flow-logs-enabled"]

    def broken(capture: Capture) -> Evaluation:
        result = Evaluation(stack=capture.stack, environment="prod")
        result.violations.append(Finding(rule, "vitality-prod-net-vpc", R.VPC, "no flow log"))
        return result

    monkeypatch.setattr(policy.evaluate, "evaluate", broken)
    assert offline_main(["check", "--stack", "prod"]) == 1
    out = capsys.readouterr().out
    assert "Mandatory violations (1)" in out
    assert "EC2.6" in out and "[medium] vpc-flow-logs-enabled" in out
    assert "aws:ec2/vpc:Vpc vitality-prod-net-vpc: no flow log" in out


def test_check_docs_command_reports_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert offline_main(["check", "--check-docs"]) == 0
    assert "up to date" in capsys.readouterr().out
