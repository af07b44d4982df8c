"""Governance rules that span every family: prod data-holding resources are protected, taggable resources carry the
required tags."""

from __future__ import annotations

from collections.abc import Iterator

from ..framework import (
    Res,
    StackView,
    is_map,
    standing_exceptions,
    truthy,
)
from .shared import (
    ANALYZER,
    APPRUNNER,
    BACKUP_VAULT,
    BPA_EXCLUSION,
    BUCKETS,
    COMPOSITE_ALARM,
    CONNECTOR,
    DEFAULT_SG,
    DETECTOR,
    DISTRIBUTION,
    ECR_REPO,
    ECS_CLUSTER,
    ECS_SERVICE,
    ENDPOINT,
    EXCEPTIONS,
    FLOW_LOG,
    IAM_POLICY,
    IGW,
    KMS_KEY,
    LISTENER,
    LOAD_BALANCER,
    LOG_DELIVERY_SOURCE,
    LOG_GROUP,
    METRIC_ALARM,
    NACL,
    RDS_CLUSTER,
    RDS_EVENTS,
    RDS_INSTANCE,
    RDS_SUBNETS,
    REGISTERED,
    ROLE,
    ROUTE_TABLE,
    SECRET,
    SG,
    SG_INGRESS,
    SUBNET,
    TARGET_GROUP,
    TASK_DEFINITION,
    TOPIC,
    TRAIL,
    VPC,
    VPC_ORIGIN,
    WEB_ACL,
    Findings,
    resource_rule,
    stack_rule,
)

# the backup vault holds the database's recovery points (AWS Backup): losing it loses the backups
STATEFUL = (RDS_CLUSTER, *BUCKETS, KMS_KEY, ECR_REPO, LOG_GROUP, SECRET, BACKUP_VAULT)


@resource_rule(
    "prod-stateful-resources-protected",
    types=STATEFUL,
    controls=(),
    severity="high",
    tsc=("A1.2", "C1.1", "CC8.1"),
    references=("DESIGN.md Environments: data safety", "CKV_AWS_139", "cdk-nag RDS10"),
    description="In prod every data-holding resource (cluster, buckets, keys, repositories, log groups, secrets, the "
    "backup vault) is Pulumi-protected and cannot be force-deleted.",
    remediation="Pass protect=ctx.protect and force_destroy/force_delete only in dev (the common helpers do both).",
)
def _protected(res: Res) -> Iterator[str]:
    if not res.protect:
        yield "not protected (pulumi protect)"
    for flag in ("forceDestroy", "forceDelete"):
        if truthy(res.get(flag)):
            yield f"{flag} is true"
    if res.type == LOG_GROUP and not truthy(res.get("deletionProtectionEnabled")):
        yield "deletion_protection_enabled is not true"


# Every pulumi-aws type with a `tags` input that the program creates or is expected to create (a test checks each
# entry against the SDK, and that every taggable type in the stacks is listed here).
TAGGABLE = (
    VPC, SUBNET, SG, DEFAULT_SG, SG_INGRESS, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", NACL, FLOW_LOG,
    ENDPOINT, ROUTE_TABLE, IGW, "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip",
    RDS_CLUSTER, RDS_INSTANCE, RDS_EVENTS, RDS_SUBNETS, "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    "aws:rds/parameterGroup:ParameterGroup", KMS_KEY, ROLE, IAM_POLICY, "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole", *BUCKETS, ECR_REPO, APPRUNNER, CONNECTOR,
    "aws:apprunner/autoScalingConfigurationVersion:AutoScalingConfigurationVersion",
    "aws:apprunner/observabilityConfiguration:ObservabilityConfiguration", ECS_CLUSTER,
    ECS_SERVICE, TASK_DEFINITION, LOAD_BALANCER, LISTENER, TARGET_GROUP, VPC_ORIGIN, "aws:appautoscaling/target:Target", DISTRIBUTION,
    "aws:cloudfront/function:Function", "aws:acm/certificate:Certificate", WEB_ACL, "aws:wafv2/ipSet:IpSet", LOG_GROUP,
    LOG_DELIVERY_SOURCE, "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination",
    "aws:cloudwatch/logDelivery:LogDelivery", METRIC_ALARM, COMPOSITE_ALARM, "aws:cloudwatch/eventRule:EventRule", TOPIC,
    "aws:xray/group:Group", "aws:xray/samplingRule:SamplingRule", "aws:rum/appMonitor:AppMonitor",
    "aws:cognito/identityPool:IdentityPool", "aws:synthetics/canary:Canary", "aws:budgets/budget:Budget",
    "aws:backup/plan:Plan", BACKUP_VAULT, "aws:backup/restoreTestingPlan:RestoreTestingPlan", BPA_EXCLUSION,
    "aws:lambda/function:Function", TRAIL, "aws:cfg/rule:Rule", DETECTOR, ANALYZER,
    "aws:securityhub/automationRule:AutomationRule", SECRET, "aws:ssm/parameter:Parameter",
    "aws:securityhub/accountV2:AccountV2", "aws:securityhub/aggregatorV2:AggregatorV2",
    "aws:securityhub/connectorV2:ConnectorV2", "aws:securityhub/automationRuleV2:AutomationRuleV2",
    "aws:lambda/function:Function", "aws:sqs/queue:Queue",
)
REQUIRED_TAGS = ("Project", "Environment", "Component", "ManagedBy")


@resource_rule(
    "required-tags",
    types=TAGGABLE,
    controls=("CloudFront.14", "AppRunner.1", "AppRunner.2", "SecretsManager.5"),
    severity="low",
    tsc=("CC2.1", "CC6.1"),
    description="Taggable resources carry Project, Environment, Component and ManagedBy tags (set explicitly; mocks "
    "and some services ignore provider default tags).",
    remediation="Pass tags=ctx.tags(COMPONENT, ...).",
)
def _tags(res: Res) -> Iterator[str]:
    tags = res.get("tags")
    tags_all = res.get("tagsAll")
    present = set(tags) if is_map(tags) else set()
    present |= set(tags_all) if is_map(tags_all) else set()
    missing = [t for t in REQUIRED_TAGS if t not in present]
    if missing:
        yield f"missing tags {missing}"


@stack_rule(
    "policy-exceptions-hold",
    types=(),  # the types of the excepted rules, bound by policy/rules/__init__.py once every family is loaded
    controls=(),
    severity="high",
    tsc=("CC3.2", "CC4.1"),
    references=("policy/exceptions.yaml",),
    description="Every exception that stands on the stack is still acceptable: its review date has not passed and each "
    "compensating control it relies on passes (those rules are mandatory checks while it stands).",
    remediation="Restore the compensating control, or re-approve the exception with a new review date, or remove it "
    "and fix the finding.",
)
def _exceptions_hold(stack: StackView) -> Findings:
    rules = {r.name: r for family in REGISTERED.values() for r in family}  # complete once the package has loaded
    yield from standing_exceptions(stack, EXCEPTIONS, rules)
