"""The policy pack on the real stacks: both pass with no mandatory violation outside policy/exceptions.yaml, the
generated SOC 2 control map is current, the pack is importable without starting CrossGuard, and
`python -m offline check` reports and exits as documented."""

from __future__ import annotations

import subprocess
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


_EVALUATED: dict[int, Evaluation] = {}


def evaluated(capture: Capture) -> Evaluation:
    """One evaluation per cached capture (the rules are pure functions of it)."""
    if id(capture) not in _EVALUATED:
        _EVALUATED[id(capture)] = evaluate(capture)
    return _EVALUATED[id(capture)]


@pytest.fixture
def cached_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI runs the program through offline.run; reuse the suite's cached captures instead."""
    import offline.check

    monkeypatch.setattr(offline.check, "run", lambda stack, preview=False, overrides=None, root=None:
                        capture_for(stack, preview, overrides or None))


def _describe(findings: list[Finding]) -> list[str]:
    return [f"{f.rule.name} {f.resource}: {f.message}" for f in findings]


def test_stack_has_no_mandatory_violation(capture: Capture) -> None:
    result = evaluated(capture)
    assert result.environment == capture.config.values["vitality:environment"]
    assert _describe(result.mandatory) == []
    assert result.passed_count > 50


def test_stack_has_no_mandatory_violation_in_preview(stack: str) -> None:
    """`pulumi preview`: unknown values skip a rule, they never turn into a violation."""
    result = evaluated(capture_for(stack, preview=True))
    assert _describe(result.mandatory) == []


def test_stack_rules_examine_the_real_network(capture: Capture) -> None:
    """The cross-resource rules found their subjects (a rule that passes nothing proves nothing)."""
    result = evaluated(capture)
    vpc = capture.one(R.VPC).name
    for rule in ("vpc-flow-logs-enabled", "vpc-default-security-group-managed"):
        assert (R.VPC, vpc) in result.passed[rule]
    assert [n for _, n in result.passed["database-subnets-no-internet-route"]] == [capture.one(R.RDS_SUBNETS).name]
    keys = {r.name for r in capture.of_type(R.KMS_KEY)}
    assert {n for _, n in result.passed["kms-key-rotation"]} == keys


def test_prod_only_rules_apply_to_prod_alone(dev: Capture, prod: Capture) -> None:
    prod_only = {r.name for r in R.RULES if r.prod_only}
    assert prod_only >= {"rds-cluster-deletion-protection", "prod-stateful-resources-protected", "rds-cluster-multi-az"}
    assert {r.name for r in evaluated(dev).not_applicable} == prod_only
    result = evaluated(prod)
    assert result.not_applicable == []
    assert {n for _, n in result.passed["prod-stateful-resources-protected"]} >= {r.name for r in prod.of_type(R.KMS_KEY)}


def test_committed_exceptions_are_valid_and_each_one_is_used(dev: Capture, prod: Capture) -> None:
    data = yaml.safe_load((ROOT / "policy" / "exceptions.yaml").read_text())
    assert "exceptions" in data
    hold = R.RULES_BY_NAME["policy-exceptions-hold"]
    for exception in R.EXCEPTIONS:
        assert exception.rule in R.RULES_BY_NAME, exception
        assert not exception.expired(), f"{exception.rule} on {exception.resource} was due for review on {exception.review}"
        for control in exception.compensating:
            assert control.rule in R.RULES_BY_NAME, control
            assert control.rule != exception.rule
        rule_types = R.RULES_BY_NAME[exception.rule].types
        assert set(rule_types) <= set(hold.types), f"policy-exceptions-hold does not cover {exception.rule}'s types"
    everything = (*(capture_for(stack) for stack in stacks()), *_other_api_platforms(dev, prod))
    assert unused_exceptions([evaluated(c) for c in everything]) == []


def _other_api_platforms(*captures: Capture) -> list[Capture]:
    """The stacks on the API platform they do not run by default: an exception may be about that platform only."""
    from components.settings import load_settings
    from components.settings.api import API_PLATFORMS

    found = []
    for capture in captures:
        platform = load_settings(capture.config.as_engine_config(), capture.stack).api.platform
        found += [capture_for(capture.stack, overrides={"vitality:api.platform": p}) for p in API_PLATFORMS
                  if p != platform]
    return found


def test_standing_exceptions_hold_and_their_compensating_controls_pass(capture: Capture) -> None:
    result = evaluated(capture)
    hold = R.RULES_BY_NAME["policy-exceptions-hold"]
    present = {(r.name, r.type) for r in capture.resources}
    standing = [x for x in R.EXCEPTIONS if x.in_scope(capture.stack, result.environment)
                and any((x.resource, t) in present for t in R.RULES_BY_NAME[x.rule].types)]
    assert standing, "each stack has dated exceptions today"
    assert {n for _, n in result.passed[hold.name]} >= {x.resource for x in standing}
    for x in standing:
        for control in x.compensating:
            assert [f for f in result.violations if f.rule.name == control.rule] == []
            assert result.passed[control.rule], f"{control.rule} examined nothing in {capture.stack}"


def test_compliance_doc_is_current() -> None:
    expected = render([evaluated(capture_for(stack)) for stack in stacks()])
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


def test_check_command_passes_prod(cached_runs: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert offline_main(["check", "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert "Policy pack on stack prod (environment prod)" in out
    assert "0 mandatory violations" in out and " passed" in out


def test_check_command_fails_on_a_mandatory_violation(cached_runs: None, monkeypatch: pytest.MonkeyPatch,
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


def test_check_docs_command_reports_current(cached_runs: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert offline_main(["check", "--check-docs"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_pulumi_cli_can_load_the_pack() -> None:
    """Start the pack the way the CLI does (`python -m pulumi.policy <engine> policy`): it must build the
    PolicyPack and announce its gRPC port, i.e. every rule is a valid CrossGuard policy."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi.policy", "127.0.0.1:0", "policy"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        port = process.stdout.readline().strip()  # type: ignore[union-attr]
        assert port.isdigit(), process.stderr.read() if process.poll() is not None else port  # type: ignore[union-attr]
    finally:
        process.kill()
        process.wait(timeout=10)


def _sdk_class(token: str) -> type:
    import pulumi_aws

    _, module, name = token.split(":")
    package = module.split("/")[0]
    return getattr(getattr(pulumi_aws, "lambda_" if package == "lambda" else package), name)


def _has_tags_input(token: str) -> bool:
    return any(isinstance(v, property) and getattr(v.fget, "_pulumi_name", "") == "tags"
               for v in vars(_sdk_class(token)).values())


def test_tag_rule_lists_only_taggable_types() -> None:
    assert [t for t in R.TAGGABLE if not _has_tags_input(t)] == []


def test_tag_rule_covers_every_taggable_type_the_stacks_create(capture: Capture) -> None:
    created = {r.type for r in capture.resources if r.custom and r.type.startswith("aws:") and ":providers:" not in r.type}
    assert sorted(t for t in created if _has_tags_input(t) and t not in R.TAGGABLE) == []


def test_every_type_token_a_rule_names_exists_in_the_sdk() -> None:
    import inspect

    tokens = {t for rule in R.RULES for t in rule.types} | set(R.TAGGABLE)
    missing = []
    for token in sorted(tokens):
        try:
            source = Path(inspect.getsourcefile(_sdk_class(token)) or "").read_text()
        except AttributeError:
            missing.append(token)
            continue
        if f"'{token}'" not in source and f'"{token}"' not in source:
            missing.append(token)
    assert missing == []
