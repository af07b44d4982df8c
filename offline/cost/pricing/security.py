"""Security pricing: KMS keys, CloudTrail, AWS Config, Security Hub, GuardDuty, IAM Access Analyzer; IAM and
account settings (free)."""

from __future__ import annotations

from collections.abc import Callable

from ...engine import Resource
from ..model import Charge, Context, Pricer, flat


def _kms_key(r: Resource, ctx: Context) -> list[Charge]:
    keys = ctx.of_types(r.type)
    return [flat("customer managed key", "kms.key_month", 1), Charge("API requests", "kms.requests_10k", *ctx.share("kms_requests", keys))]


def _trail_has_data_events(r: Resource) -> bool:
    for selector in r.inputs.get("advancedEventSelectors") or []:
        for field_selector in selector.get("fieldSelectors") or []:
            if field_selector.get("field") == "eventCategory" and "Data" in (field_selector.get("equals") or []):
                return True
    return any(s.get("dataResources") for s in r.inputs.get("eventSelectors") or [])


def _region_share(r: Resource, ctx: Context) -> float:
    """A per-region copy of the baseline outside the home region sees only what lives there (the edge: web ACL, its
    logs, keys, topics, alarms): the usage profile's share of the home region's volume."""
    region = r.inputs.get("region")
    return 1.0 if not region or region == ctx.region else ctx.usage["security_secondary_region_share"]


def _scaled(charges: list[Charge], share: float) -> list[Charge]:
    return [Charge(c.item if share == 1.0 else f"{c.item}, outside the home region", c.price, c.idle * share, c.used * share)
            for c in charges]


def _trail(r: Resource, ctx: Context) -> list[Charge]:
    charges = []
    if r.inputs.get("isOrganizationTrail"):
        # every account's management events again: the first copy is each account's own trail
        events = ctx.idle("organization_management_events"), ctx.usage["organization_management_events"]
        charges.append(Charge("management events of the organization, second copy", "cloudtrail.management_events_copy_100k", *events))
    if _trail_has_data_events(r):
        charges.append(Charge("data events", "cloudtrail.data_events_100k", 0.0, ctx.usage["cloudtrail_data_events"]))
    kinds = len(r.inputs.get("insightSelectors") or [])
    if kinds:
        events = (ctx.idle("cloudtrail_management_events") * kinds, ctx.usage["cloudtrail_management_events"] * kinds)
        charges.append(Charge(f"management events analyzed by {kinds} Insights type(s)", "cloudtrail.insights_events_100k", *events))
    return charges  # the first copy of management events is free


def _recorder(r: Resource, ctx: Context) -> list[Charge]:
    mode = (r.inputs.get("recordingMode") or {}).get("recordingFrequency", "CONTINUOUS")
    price = "config.ci_periodic" if mode == "DAILY" else "config.ci_continuous"
    items = Charge(f"configuration items ({mode.lower()} recording)", price, ctx.idle("config_items"), ctx.usage["config_items"])
    return _scaled([items], _region_share(r, ctx))


def _config_rule(r: Resource, ctx: Context) -> list[Charge]:
    return [Charge("rule evaluations", "config.rule_evaluation", ctx.idle("config_rule_evaluations"), ctx.usage["config_rule_evaluations"])]


def _conformance_pack(r: Resource, ctx: Context) -> list[Charge]:
    return [Charge("conformance pack evaluations", "config.conformance_evaluation", ctx.idle("config_conformance_evaluations"), ctx.usage["config_conformance_evaluations"])]


def _securityhub(r: Resource, ctx: Context) -> list[Charge]:
    checks = Charge("security checks", "securityhub.check", ctx.idle("securityhub_checks"), ctx.usage["securityhub_checks"])
    return _scaled([checks], _region_share(r, ctx))


