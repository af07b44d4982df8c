"""The "Vitality SOC 2" AWS Config conformance pack: the managed Config rules the program maps to SOC 2 trust-services
criteria, with their SSM remediations, in one pack, so AWS Config keeps a compliance score for it over time (AWS Audit
Manager, the other way to get framework-shaped evidence, is closed to new customers since 2026-04-30).

Each rule is evaluated once: a rule in the pack is not also created as a standalone `aws.cfg.Rule`
(`security_config.config_service(packed=...)` leaves it out), and its remediation moves into the pack template with
the same parameters, so remediation keeps working on the pack's copy. Rules with no SOC 2 criterion stay standalone.

- No delivery bucket: `DeliveryS3Bucket` is optional (AWS Config API reference, OrganizationConformancePack and
  PutConformancePack: "This field is optional"); the template is passed inline as `template_body`.
- Organization mode: every account's stack (members and the administrator) deploys the pack in its own account,
  because the remediations assume that account's remediation role; `organization=True` (an organization pack from
  the administrator) would need a remediation role of the same name in every member first.
- Template shape (ConfigRule + RemediationConfiguration with DependsOn, StaticValue/ResourceValue parameters) as in
  AWS's own packs, e.g. awslabs/aws-config-rules "Operational-Best-Practices-for-Amazon-S3-with-Remediation.yaml".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Union

import pulumi
import pulumi_aws as aws

from .common import StackContext, child
from .security_config import (
    REMEDIATION_ATTEMPTS,
    REMEDIATION_CONCURRENCY_PERCENT,
    REMEDIATION_ERROR_PERCENT,
    REMEDIATION_RETRY_SECONDS,
    ManagedRule,
    rule_scope,
)

PACK_TITLE = "Vitality SOC 2"
TEMPLATE_LIMIT = 51_200  # bytes of TemplateBody AWS Config accepts

# Security Hub control -> the SOC 2 criteria the policy pack maps it to (policy/rules: union of `tsc` over the rules
# that cite the control). tests/test_conformance_pack.py keeps this table equal to the policy pack's mapping.
CONTROL_CRITERIA: dict[str, tuple[str, ...]] = {
    "CloudTrail.1": ("CC2.1", "CC3.2", "CC6.1", "CC7.1", "CC7.2"),
    "CloudTrail.2": ("CC6.1", "CC7.2"),
    "CloudTrail.4": ("CC6.1", "CC7.2"),
    "CloudTrail.5": ("CC6.1", "CC7.2"),
    "CloudWatch.15": ("CC4.2", "CC7.2", "CC7.3"),
    "CloudWatch.16": ("A1.2", "CC7.2"),
    "EC2.2": ("CC6.1", "CC6.6"),
    "EC2.6": ("CC6.6", "CC7.2"),
    "EC2.7": ("CC2.1", "CC3.2", "CC6.1", "CC7.1", "CC7.2"),
    "ECR.1": ("CC7.1",),
    "ECR.2": ("CC8.1",),
    "GuardDuty.1": ("CC2.1", "CC3.2", "CC6.1", "CC6.8", "CC7.1", "CC7.2"),
    "IAM.1": ("CC6.1", "CC6.3"),
    "IAM.2": ("CC6.3",),
    "IAM.3": ("CC6.1", "CC6.2"),
    "IAM.5": ("CC6.1", "CC6.2"),
    "IAM.7": ("CC2.1", "CC3.2", "CC6.1", "CC6.2", "CC7.1", "CC7.2"),
    "IAM.15": ("CC6.1", "CC6.2"),
    "IAM.16": ("CC6.1", "CC6.2"),
    "KMS.4": ("CC6.1",),
    "RDS.2": ("CC6.1", "CC6.6"),
    "RDS.7": ("A1.2", "C1.1"),
    "RDS.27": ("CC6.1",),
    "S3.1": ("CC2.1", "CC3.2", "CC6.1", "CC6.6", "CC7.1", "CC7.2"),
    "S3.5": ("CC6.1", "CC6.7"),
    "S3.8": ("CC6.1", "CC6.6"),
    "S3.9": ("CC7.2",),
    "S3.12": ("CC6.1", "CC6.3"),
    "S3.14": ("A1.2", "C1.1", "CC7.4"),
    "S3.17": ("CC6.1",),
    "S3.22": ("CC2.1", "CC7.2"),
    "S3.23": ("CC2.1", "CC7.2"),
    "SNS.1": ("CC6.1",),
    "SecretsManager.1": ("CC6.1",),
}


def rule_criteria(rule: ManagedRule) -> tuple[str, ...]:
    return tuple(sorted({c for control in rule.controls for c in CONTROL_CRITERIA.get(control, ())}, key=_criterion_order))


def packed_rules(rules: Mapping[str, ManagedRule]) -> dict[str, ManagedRule]:
    """The rules that belong in the pack: those with at least one SOC 2 criterion."""
    return {identifier: rule for identifier, rule in rules.items() if rule_criteria(rule)}


def pack_rule_name(ctx: StackContext, identifier: str) -> str:
    return f"{ctx.name_prefix}-{identifier.lower().replace('_', '-')}"[:128]


def pack_name(ctx: StackContext) -> str:
    return f"{ctx.name_prefix}-soc2"  # [a-zA-Z][-a-zA-Z0-9]*, at most 256 (organization packs: 128)


def template(ctx: StackContext, rules: Mapping[str, ManagedRule], *, remediation_role_arn: str,
             automatic: bool) -> str:
    """The conformance pack template (CloudFormation syntax, JSON): one AWS::Config::ConfigRule per rule and one
    AWS::Config::RemediationConfiguration per rule with a remediation."""
    resources: dict[str, Any] = {}
    for identifier, rule in rules.items():
        logical = _logical_id(identifier)
        name = pack_rule_name(ctx, identifier)
        properties: dict[str, Any] = {
            "ConfigRuleName": name,
            "Description": f"{rule.description} (Security Hub {', '.join(rule.controls)}; SOC 2 "
                           f"{', '.join(rule_criteria(rule))})"[:256],
            "Source": {"Owner": "AWS", "SourceIdentifier": identifier},
        }
        if rule_scope(identifier, rule) is not None:  # a periodic rule takes no scope (security_config.PERIODIC_RULES)
            properties["Scope"] = {"ComplianceResourceTypes": list(rule.resource_types)}
        if rule.parameters:
            properties["InputParameters"] = dict(rule.parameters)
        resources[logical] = {"Type": "AWS::Config::ConfigRule", "Properties": properties}
        fix = rule.remediation
        if fix is None:
            continue
        parameters: dict[str, Any] = {
            # the AWS-owned documents run with no role unless it is passed explicitly
            "AutomationAssumeRole": {"StaticValue": {"Values": [remediation_role_arn]}},
            fix.resource_parameter: {"ResourceValue": {"Value": "RESOURCE_ID"}},
            **{k: {"StaticValue": {"Values": [v]}} for k, v in fix.static.items()},
        }
        resources[f"{logical}Remediation"] = {
            "Type": "AWS::Config::RemediationConfiguration",
            "DependsOn": logical,
            "Properties": {
                "ConfigRuleName": name,
                "TargetType": "SSM_DOCUMENT",
                "TargetId": fix.document,
                "ResourceType": fix.resource_type,
                "Parameters": parameters,
                "Automatic": automatic,
                "MaximumAutomaticAttempts": REMEDIATION_ATTEMPTS,
                "RetryAttemptSeconds": REMEDIATION_RETRY_SECONDS,
                "ExecutionControls": {"SsmControls": {
                    "ConcurrentExecutionRatePercentage": REMEDIATION_CONCURRENCY_PERCENT,
                    "ErrorPercentage": REMEDIATION_ERROR_PERCENT,
                }},
            },
        }
    body = json.dumps({"Description": PACK_TITLE, "Resources": resources}, sort_keys=True, separators=(",", ":"))
    if len(body.encode()) > TEMPLATE_LIMIT:
        raise ValueError(f"the {PACK_TITLE} template is {len(body.encode())} bytes; AWS Config accepts {TEMPLATE_LIMIT}")
    return body


def soc2_conformance_pack(name: str, ctx: StackContext, parent: pulumi.Resource, rules: Mapping[str, ManagedRule], *,
                          remediation_role_arn: pulumi.Output[str], automatic: bool, organization: bool,
                          depends_on: Sequence[pulumi.Resource]
                          ) -> Union[aws.cfg.ConformancePack, aws.cfg.OrganizationConformancePack]:
    """The pack in this account (or, for an organization administrator, in every member account)."""
    body = remediation_role_arn.apply(lambda arn: template(ctx, rules, remediation_role_arn=arn, automatic=automatic))
    # a pack cannot be deployed before a recorder runs in the account and region
    opts = child(parent, depends_on=list(depends_on))
    if organization:
        return aws.cfg.OrganizationConformancePack(f"{name}-soc2-pack", name=pack_name(ctx), template_body=body, opts=opts)
    return aws.cfg.ConformancePack(f"{name}-soc2-pack", name=pack_name(ctx), template_body=body, opts=opts)


def _logical_id(identifier: str) -> str:
    return "".join(part.capitalize() for part in identifier.split("_"))


def _criterion_order(criterion: str) -> tuple[int, list[int]]:
    family = re.match(r"[A-Z]+", criterion)
    order = {"CC": 0, "A": 1, "C": 2, "PI": 3, "P": 4}.get(family.group(0) if family else "", 9)
    return order, [int(p) for p in re.findall(r"\d+", criterion)]
