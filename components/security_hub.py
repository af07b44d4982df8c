"""Security Hub CSPM of one account (`security.organization.mode: none`), in every region of `security.regions`,
and the pieces every mode shares: the HIGH/CRITICAL findings route and the table of controls on global resources.
Built by `Security`.

- every region: the hub (consolidated control findings, no default standards), the configured standards, the AWS
  product integrations, the accepted exceptions as disabled controls with their reason;
- every region but the one that records global resources: the controls on global resources disabled, as AWS
  recommends, because they would evaluate the same IAM data again ("Suggested controls to disable in Security Hub
  CSPM": https://docs.aws.amazon.com/securityhub/latest/userguide/controls-to-disable.html). CloudFront, WAF Classic
  global and Route53.2 controls stay on: they exist only in us-east-1;
- home region: the finding aggregator linking the other regions, so findings, control status and the security score
  of all regions are read (and routed) in one place;
- every region: automation rules that suppress, with the reason, the findings of the controls dev is allowed to
  relax (components/dev_relaxations.py) on resources tagged Environment=dev. A CSPM automation rule acts only in the
  region it is created in (awslabs/landing-zone-accelerator-on-aws#450 quotes the user guide), so each region gets
  its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Optional

import pulumi
import pulumi_aws as aws

from .alerting import Topics
from .common import StackContext, child
from .dev_relaxations import DEV_ENVIRONMENT, dev_relaxed_controls
from .security_trail import COMPONENT, regional
from .settings import SECURITY_STANDARDS, SecuritySettings

# Security Hub integrations that import findings from other AWS services (product/aws/<name>)
PRODUCTS = ("guardduty", "inspector", "access-analyzer", "config")

# Controls on global resources (same page, "Controls that use global resources"), with the standards (config names)
# that contain each, from the control pages' "Related requirements" and the standards' control lists. Only standards
# this program can subscribe to are listed; a control is disabled only where it is part of the standard.
F, C, N = "fsbp", "cis-3.0", "nist-800-53-r5"
GLOBAL_CONTROLS: dict[str, tuple[str, ...]] = {
    "Account.1": (F, C),
    "IAM.1": (F, N),
    "IAM.2": (F, C, N),
    "IAM.3": (F, C, N),
    "IAM.4": (F, C, N),
    "IAM.5": (F, C, N),
    "IAM.6": (F, C, N),
    "IAM.7": (F, N),
    "IAM.8": (F, N),
    "IAM.9": (C, N),
    "IAM.15": (C,),
    "IAM.16": (C,),
    "IAM.18": (C,),
    "IAM.19": (N,),
    "IAM.21": (F, N),
    "IAM.22": (C,),
    "IAM.26": (C,),
    "IAM.27": (C,),
    "KMS.1": (F,),
    "KMS.2": (F,),
}
GLOBAL_CONTROLS_REASON = (
    "Global resource: evaluated once, in {region}, the region whose AWS Config recorder records global resource "
    "types (AWS: suggested controls to disable)"
)
DEV_SUPPRESSION_NOTE = "Accepted dev relaxation (components/dev_relaxations.py): {reason}"
AUTOMATION_UPDATED_BY = "vitality-dev-relaxations"


def standard_arn(ctx: StackContext, standard: str, region: str) -> str:
    return f"arn:{ctx.partition}:securityhub:{region}::standards/{SECURITY_STANDARDS[standard]}"


def account_security_hub(name: str, ctx: StackContext, parent: pulumi.Resource, settings: SecuritySettings,
                         topics: Topics) -> tuple[dict[str, str], aws.cloudwatch.EventRule]:
    """The account's own Security Hub in every covered region; returns the home region's standards ARNs and the
    findings rule."""
    global_region = settings.global_resource_region or ctx.region
    home_hub: Optional[aws.securityhub.Account] = None
    hubs: list[aws.securityhub.Account] = []
    home_arns: dict[str, str] = {}
    for region in settings.regions:
        hub_name, region_arg = regional(f"{name}-hub", ctx, region)
        hub = aws.securityhub.Account(
            hub_name,
            # the API would otherwise subscribe FSBP and CIS v1.2 on its own; standards are chosen below
            enable_default_standards=False,
            control_finding_generator="SECURITY_CONTROL",
            auto_enable_controls=True,
            region=region_arg,
            opts=child(parent),
        )
        hubs.append(hub)
        arns = _standards(name, ctx, hub, settings, region, disable_global=region != global_region)
        if region == ctx.region:
            home_hub, home_arns = hub, arns
        _dev_suppressions(name, ctx, hub, region)
    assert home_hub is not None, "settings put the home region in security.regions"
    linked = [r for r in settings.regions if r != ctx.region]
    if linked:
        aws.securityhub.FindingAggregator(
            f"{name}-hub-aggregator",
            linking_mode="SPECIFIED_REGIONS",
            specified_regions=linked,
            # the linked regions must have Security Hub before they can be linked
            opts=child(home_hub, depends_on=hubs),
        )
    return home_arns, findings_route(name, ctx, home_hub, topics)


def _standards(name: str, ctx: StackContext, hub: aws.securityhub.Account, settings: SecuritySettings, region: str,
               *, disable_global: bool) -> dict[str, str]:
    suffix = "" if region == ctx.region else f"-{region}"
    region_arg = None if region == ctx.region else region
    arns = {s: standard_arn(ctx, s, region) for s in settings.standards}
    subscriptions = {
        s: aws.securityhub.StandardsSubscription(
            f"{name}-standard-{s}{suffix}", standards_arn=arn, region=region_arg, opts=child(hub, depends_on=[hub])
        )
        for s, arn in arns.items()
    }
    for product in PRODUCTS:
        aws.securityhub.ProductSubscription(
            f"{name}-product-{product}{suffix}",
            product_arn=f"arn:{ctx.partition}:securityhub:{region}::product/aws/{product}",
            region=region_arg,
            opts=child(hub, depends_on=[hub]),
        )
    # (standard, control) -> (logical-name kind, reason); an accepted exception wins over the global-control rule
    disabled: dict[tuple[str, str], tuple[str, str]] = {}
    for exception in settings.control_exceptions:
        for standard in [exception.standard] if exception.standard else list(settings.standards):
            disabled[(standard, exception.control_id)] = ("exception", exception.reason)
    if disable_global:
        reason = GLOBAL_CONTROLS_REASON.format(region=settings.global_resource_region or ctx.region)
        for control, standards in GLOBAL_CONTROLS.items():
            for standard in standards:
                if standard in arns:
                    disabled.setdefault((standard, control), ("global", reason))
    for (standard, control), (kind, reason) in disabled.items():
        aws.securityhub.StandardsControlAssociation(
            f"{name}-{kind}-{standard}-{slug(control)}{suffix}",
            standards_arn=arns[standard],
            security_control_id=control,
            association_status="DISABLED",
            updated_reason=reason,
            region=region_arg,
            opts=child(subscriptions[standard], depends_on=[subscriptions[standard]]),
        )
    return arns


def _dev_suppressions(name: str, ctx: StackContext, hub: aws.securityhub.Account, region: str) -> None:
    """Dev shares the account: its accepted relaxations are suppressed (not hidden: the note says why) so that the
    account's posture shows real gaps only. Prod resources carry Environment=prod and are never matched."""
    hub_name, region_arg = regional(f"{name}-dev-relaxation", ctx, region)
    for order, (control, reason) in enumerate(sorted(dev_relaxed_controls().items()), start=1):
        aws.securityhub.AutomationRule(
            f"{hub_name}-{slug(control)}",
            rule_name=f"{ctx.project}-dev-relaxation-{control}",
            description=f"Suppress {control} findings on resources tagged Environment={DEV_ENVIRONMENT}: {reason}"[:1024],
            rule_order=order,
            rule_status="ENABLED",
            criteria=aws.securityhub.AutomationRuleCriteriaArgs(
                compliance_security_control_ids=[
                    aws.securityhub.AutomationRuleCriteriaComplianceSecurityControlIdArgs(comparison="EQUALS", value=control)
                ],
                resource_tags=[
                    aws.securityhub.AutomationRuleCriteriaResourceTagArgs(
                        comparison="EQUALS", key="Environment", value=DEV_ENVIRONMENT
                    )
                ],
                compliance_statuses=[aws.securityhub.AutomationRuleCriteriaComplianceStatusArgs(comparison="EQUALS", value="FAILED")],
                record_states=[aws.securityhub.AutomationRuleCriteriaRecordStateArgs(comparison="EQUALS", value="ACTIVE")],
            ),
            actions=[
                aws.securityhub.AutomationRuleActionArgs(
                    type="FINDING_FIELDS_UPDATE",
                    finding_fields_update=aws.securityhub.AutomationRuleActionFindingFieldsUpdateArgs(
                        workflow=aws.securityhub.AutomationRuleActionFindingFieldsUpdateWorkflowArgs(status="SUPPRESSED"),
                        note=aws.securityhub.AutomationRuleActionFindingFieldsUpdateNoteArgs(
                            text=DEV_SUPPRESSION_NOTE.format(reason=reason)[:512], updated_by=AUTOMATION_UPDATED_BY
                        ),
                    ),
                )
            ],
            tags=ctx.tags(COMPONENT),
            region=region_arg,
            opts=child(hub, depends_on=[hub]),
        )


def findings_route(name: str, ctx: StackContext, parent: pulumi.Resource, topics: Topics,
                   depends_on: Sequence[pulumi.Resource] = ()) -> aws.cloudwatch.EventRule:
    """New HIGH/CRITICAL findings to the critical topic, once, in the home region: with a finding aggregator the
    findings of the linked regions (and, for a delegated administrator, of the member accounts) arrive there."""
    findings = aws.cloudwatch.EventRule(
        f"{name}-hub-findings",
        description="New HIGH or CRITICAL Security Hub findings",
        event_pattern=json.dumps(
            {
                "source": ["aws.securityhub"],
                "detail-type": ["Security Hub Findings - Imported"],
                "detail": {
                    "findings": {
                        "Severity": {"Label": ["HIGH", "CRITICAL"]},
                        "Workflow": {"Status": ["NEW"]},
                        "RecordState": ["ACTIVE"],
                    }
                },
            }
        ),
        tags=ctx.tags(COMPONENT),
        opts=child(parent, depends_on=list(depends_on)),
    )
    aws.cloudwatch.EventTarget(f"{name}-hub-findings-to-critical", rule=findings.name, arn=topics.critical, opts=child(findings))
    return findings


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
