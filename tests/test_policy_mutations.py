"""The mutation suite: every rule of the pack is proven to fire on the real stacks.

For each rule, the compliant resources of both stacks pass; every violating variant in `policy.mutations` (applied
to a copy of the session's capture, never to the capture itself) produces a new violation of that rule naming the
variant's resource, through the same `policy.evaluate` path `python -m offline check` uses. A rule without
variants fails the suite, and rules that read IAM, trust, key, topic or bucket policies need at least three.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Optional

import pytest

from components.settings import load_settings
from offline import Capture
from policy import rules as R
from policy.evaluate import evaluate
from policy.framework import TODAY, Rule
from policy.mutations import VARIANTS, Mutant, Variant, by_rule
from tests.conftest import capture_for

# Resource types that are nothing but a policy document or an attachment of one: a rule checking one of them reads
# IAM, trust, key, topic or bucket policies.
DOCUMENT_TYPES = {R.ROLE_POLICY, R.IAM_POLICY, R.USER_POLICY, R.GROUP_POLICY, R.ROLE_ATTACH, R.POLICY_ATTACH,
                  R.USER_ATTACH, R.GROUP_ATTACH, *R.BUCKET_POLICY, R.TOPIC_POLICY, "aws:kms/keyPolicy:KeyPolicy"}
# Rules that read a document carried by a resource with other props too (role trust, key policy, bucket policy
# through its bucket).
DOCUMENT_RULES = {"iam-role-trust-scoped", "kms-key-not-public", "s3-bucket-tls-only"}
TAGS_ONLY = {"required-tags"}  # checks every taggable type, policies included, for tags only
# takes the types of the rules that have exceptions (the permissions boundary's are identity-policy rules), but reads
# the exceptions, not the documents
META_RULES = {"policy-exceptions-hold"}
# Rules whose subject the stacks must not have at all (compliance is absence, so every variant adds one).
ABSENT_SUBJECTS = {"iam-no-long-lived-credentials", "iam-no-user-policies", "network-acl-no-world-admin-ports",
                   "secret-encrypted-with-cmk", "secret-rotation-enabled"}

_BASELINE: dict[tuple[str, str, str], set[tuple[str, str]]] = {}


def capture_of(stack: str, topology: tuple[tuple[str, Any], ...] = ()) -> Capture:
    """The session capture of the stack, on the variant's topology (the default run when it is the default)."""
    overrides = dict(topology)
    platform = overrides.get("vitality:api.platform")
    if platform is not None and platform == load_settings(capture_for(stack).config.as_engine_config(), stack).api.platform:
        del overrides["vitality:api.platform"]
    return capture_for(stack, overrides=overrides or None)


def baseline(stack: str, rule: Rule, topology: tuple[tuple[str, Any], ...] = ()) -> set[tuple[str, str]]:
    """(resource, message) of the rule's findings on the unmodified stack."""
    key = (stack, rule.name, repr(topology))
    if key not in _BASELINE:
        result = evaluate(capture_of(stack, topology), [rule])
        _BASELINE[key] = {(f.resource, f.message) for f in result.violations}
    return _BASELINE[key]


def _evaluate(variant: Variant, capture: Capture, rule: Rule) -> tuple[str, set[tuple[str, str]]]:
    mutant = Mutant(capture)
    subject = variant.mutate(mutant)
    token = TODAY.set(datetime.date.fromisoformat(variant.today)) if variant.today else None
    try:
        result = evaluate(mutant, [rule])
    finally:
        if token is not None:
            TODAY.reset(token)
    return subject, {(f.resource, f.message) for f in result.violations}


CASES = [(v, stack) for v in VARIANTS for stack in v.stacks]