def _guardduty(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("enable") is False:
        return []
    events = ctx.idle("cloudtrail_management_events"), ctx.usage["cloudtrail_management_events"]
    return _scaled([
        Charge("CloudTrail management events analyzed", "guardduty.cloudtrail_events_million", *events),
        Charge("VPC flow and DNS logs analyzed (GB)", "guardduty.flow_dns_gb", 0.0, ctx.usage["guardduty_flow_dns_gb"]),
    ], _region_share(r, ctx))


_GUARDDUTY_FEATURES: dict[str, Callable[[Context], Charge]] = {
    "S3_DATA_EVENTS": lambda ctx: Charge("S3 data events analyzed", "guardduty.s3_events_million", 0.0, ctx.usage["guardduty_s3_events"]),
    "RDS_LOGIN_EVENTS": lambda ctx: Charge("RDS login activity", "guardduty.rds_protection", 0.0, 1),
}


def _runtime_monitoring(ctx: Context) -> list[Charge]:
    """Runtime Monitoring bills per vCPU-hour of monitored EC2, EKS and ECS Fargate; App Runner is not covered."""
    tasks = ctx.of_types("aws:ecs/service:Service")
    if not tasks:
        return []
    return [flat("ECS Fargate vCPU-hours monitored", "guardduty.runtime_monitoring_vcpu_hour", 1)]


# Plans whose subject the program does not create (no EKS cluster, no EC2 instance or EBS volume) analyze
# nothing and cost nothing; a pricer for EKS or EC2 resources would be needed first, and those types are
# reported as unpriced.
_GUARDDUTY_NOTHING_TO_ANALYZE = ("EKS_AUDIT_LOGS", "EKS_RUNTIME_MONITORING", "EBS_MALWARE_PROTECTION")


def _guardduty_feature(r: Resource, ctx: Context) -> list[Charge]:
    if r.inputs.get("status") != "ENABLED":
        return []
    name = str(r.inputs.get("name"))
    if name in _GUARDDUTY_FEATURES:
        return _scaled([_GUARDDUTY_FEATURES[name](ctx)], _region_share(r, ctx))
    if name == "RUNTIME_MONITORING":
        return _runtime_monitoring(ctx)
    if name in _GUARDDUTY_NOTHING_TO_ANALYZE:
        return []
    return [flat(f"protection plan {name}", f"guardduty.{name.lower()}", 1)]


def _analyzer(r: Resource, ctx: Context) -> list[Charge]:
    kind = str(r.inputs.get("type", "ACCOUNT"))
    if kind in ("ACCOUNT", "ORGANIZATION"):
        return []  # external access analysis is free
    if kind.endswith("UNUSED_ACCESS"):
        principals = ctx.idle("access_analyzer_principals"), ctx.usage["access_analyzer_principals"]
        return [Charge("IAM roles and users analyzed", "accessanalyzer.unused_principal_month", *principals)]
    return [flat(f"{kind.lower()} analysis", f"accessanalyzer.{kind.lower()}", 1)]


# Pulumi-aws v7 type token -> pricer. Tokens are checked against the installed SDK by the tests.
PRICERS: dict[str, Pricer] = {
    "aws:kms/key:Key": _kms_key,
    "aws:cloudtrail/trail:Trail": _trail,
    "aws:cfg/recorder:Recorder": _recorder,
    "aws:cfg/rule:Rule": _config_rule,
    "aws:cfg/conformancePack:ConformancePack": _conformance_pack,
    "aws:securityhub/account:Account": _securityhub,
    "aws:guardduty/detector:Detector": _guardduty,
    "aws:guardduty/detectorFeature:DetectorFeature": _guardduty_feature,
    "aws:accessanalyzer/analyzer:Analyzer": _analyzer,
}

# Types with no charge of their own, and why.
FREE: dict[str, str] = {
    "aws:iam/role:Role": "IAM is free",
    "aws:iam/rolePolicy:RolePolicy": "IAM is free",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM is free",
    "aws:iam/policy:Policy": "IAM is free",
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy": "IAM is free",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "IAM is free",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": "IAM is free",
    "aws:kms/alias:Alias": "no charge for aliases (the key is billed)",
    "aws:kms/keyPolicy:KeyPolicy": "no charge for key policies (the key is billed)",
    "aws:account/alternativeContact:AlternativeContact": "account setting, no charge",
    "aws:securityhub/productSubscription:ProductSubscription": "findings from AWS integrations: the first 10,000 "
    "ingestion events a month per account and region are free, more than this stack produces",
    "aws:ebs/encryptionByDefault:EncryptionByDefault": "account setting, no charge",
    "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions": "account setting, no charge",
    "aws:ec2/vpcBlockPublicAccessExclusion:VpcBlockPublicAccessExclusion": "account setting, no charge",
    "aws:cfg/deliveryChannel:DeliveryChannel": "delivered files are billed as S3 storage",
    "aws:cfg/recorderStatus:RecorderStatus": "billed on the recorder",
    "aws:cfg/retentionConfiguration:RetentionConfiguration": "no charge for the setting",
    "aws:cfg/remediationConfiguration:RemediationConfiguration": "AWS-owned SSM Automation runbooks; steps stay "
    "within the free 100,000 a month",
    "aws:securityhub/standardsSubscription:StandardsSubscription": "checks are billed on the Security Hub account",
    "aws:securityhub/standardsControlAssociation:StandardsControlAssociation": "no charge for the setting",
    "aws:securityhub/findingAggregator:FindingAggregator": "no charge for aggregation",
    "aws:securityhub/automationRule:AutomationRule": "no charge for automation rules",
    "aws:accessanalyzer/archiveRule:ArchiveRule": "no charge for archive rules",
    # organization mode: the administrator configures, each member account is billed for its own checks and events
    "aws:securityhub/organizationConfiguration:OrganizationConfiguration": "no charge for the setting",
    "aws:securityhub/configurationPolicy:ConfigurationPolicy": "no charge; every associated account is billed for "
    "its own security checks",
    "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation": "no charge for the setting",
    "aws:securityhub/organizationAdminAccount:OrganizationAdminAccount": "no charge for the registration",
    "aws:guardduty/organizationConfiguration:OrganizationConfiguration": "no charge; each member account is billed "
    "for what its detector analyzes",
    "aws:guardduty/organizationConfigurationFeature:OrganizationConfigurationFeature": "billed in the member accounts",
    "aws:guardduty/organizationAdminAccount:OrganizationAdminAccount": "no charge for the registration",
    "aws:organizations/delegatedAdministrator:DelegatedAdministrator": "AWS Organizations is free",
    "aws:organizations/awsServiceAccess:AwsServiceAccess": "AWS Organizations is free",
    "aws:cloudtrail/organizationDelegatedAdminAccount:OrganizationDelegatedAdminAccount": "no charge for the registration",
    "aws:cfg/configurationAggregator:ConfigurationAggregator": "no charge for aggregators (the members' recorders are "
    "billed in their accounts)",
    "aws:securityhub/accountV2:AccountV2": "no charge of its own in this estimate: with the unified Security Hub on, "
    "the CSPM, GuardDuty and Inspector charges estimated on their own resources move to its per-resource Essentials "
    "plan (aws.amazon.com/security-hub/pricing, 'consolidated per-resource pricing'); the page gives no figure to "
    "quote, so the individual services' prices stand in for it",
    # findings routing and the weekly report (components/security_findings.py, compliance_report.py)
    "aws:securityhub/aggregatorV2:AggregatorV2": "no charge for aggregation",
    "aws:securityhub/automationRuleV2:AutomationRuleV2": "no charge for automation rules",
    "aws:securityhub/connectorV2:ConnectorV2": "no Security Hub charge for connectors (the ticketing tool bills its own)",
    "aws:cloudwatch/eventConnection:EventConnection": "no charge for the connection",
    "aws:cloudwatch/eventApiDestination:EventApiDestination": "invocations at $0.20 per million: a few hundred "
    "findings a month round to $0.00",
    "aws:scheduler/schedule:Schedule": "4 invocations a month, within the free 14 million",
    # shared by every function: the compliance report (4 runs a month), the database's restore-test reporter (about
    # 35 runs of seconds a month) and the database bootstrap (a few deploy-time runs)
    "aws:lambda/function:Function": "a few dozen runs of under a minute at 256 MB a month, within the Lambda free tier",
    "aws:sqs/queue:Queue": "the dead-letter queue stays empty unless deliveries fail; within the SQS free tier",
    "aws:sqs/queuePolicy:QueuePolicy": "no charge for the setting",
}