@pytest.mark.parametrize("variant,stack", CASES, ids=[f"{stack}:{v.id}" for v, stack in CASES])
def test_variant_is_reported_by_its_rule_on_its_resource(variant: Variant, stack: str) -> None:
    rule = R.RULES_BY_NAME[variant.rule]
    subject, findings = _evaluate(variant, capture_of(stack, variant.topology), rule)
    before = baseline(stack, rule, variant.topology)
    new = findings - before
    assert any(resource == subject for resource, _ in new), \
        f"{variant.rule} did not report {subject} after '{variant.name}' ({variant.kind}); new findings: {sorted(new)}"
    assert subject not in {resource for resource, _ in before} or rule.enforcement != "mandatory", \
        f"{subject} already violates {variant.rule} on the unmodified stack"


@pytest.mark.parametrize("rule", R.RULES, ids=lambda r: r.name)
def test_compliant_resources_of_both_stacks_pass(rule: Rule) -> None:
    for stack in ("dev", "prod"):
        result = evaluate(capture_for(stack), [rule])
        if rule.enforcement == "mandatory":
            assert [(f.resource, f.message) for f in result.violations] == [], stack
        if rule.name not in ABSENT_SUBJECTS and rule.applies_to_environment(result.environment):
            examined = result.passed.get(rule.name, []) or [f.resource for f in result.violations + result.excepted]
            subjects = [r for r in capture_for(stack).resources if r.type in rule.types]
            assert examined or not subjects, f"{rule.name} examined nothing in {stack}"


def test_every_rule_has_violating_variants() -> None:
    variants = by_rule(VARIANTS)
    assert sorted(set(R.RULES_BY_NAME) - set(variants)) == [], "a rule without violating variants proves nothing"
    assert sorted(set(variants) - set(R.RULES_BY_NAME)) == [], "variants for a rule that does not exist"


def _reads_documents(rule: Rule) -> bool:
    return (bool(set(rule.types) & DOCUMENT_TYPES) or rule.name in DOCUMENT_RULES) and rule.name not in TAGS_ONLY | META_RULES


def test_rules_reading_policy_documents_have_three_variants() -> None:
    variants = by_rule(VARIANTS)
    document_rules = [r for r in R.RULES if _reads_documents(r)]
    assert len(document_rules) >= 10
    thin = {r.name: len(variants.get(r.name, [])) for r in document_rules if len(variants.get(r.name, [])) < 3}
    assert thin == {}


def test_variants_include_every_adversarial_kind() -> None:
    kinds = {v.kind for v in VARIANTS}
    assert {"wildcard", "not-element", "partial", "sibling", "removed", "added", "expired"} <= kinds
    names = [v.id for v in VARIANTS]
    assert len(names) == len(set(names)), "variant names must be unique per rule"


def _fingerprint(capture: Capture) -> str:
    return json.dumps([(r.urn, r.protect, r.inputs, r.outputs) for r in capture.resources], sort_keys=True, default=str)


def test_variants_never_change_the_session_capture() -> None:
    for stack in ("dev", "prod"):
        for topology in {v.topology for v in VARIANTS if stack in v.stacks}:
            capture = capture_of(stack, topology)
            before = _fingerprint(capture)
            for variant in VARIANTS:
                if stack in variant.stacks and variant.topology == topology:
                    variant.mutate(Mutant(capture))
            assert _fingerprint(capture) == before, (stack, topology)


def _first(stack: str, rule_name: str) -> Optional[Variant]:
    return next((v for v in VARIANTS if v.rule == rule_name and stack in v.stacks), None)


def test_a_variant_that_breaks_nothing_is_detected() -> None:
    """The suite itself can fail: a no-op 'variant' yields no new finding."""
    rule = R.RULES_BY_NAME["vpc-flow-logs-enabled"]
    noop = Variant(rule.name, "no-op", "value", lambda m: m.get(R.VPC).name)
    subject, findings = _evaluate(noop, capture_for("prod"), rule)
    assert not {f for f in findings - baseline("prod", rule) if f[0] == subject}
    assert _first("prod", rule.name) is not None
